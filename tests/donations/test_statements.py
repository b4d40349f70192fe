"""Year-end statements: one per donor and year, refunds reflected, emailed once per run or
re-run, through `flask crm statements --year YYYY`."""

import io
import re
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from crm.auth.roles import Role
from crm.donations import statements
from crm.donations.models import DonationStatus, PaymentMethod, YearEndStatement
from crm.donations.receipts import send_receipt
from crm.donations.services import apply_refund, org_today
from crm.donations.statement_pdf import statement_pdf
from crm.extensions import db as _db
from crm.mail.models import OutboundEmail

pytestmark = pytest.mark.clock  # the outcome depends on today's date

YEAR = 2025  # a finished year, whatever today's date
LINK = re.compile(r"http://localhost(/receipts/statements/[^\s\"<>]+\.pdf)")


def on(month: int, day: int, hour: int = 17, year: int = YEAR) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def count(model) -> int:
    return _db.session.scalar(select(func.count()).select_from(model))


def run(runner, *args):
    return runner.invoke(args=["crm", "statements", *args])


@pytest.fixture
def donors(db, make_contact, make_donation, make_fund):
    """Ana (two gifts, one partly refunded), Ben (no email), Cleo (a gift in another year
    only), Dev (a failed gift only)."""
    fund = make_fund(name="Schools programme")
    ana = make_contact(first_name="Ana", last_name="Núñez", email="ana@example.org")
    ben = make_contact(first_name="Ben", last_name="Okafor", email=None)
    cleo = make_contact(first_name="Cleo", last_name="Park", email="cleo@example.org")
    dev = make_contact(first_name="Dev", last_name="Rao", email="dev@example.org")
    gifts = [
        make_donation(ana, 10000, received_at=on(2, 3), fund=fund,
                      stripe_payment_intent_id="pi_ana_1"),
        make_donation(ana, 5000, received_at=on(11, 20), method=PaymentMethod.CHEQUE,
                      cheque_number="77"),
        make_donation(ben, 2500, received_at=on(6, 1), method=PaymentMethod.CASH),
        make_donation(cleo, 9900, received_at=on(5, 5, year=YEAR - 1)),
        make_donation(dev, 4000, received_at=on(3, 3), status=DonationStatus.FAILED),
    ]  # fmt: skip
    for gift in gifts[:4]:
        send_receipt(gift)
    apply_refund(gifts[0], 3000, stripe_refund_id="re_ana_1")
    db.session.commit()
    return {"ana": ana, "ben": ben, "cleo": cleo, "dev": dev, "gifts": gifts}


def test_each_donor_of_the_year_is_emailed_a_statement_once(runner, mail, donors):
    mail.clear()  # the receipts
    result = run(runner, "--year", str(YEAR))
    assert result.exit_code == 0, result.output
    assert "2 donor(s) gave in 2025. Emailed 1; already emailed before: 0; " in result.output
    assert "without an email address: 1." in result.output
    assert "2/2 donors" in result.output  # progress
    ben = donors["ben"]
    assert f"#{ben.id} Ben Okafor: http://localhost/contacts/{ben.id}/statement-2025.pdf" in (
        result.output
    )

    (message,) = mail.to("ana@example.org")
    assert message["Subject"] == "Your 2025 giving statement from Protect Our Children"
    text = plain(message)
    assert "Dear Ana Núñez" in text
    # The refund after the first receipt brought a corrected one (numbered after the other
    # donors' receipts); the statement lists it, net amounts, and says what it corrects.
    assert ("Feb 3, 2025  2025-000004  Schools programme  given $100.00  returned $30.00  "
            "net $70.00  deductible $70.00") in text  # fmt: skip
    assert (
        "Nov 20, 2025  2025-000002  General fund  given $50.00  net $50.00  deductible $50.00"
        in (text)
    )
    assert (
        "Total given: $150.00\nReturned: $30.00\nNet: $120.00\nTotal tax-deductible: $120.00"
        in (text)
    )
    assert "Receipt 2025-000004 corrects 2025-000001: money went back" in text
    assert "Protect Our Children, Inc." in text and "36-1234567" in text
    assert mail.to("cleo@example.org") == [] and mail.to("dev@example.org") == []

    rows = {s.contact_id: s for s in _db.session.scalars(select(YearEndStatement))}
    ana_row = rows[donors["ana"].id]
    assert (ana_row.total_cents, ana_row.deductible_cents, ana_row.currency) == (
        12000,
        12000,
        "USD",
    )
    assert ana_row.emailed_at is not None
    assert rows[ben.id].emailed_at is None and rows[ben.id].total_cents == 2500
    assert set(rows) == {donors["ana"].id, ben.id}


