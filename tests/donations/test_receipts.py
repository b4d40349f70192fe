"""Receipts: numbered gap-free per year, emailed once over SMTP, a PDF behind a signed link."""

import io
import re
import threading
import time
from datetime import UTC, datetime

import pytest
from itsdangerous import URLSafeSerializer
from pypdf import PdfReader
from sqlalchemy import func, select

from crm.auth.roles import Role
from crm.donations.models import (
    Donation,
    DonationStatus,
    PaymentMethod,
    Receipt,
    ReceiptCounter,
)
from crm.donations.receipt_pdf import core_safe, receipt_pdf, unicode_font_dir
from crm.donations.receipts import RECEIPT_SALT, bring_up_to_date, issue_due, send_receipt
from crm.donations.services import apply_refund
from crm.extensions import db as _db
from crm.mail.models import OutboundEmail

GIFT_DAY = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)
LINK = re.compile(r"http://localhost(/receipts/[^\s\"<>]+\.pdf)")


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def gift(db, make_contact, make_donation, make_fund, make_campaign):
    """A $150 gift by José Núñez to a restricted fund, with a $25 dinner in return."""

    shared = {}

    def factory(**fields):
        if not shared:
            shared["fund"] = make_fund(name="Schools programme", restricted=True)
            shared["campaign"] = make_campaign(name="Spring appeal")
        contact = fields.pop("contact", None) or make_contact(
            first_name="José", last_name="Núñez", email="jose@example.org",
            address_line1="12 Calle Mayor", city="Chicago", region="IL", postcode="60601",
        )  # fmt: skip
        fields.setdefault("fund", shared["fund"])
        fields.setdefault("campaign", shared["campaign"])
        return make_donation(
            contact=contact, amount_cents=fields.pop("amount_cents", 15000),
            benefit_cents=fields.pop("benefit_cents", 2500),
            received_at=fields.pop("received_at", GIFT_DAY), **fields,
        )  # fmt: skip

    return factory


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


# --- the email ----------------------------------------------------------------------------


def test_receipt_email_goes_out_over_smtp_with_the_tax_facts(db, mail, gift):
    donation = gift()
    receipt = send_receipt(donation)
    db.session.commit()

    assert receipt.number == "2026-000001"
    (message,) = mail.to("jose@example.org")
    assert message["Subject"] == "Your receipt 2026-000001 from Protect Our Children"
    text = plain(message)
    for expected in (
        "Dear José Núñez",
        "Receipt number: 2026-000001",
        "Date of gift: March 14, 2026",
        "Amount: $150.00",
        "Value of goods or services you received: $25.00",
        "Tax-deductible amount: $125.00",
        "Fund: Schools programme",
        "Protect Our Children, Inc.",
        "Tax ID: 36-1234567",
        "100 Main Street, Springfield, IL 62701",
    ):
        assert expected in text, expected
    html = message.get_body(("html",)).get_content()
    assert "2026-000001" in html and "<strong>$125.00</strong>" in html
    assert "36-1234567" in html and "Protect Our Children, Inc." in html
    assert LINK.search(html) and LINK.search(text)


def test_legal_name_tax_id_and_address_come_from_configuration(app, db, mail, gift, monkeypatch):
    monkeypatch.setitem(app.config, "ORG_LEGAL_NAME", "Safe Kids Alliance NFP")
    monkeypatch.setitem(app.config, "ORG_TAX_ID", "12-3456789")
    monkeypatch.setitem(app.config, "ORG_ADDRESS", "9 Elm Road, Peoria, IL 61602")
    send_receipt(gift(benefit_cents=0))
    db.session.commit()
    text = plain(mail.to("jose@example.org")[0])
    assert "Safe Kids Alliance NFP" in text and "12-3456789" in text and "9 Elm Road" in text
    assert "No goods or services were provided" in text
    assert "Tax-deductible amount: $150.00" in text


def test_a_receipt_is_numbered_and_emailed_only_once(db, mail, gift):
    donation = gift()
    first = send_receipt(donation)
    db.session.commit()
    again = send_receipt(donation)  # e.g. the webhook delivered twice
    db.session.commit()
    assert again.id == first.id and again.number == "2026-000001"
    assert len(mail.to("jose@example.org")) == 1
    assert count(Receipt) == 1 and count(OutboundEmail) == 1


def test_the_receipt_job_numbers_due_gifts_in_order_and_emails_each_once(db, mail, gift):
    late, early = gift(received_at=GIFT_DAY), gift(received_at=datetime(2026, 3, 1, tzinfo=UTC))
    for donation in (late, early):
        donation.receipt_due = True
    db.session.commit()
    assert issue_due() == 2
    db.session.commit()
    assert issue_due() == 0  # nothing due any more
    db.session.commit()
    assert (early.receipt.number, late.receipt.number) == ("2026-000001", "2026-000002")
    assert not early.receipt_due and not late.receipt_due
    assert len(mail.to("jose@example.org")) == 2


