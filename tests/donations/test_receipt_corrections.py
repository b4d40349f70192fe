"""Receipts stay true after money goes back: a refund or a lost dispute after the receipt
brings a corrected receipt (which receipt it replaces, what is deductible now) or a void
notice; the old receipt is kept and marked, never edited; a refund that arrives before its
charge never lets a receipt go out for the returned money."""

import io
import re

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import services
from crm.donations.models import (
    Donation,
    Frequency,
    Receipt,
    ReceiptKind,
    ReceiptStatus,
)
from crm.extensions import db as _db
from crm.mail.models import OutboundEmail
from tests import stripe_support as ss

LINK = re.compile(r"http://localhost(/receipts/[^\s\"<>]+\.pdf)")


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return text.replace(":", "")


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def gift(client, db, make_campaign):
    """A $50 gift by card, recorded and receipted from checkout.session.completed."""
    campaign = make_campaign()
    data = {"frequency": Frequency.ONE_TIME, "amount_cents": 5000, "first_name": "Rae",
            "last_name": "Donor", "email": "rae@example.org"}  # fmt: skip
    intent = services.create_intent(campaign, data)
    db.session.commit()
    session = ss.checkout_session(intent, payment_intent="pi_rc", id="cs_rc")
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    return _db.session.scalars(select(Donation)).one()


def receipts() -> list[Receipt]:
    _db.session.expire_all()
    return _db.session.scalars(select(Receipt).order_by(Receipt.id)).all()


def test_a_partial_refund_after_the_receipt_brings_a_corrected_receipt(client, mail, gift):
    [original] = receipts()
    assert (original.kind, original.deductible_cents) == (ReceiptKind.ORIGINAL, 5000)
    ss.deliver(client, ss.event("charge.refunded", ss.charge("pi_rc", 5000, amount_refunded=2000)))
    old, new = receipts()
    assert (old.id, old.status, old.deductible_cents) == (original.id, ReceiptStatus.REPLACED, 5000)
    assert old.superseded_at is not None
    assert (new.kind, new.status, new.replaces_id) == (
        ReceiptKind.CORRECTED, ReceiptStatus.CURRENT, old.id,
    )  # fmt: skip
    assert (new.amount_cents, new.refunded_cents, new.deductible_cents) == (5000, 2000, 3000)
    assert _db.session.get(Donation, gift.id).receipt.id == new.id
    correction, first = sorted(mail.to("rae@example.org"), key=lambda m: m["Subject"])
    assert correction["Subject"] == (
        f"Corrected receipt {new.number} from Protect Our Children (replaces {old.number})"
    )
    text = plain(correction)
    for expected in (f"Replaces receipt: {old.number}", "Amount received: $50.00",
                     "Refunded to you: $20.00", "Tax-deductible amount now: $30.00"):  # fmt: skip
        assert expected in text, expected
    pdf = pdf_text(client.get(LINK.search(text).group(1)).data)
    assert f"Corrected donation receipt {new.number}" in pdf
    assert "Tax-deductible amount $30.00" in pdf and "Refunded to the donor $20.00" in pdf
    # The first receipt's link still opens it as issued, marked replaced.
    old_pdf = pdf_text(client.get(LINK.search(plain(first)).group(1)).data)
    assert "Tax-deductible amount $50.00" in old_pdf and "Refunded" not in old_pdf
    assert f"This receipt was replaced by {new.number}" in old_pdf


def test_a_full_refund_voids_the_receipt_with_a_notice(client, mail, gift):
    ss.deliver(client, ss.event("charge.refunded", ss.charge("pi_rc", 5000, amount_refunded=1500)))
    ss.deliver(client, ss.event("charge.refunded", ss.charge("pi_rc", 5000, amount_refunded=5000)))
    original, corrected, notice = receipts()
    assert [r.status for r in (original, corrected, notice)] == [
        ReceiptStatus.REPLACED, ReceiptStatus.VOID, ReceiptStatus.CURRENT,
    ]  # fmt: skip
    assert (notice.kind, notice.deductible_cents, notice.refunded_cents) == (
        ReceiptKind.VOID_NOTICE, 0, 5000,
    )  # fmt: skip
    assert (corrected.deductible_cents, notice.replaces_id) == (3500, corrected.id)
    [message] = [m for m in mail.to("rae@example.org") if "void" in m["Subject"]]
    assert message["Subject"] == f"Receipt {corrected.number} from Protect Our Children is void"
    text = plain(message)
    assert f"Cancels receipt: {corrected.number}" in text
    assert "Tax-deductible amount now: $0.00" in text and "Refunded to you: $50.00" in text
    pdf = pdf_text(client.get(LINK.search(text).group(1)).data)
    assert f"Void notice {notice.number}" in pdf and "Tax-deductible amount $0.00" in pdf
    # Stripe's resend changes nothing: no fourth document, no fourth email.
    ss.deliver(client, ss.event("charge.refunded", ss.charge("pi_rc", 5000, amount_refunded=5000)))
    assert len(receipts()) == 3 and len(mail.to("rae@example.org")) == 3