def test_a_rerun_sends_nothing_twice_and_catches_new_donors(runner, mail, donors, make_contact,
                                                           make_donation):  # fmt: skip
    assert run(runner, "--year", str(YEAR)).exit_code == 0
    emails = count(OutboundEmail)
    mail.clear()

    again = run(runner, "--year", str(YEAR))
    assert again.exit_code == 0, again.output
    assert "Emailed 0; already emailed before: 1; without an email address: 1." in again.output
    assert mail.messages == [] and count(OutboundEmail) == emails
    assert count(YearEndStatement) == 2

    late = make_contact(first_name="Lee", last_name="Late", email="lee@example.org")
    make_donation(late, 1000, received_at=on(12, 31, hour=12))
    third = run(runner, "--year", str(YEAR))
    assert "3 donor(s) gave in 2025. Emailed 1; already emailed before: 1;" in third.output
    assert [m["To"] for m in mail.messages] == ["lee@example.org"]


def test_a_crash_mid_run_leaves_a_consistent_state(runner, mail, donors, make_contact,
                                                   make_donation, monkeypatch):  # fmt: skip
    zoe = make_contact(first_name="Zoe", last_name="Zed", email="zoe@example.org")
    make_donation(zoe, 7000, received_at=on(8, 8))
    mail.clear()
    real_queue = statements.queue_email

    def flaky_queue(**kwargs):
        if kwargs["to"] == "zoe@example.org":
            raise ConnectionError("mail store unavailable")
        return real_queue(**kwargs)

    monkeypatch.setattr(statements, "queue_email", flaky_queue)
    result = run(runner, "--year", str(YEAR))
    assert result.exit_code == 1
    assert "1 statement(s) failed" in result.output and "mail store unavailable" in result.output
    assert [m["To"] for m in mail.messages] == ["ana@example.org"]
    # Zoe's transaction rolled back whole: no row half-marked as sent.
    assert (
        _db.session.scalar(select(YearEndStatement).where(YearEndStatement.contact_id == zoe.id))
        is None
    )

    monkeypatch.setattr(statements, "queue_email", real_queue)
    mail.clear()
    retry = run(runner, "--year", str(YEAR))
    assert retry.exit_code == 0, retry.output
    assert [m["To"] for m in mail.messages] == ["zoe@example.org"]