def test_pending_and_failed_gifts_get_no_receipt(db, mail, gift):
    for status in (DonationStatus.PENDING, DonationStatus.FAILED):
        assert send_receipt(gift(status=status)) is None
    db.session.commit()
    assert count(Receipt) == 0 and mail.messages == []


def test_a_donor_without_email_gets_a_number_but_no_mail(db, mail, gift, make_contact):
    receipt = send_receipt(gift(contact=make_contact(email=None)))
    db.session.commit()
    assert receipt.number == "2026-000001" and receipt.emailed_at is None
    assert mail.messages == []


def test_the_receipt_year_and_date_follow_the_organisation_time_zone(db, mail, gift):
    # 03:00 UTC on New Year's Day is still 31 December in New York.
    receipt = send_receipt(gift(received_at=datetime(2026, 1, 1, 3, 0, tzinfo=UTC)))
    db.session.commit()
    assert receipt.number == "2025-000001"
    assert "Date of gift: December 31, 2025" in plain(mail.to("jose@example.org")[0])


def test_a_rolled_back_gift_gives_its_number_back(db, gift):
    first, second, third = gift(), gift(), gift()
    assert bring_up_to_date(first).number == "2026-000001"
    db.session.commit()
    assert bring_up_to_date(second).sequence == 2
    db.session.rollback()
    assert bring_up_to_date(third).number == "2026-000002"
    db.session.commit()
    assert bring_up_to_date(second).number == "2026-000003"
    db.session.commit()
    other_year = gift(received_at=datetime(2027, 2, 1, 12, tzinfo=UTC))
    assert bring_up_to_date(other_year).number == "2027-000001"  # each year starts at 1