def test_a_lost_dispute_corrects_the_receipt_as_a_chargeback(client, mail, gift, make_user):
    make_user(Role.FUNDRAISER)
    dispute = ss.dispute("ch_rc", "pi_rc", 5000, "needs_response", id="dp_rc")
    ss.deliver(client, ss.event("charge.dispute.created", dispute))
    assert len(receipts()) == 1  # an open dispute changes no receipt
    ss.deliver(client, ss.event("charge.dispute.closed", {**dispute, "status": "lost"}))
    original, notice = receipts()
    assert (original.status, notice.kind) == (ReceiptStatus.VOID, ReceiptKind.VOID_NOTICE)
    text = plain(next(m for m in mail.to("rae@example.org") if "void" in m["Subject"]))
    assert "Taken back by your bank (a dispute): $50.00" in text
    assert "Refunded to you" not in text  # a chargeback is not a refund we made
    pdf = pdf_text(client.get(LINK.search(text).group(1)).data)
    assert "Charged back (dispute lost) $50.00" in pdf and "Refunded" not in pdf


def test_a_refund_before_its_charge_never_lets_a_receipt_go_out_for_returned_money(
    client, db, make_campaign, mail
):
    campaign = make_campaign()
    for n, refunded in enumerate((1000, 5000)):
        data = {"frequency": Frequency.ONE_TIME, "amount_cents": 5000, "first_name": "Ed",
                "last_name": "Early", "email": f"early{n}@example.org"}  # fmt: skip
        intent = services.create_intent(campaign, data)
        db.session.commit()
        pi = f"pi_early{n}"
        refund = ss.charge(pi, 5000, amount_refunded=refunded)
        ss.deliver(client, ss.event("charge.refunded", refund))  # first: it waits
        session = ss.checkout_session(intent, payment_intent=pi)
        ss.deliver(client, ss.event("checkout.session.completed", session))
    partly, wholly = _db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert (partly.refunded_cents, wholly.refunded_cents) == (1000, 5000)
    [receipt] = receipts()  # one receipt, for the money kept; none for the gift returned whole
    assert (receipt.donation_id, receipt.kind) == (partly.id, ReceiptKind.ORIGINAL)
    assert (receipt.refunded_cents, receipt.deductible_cents) == (1000, 4000)
    [message] = mail.to("early0@example.org")
    assert "Tax-deductible amount: $40.00" in plain(message)
    assert "Refunded to you: $10.00" in plain(message)
    assert mail.to("early1@example.org") == []
    subjects = [m.subject for m in _db.session.scalars(select(OutboundEmail))]
    assert not any("orrected" in s or "void" in s for s in subjects)


def test_a_staff_refund_of_a_cheque_gift_corrects_its_receipt(client, make_user, make_contact,
                                                              mail):  # fmt: skip
    client.login(make_user(Role.FUNDRAISER))
    donor = make_contact(first_name="Che", last_name="Que", email="cheque@example.org")
    client.form(f"/contacts/{donor.id}/gifts/new",
                {"method": "cheque", "amount": "200", "received_on": "2026-03-02",
                 "cheque_number": "881"})  # fmt: skip
    gift = _db.session.scalars(select(Donation)).one()
    client.form(f"/donations/{gift.id}/refund", {"amount": "75", "reason": "Overpaid"})
    original, corrected = receipts()
    assert (corrected.deductible_cents, corrected.replaces_id) == (12500, original.id)
    page = client.get(f"/donations/{gift.id}")
    assert f"{corrected.number}" in page.text and "replaced" in page.text