def test_a_dry_run_writes_and_sends_nothing(runner, mail, donors):
    mail.clear()
    emails = count(OutboundEmail)
    result = run(runner, "--year", str(YEAR), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    assert "Would email 1; already emailed before: 0; without an email address: 1." in (
        result.output
    )
    assert count(YearEndStatement) == 0 and count(OutboundEmail) == emails
    assert mail.messages == []


@pytest.mark.parametrize(
    "year, message",
    [
        ("1800", "Choose a year from 2000 to"),
        ("3000", "Choose a year from 2000 to"),
        ("twenty", "'twenty' is not a valid integer"),
        ("2025.5", "is not a valid integer"),
        ("", "is not a valid integer"),
    ],
)
def test_a_bad_year_gets_a_clear_error_and_nothing_happens(runner, mail, donors, year, message):
    mail.clear()
    result = run(runner, "--year", year)
    assert result.exit_code == 2
    assert message in result.output and "--year" in result.output
    assert count(YearEndStatement) == 0 and mail.messages == []


def test_the_year_is_required(runner, db):
    result = run(runner)
    assert result.exit_code == 2 and "Missing option '--year'" in result.output


def test_the_year_follows_the_organisation_time_zone(runner, mail, make_contact, make_donation):
    # 03:00 UTC on 1 January 2025 is New Year's Eve 2024 in New York.
    eve = make_contact(first_name="Eve", last_name="Early", email="eve@example.org")
    make_donation(eve, 1234, received_at=datetime(2025, 1, 1, 3, tzinfo=UTC))
    assert "0 donor(s) gave in 2025" in run(runner, "--year", "2025").output
    assert "1 donor(s) gave in 2024" in run(runner, "--year", "2024").output
    assert "$12.34" in plain(mail.to("eve@example.org")[0])


def test_refunds_and_benefits_are_reflected_in_the_statement(runner, mail, make_contact,
                                                            make_donation):  # fmt: skip
    kim = make_contact(first_name="Kim", last_name="Ortiz", email="kim@example.org")
    make_donation(
        kim, 20000, received_at=on(4, 1), benefit_cents=2500, method=PaymentMethod.CASH
    )  # a $200 gala ticket with a $25 dinner
    partly = make_donation(kim, 10000, received_at=on(5, 1), stripe_payment_intent_id="pi_k1")
    whole = make_donation(kim, 5000, received_at=on(6, 1), stripe_payment_intent_id="pi_k2")
    apply_refund(partly, 4000, stripe_refund_id="re_k1")
    apply_refund(whole, 5000, stripe_refund_id="re_k2")
    _db.session.commit()

    assert run(runner, "--year", str(YEAR)).exit_code == 0
    text = plain(mail.to("kim@example.org")[0])
    assert (
        "Total given: $350.00\nReturned: $90.00\nNet: $260.00\nTotal tax-deductible: $235.00"
        in (text)
    )
    assert "fair market value has been subtracted" in text
    row = _db.session.scalars(select(YearEndStatement)).one()
    assert (row.total_cents, row.deductible_cents) == (26000, 23500)

    pdf = pdf_text(statement_pdf(statements.gather(kim, YEAR)))
    for expected in ("Year-end giving statement 2025", "Kim Ortiz", "$350.00", "$90.00",
                     "$260.00", "$235.00", "$175.00", "$60.00", "$40.00", "Total (USD)", "Net",
                     "Protect Our Children, Inc.", "36-1234567"):  # fmt: skip
        assert expected in pdf, expected


def test_the_statement_link_opens_the_pdf_and_a_tampered_one_is_404(client, mail, donors,
                                                                   runner):  # fmt: skip
    mail.clear()
    run(runner, "--year", str(YEAR))
    path = LINK.search(plain(mail.to("ana@example.org")[0])).group(1)
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    for expected in ("Ana Núñez", "2025-000001", "2025-000002", "$150.00", "$30.00", "$120.00"):
        assert expected in text, expected
    token = path.removeprefix("/receipts/statements/").removesuffix(".pdf")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/receipts/statements/{tampered}.pdf").status_code == 404
    # A receipt's token is no statement's token, and the reverse.
    assert client.get(f"/receipts/{token}.pdf").status_code == 404


def test_staff_download_a_statement_pdf(app, donors, make_user):
    ana = donors["ana"]
    url = f"/contacts/{ana.id}/statement-{YEAR}.pdf"
    client = app.test_client()
    client.login_as(make_user(Role.FUNDRAISER))
    response = client.get(url)
    assert response.status_code == 200
    assert "Total (USD)" in pdf_text(response.data)
    assert client.get(f"/contacts/{ana.id}/statement-{YEAR - 3}.pdf").status_code == 404
    coordinator = app.test_client()
    coordinator.login_as(make_user(Role.COORDINATOR))
    assert coordinator.get(url).status_code == 403


def test_statements_for_the_current_year_are_allowed(runner, db):
    result = run(runner, "--year", str(org_today().year))
    assert result.exit_code == 0, result.output
    assert "0 donor(s) gave" in result.output


def test_the_statement_pdf_falls_back_to_the_core_font(db, donors):
    text = pdf_text(statement_pdf(statements.gather(donors["ana"], YEAR), unicode_font=False))
    assert "Ana Núñez" in text and "$120.00" in text