def test_receipt_numbers_stay_gap_free_under_concurrent_gifts(app, db, make_donation):
    """20 gifts receipted at once, each in its own app context and session; a quarter roll
    back while holding their number. Committed numbers are exactly 1..15."""
    ids = [make_donation(received_at=GIFT_DAY).id for _ in range(20)]
    rolled_back = set(ids[::4])
    start = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def receipt_one(donation_id: int) -> None:
        try:
            start.wait(timeout=30)
            with app.app_context():  # more threads than pooled connections: some wait here
                donation = _db.session.get(Donation, donation_id)
                bring_up_to_date(donation)
                time.sleep(0.02)  # hold the counter while others queue behind it
                if donation_id in rolled_back:
                    _db.session.rollback()
                else:
                    _db.session.commit()
        except BaseException as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)

    threads = [threading.Thread(target=receipt_one, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    db.session.expire_all()
    rows = db.session.execute(select(Receipt.sequence, Receipt.donation_id)).all()
    assert sorted(seq for seq, _ in rows) == list(range(1, 16))
    assert {donation_id for _, donation_id in rows} == set(ids) - rolled_back
    assert db.session.get(ReceiptCounter, 2026).last_number == 15


# --- the PDF ------------------------------------------------------------------------------


def test_the_emailed_link_opens_the_pdf_without_an_account(client, mail, gift):
    send_receipt(gift(method=PaymentMethod.CHEQUE, cheque_number="1042"))
    _db.session.commit()
    path = LINK.search(plain(mail.to("jose@example.org")[0])).group(1)

    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert "receipt-2026-000001.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    for expected in (
        "Protect Our Children, Inc.",
        "Tax ID: 36-1234567",
        "100 Main Street, Springfield, IL 62701",
        "2026-000001",
        "José Núñez",
        "12 Calle Mayor",
        "March 14, 2026",
        "$150.00",
        "$25.00",
        "$125.00",
        "Schools programme",
        "Cheque no. 1042",
        "Spring appeal",
    ):
        assert expected in text, expected


def test_a_tampered_or_foreign_link_is_404(app, client, mail, gift):
    receipt = send_receipt(gift())
    _db.session.commit()
    path = LINK.search(plain(mail.to("jose@example.org")[0])).group(1)
    token = path.removeprefix("/receipts/").removesuffix(".pdf")
    payload, signature = token.rsplit(".", 1)
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    forged_payload = URLSafeSerializer("x", salt=RECEIPT_SALT).dumps(
        {"receipt": receipt.id + 1, "number": receipt.number}
    )
    wrong_key = URLSafeSerializer("another-secret", salt=RECEIPT_SALT).dumps(
        {"receipt": receipt.id, "number": receipt.number}
    )
    wrong_salt = URLSafeSerializer(app.config["SECRET_KEY"], salt="other").dumps(
        {"receipt": receipt.id, "number": receipt.number}
    )
    for bad in (
        f"{payload}.{flipped}",
        f"{forged_payload.rsplit('.', 1)[0]}.{signature}",
        wrong_key,
        wrong_salt,
        "not-a-token",
        payload,
    ):
        assert client.get(f"/receipts/{bad}.pdf").status_code == 404, bad
    assert client.get(path).status_code == 200


def test_a_link_to_a_receipt_number_that_changed_is_404(app, client, gift):
    receipt = send_receipt(gift())
    _db.session.commit()
    token = URLSafeSerializer(app.config["SECRET_KEY"], salt=RECEIPT_SALT).dumps(
        {"receipt": receipt.id, "number": "2026-999999"}
    )
    assert client.get(f"/receipts/{token}.pdf").status_code == 404


def test_staff_download_any_receipt_pdf_and_others_may_not(app, gift, make_user, make_contact):
    donation = gift()
    send_receipt(donation)
    unreceipted = gift(status=DonationStatus.PENDING)
    _db.session.commit()
    url = f"/donations/{donation.id}/receipt.pdf"
    for role, status in ((Role.FUNDRAISER, 200), (Role.ADMIN, 200), (Role.COORDINATOR, 403),
                         (Role.VOLUNTEER, 403)):  # fmt: skip
        client = app.test_client()
        client.login_as(make_user(role))
        response = client.get(url)
        assert response.status_code == status, role
        if status == 200:
            assert "2026-000001" in pdf_text(response.data)
            assert client.get(f"/donations/{unreceipted.id}/receipt.pdf").status_code == 404
            assert client.get("/donations/999999/receipt.pdf").status_code == 404
    assert app.test_client().get(url).status_code == 302  # to sign in


def test_the_pdf_shows_what_was_true_when_it_was_issued(db, gift, make_fund):
    """A refund after the receipt brings a corrected receipt; the first one's PDF keeps its
    figures, donor and fund, and only says it was replaced."""
    donation = gift(benefit_cents=0, stripe_payment_intent_id="pi_receipt_refund")
    receipt = send_receipt(donation)
    db.session.commit()
    before = pdf_text(receipt_pdf(receipt))
    donation.contact.last_name = "Núñez-García"
    donation.fund = make_fund(name="Renamed fund")
    apply_refund(donation, 5000, stripe_refund_id="re_receipt_refund", reason="donor asked")
    correction = bring_up_to_date(donation)
    db.session.commit()
    old = pdf_text(receipt_pdf(receipt))
    assert "Tax-deductible amount $150.00" in old.replace(":", "")
    assert "Refunded" not in old and "Schools programme" in old and "García" not in old
    assert f"This receipt was replaced by {correction.number}" in old
    assert old.replace(f"This receipt was replaced by {correction.number}", "").split() != []
    assert before.split("Receipt number")[1] == old.split("Receipt number")[1]
    new = pdf_text(receipt_pdf(correction))
    assert f"Corrected donation receipt {correction.number}" in new
    assert f"Replaces receipt {receipt.number}" in new.replace(":", "")
    assert "Refunded to the donor $50.00" in new.replace(":", "")
    assert "Tax-deductible amount $100.00" in new.replace(":", "")  # 150 - 50
    assert "Renamed fund" in new and "García" in new


def test_the_core_font_fallback_keeps_latin_names_and_never_fails(db, gift, make_contact):
    contact = make_contact(first_name="José Łukasz", last_name="Núñez-Øre 李", email="j@x.org")
    receipt = send_receipt(gift(contact=contact))
    db.session.commit()
    text = pdf_text(receipt_pdf(receipt, unicode_font=False))
    assert "José Lukasz Núñez-Øre ?" in text
    assert "2026-000001" in text and "$125.00" in text


def test_core_safe_transliterates_what_windows_1252_lacks():
    assert core_safe("José Núñez €5 — “ok”") == "José Núñez €5 — “ok”"
    assert core_safe("Łódź Đorđe Ștefan") == "Lódz Dorde Stefan"
    assert core_safe("李 Ωmega") == "? ?mega"


def test_the_default_font_prints_names_as_typed_where_it_can(db, gift, make_contact):
    contact = make_contact(first_name="Łukasz", last_name="Żółć", email="l@x.org")
    receipt = send_receipt(gift(contact=contact))
    db.session.commit()
    text = pdf_text(receipt_pdf(receipt))
    # DejaVu Sans when the system has it (Debian and Ubuntu do); else Helvetica's Latin range.
    assert ("Łukasz Żółć" if unicode_font_dir() else "Lukasz Zólc") in text
