"""Donation receipts: numbered documents that are never edited, emailed once, with a signed
link to their PDF.

A gift's receipt is issued when its money is in; a refund or a lost dispute after that brings
a corrected receipt (it says which receipt it replaces and what is deductible now) or, when
nothing is left, a void notice, and the earlier receipt is kept, marked replaced or void.
Online gifts are receipted by the receipt job (`issue_due`), which numbers every due gift in
one short transaction under the year's counter lock instead of one lock per webhook; a gift
whose refund or dispute is still waiting to be applied is held back, so no receipt goes out
for money already returned.
"""

import logging
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from crm.donations.models import (
    Donation,
    DonationStatus,
    Receipt,
    ReceiptKind,
    ReceiptStatus,
    StripeEvent,
    StripeEventStatus,
)
from crm.donations.organisation import org_context
from crm.donations.receipt_pdf import method_label
from crm.donations.services import next_receipt_sequence, receipt_year
from crm.extensions import db
from crm.formats import format_date
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments.money import format_money

log = logging.getLogger("crm.donations.receipts")

RECEIPT_SALT = "donation-receipt-pdf"
# A gift is receipted once the money is in; pending and failed gifts wait or get nothing.
RECEIPTABLE = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED)
CORRECTABLE = (*RECEIPTABLE, DonationStatus.REFUNDED)
BATCH = 200
TEMPLATES = {
    ReceiptKind.ORIGINAL: ("donations/email/receipt", "Your receipt {number} from {org}"),
    ReceiptKind.CORRECTED: (
        "donations/email/receipt_corrected",
        "Corrected receipt {number} from {org} (replaces {replaced})",
    ),
    ReceiptKind.VOID_NOTICE: (
        "donations/email/receipt_void",
        "Receipt {replaced} from {org} is void",
    ),
}


# --- signed links -------------------------------------------------------------------------


def sign(salt: str, data: Any) -> str:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).dumps(data)


def unsign(salt: str, token: str) -> dict | None:
    """The signed data, or None for a token that is malformed, tampered or meant elsewhere."""
    try:
        data = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=salt).loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


def public_url(endpoint: str, **values) -> str:
    """An absolute link for email; works in a request, a worker or a CLI command alike."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def receipt_url(receipt: Receipt) -> str:
    token = sign(RECEIPT_SALT, {"receipt": receipt.id, "number": receipt.number})
    return public_url("donations.receipt_pdf_public", token=token)


def receipt_from_token(token: str) -> Receipt | None:
    data = unsign(RECEIPT_SALT, token)
    if data is None or not isinstance(data.get("receipt"), int):
        return None
    receipt = db.session.get(Receipt, data["receipt"])
    # The number too: ids can be reused after a restore, receipt numbers cannot.
    if receipt is None or receipt.number != data.get("number"):
        return None
    return receipt


# --- issuing ------------------------------------------------------------------------------


def send_receipt(donation: Donation) -> Receipt | None:
    """Bring the gift's receipt up to date now (staff's offline gifts, the tests) and email
    what was issued; None when the gift has no receipt in force."""
    donation.receipt_due = False
    bring_up_to_date(donation)
    return donation.receipt


def bring_up_to_date(donation: Donation) -> Receipt | None:
    """Issue the receipt the gift lacks, or the correction or void notice its refunds call
    for, and queue its email. Returns the new document, if one was issued."""
    if donation.status not in CORRECTABLE:
        return None
    current = next((r for r in donation.receipts if r.status == ReceiptStatus.CURRENT), None)
    if current is None:
        if donation.status == DonationStatus.REFUNDED:
            return None  # all of it went back before a receipt was issued: nothing to receipt
        return _issue(donation, ReceiptKind.ORIGINAL)
    if current.kind == ReceiptKind.VOID_NOTICE:
        _email_once(current)
        return None
    if (current.refunded_cents, current.deductible_cents) == (
        donation.refunded_cents,
        donation.deductible_cents,
    ):
        _email_once(current)  # numbered earlier without its email going out
        return None
    returned_all = donation.refunded_cents >= donation.amount_cents
    kind = ReceiptKind.VOID_NOTICE if returned_all else ReceiptKind.CORRECTED
    current.status = ReceiptStatus.VOID if returned_all else ReceiptStatus.REPLACED
    current.superseded_at = utcnow()
    db.session.flush()  # the old one stops being "current" before the new one is
    return _issue(donation, kind, replaces=current)


def _issue(donation: Donation, kind: ReceiptKind, replaces: Receipt | None = None) -> Receipt:
    from crm.audit.services import record_event

    year = receipt_year(donation)
    sequence = next_receipt_sequence(year)
    receipt = Receipt(
        donation=donation,
        year=year,
        sequence=sequence,
        number=f"{year}-{sequence:06d}",
        kind=kind,
        status=ReceiptStatus.CURRENT,
        replaces=replaces,
        amount_cents=donation.amount_cents,
        refunded_cents=donation.refunded_cents,
        benefit_cents=donation.benefit_cents,
        deductible_cents=0 if kind == ReceiptKind.VOID_NOTICE else donation.deductible_cents,
        currency=donation.currency,
        snapshot=snapshot(donation),
        issued_at=utcnow(),
    )
    # A new receipt is emailed now, so it is marked so as it is written (no other run can
    # have emailed it); one numbered earlier is claimed with an update (_email_once).
    receipt.emailed_at = receipt.issued_at if donation.contact.email else None
    db.session.add(receipt)
    db.session.flush()
    db.session.expire(donation, ["receipt"])
    record_event(f"receipt_{kind.value}", "Donation", donation.id, {"receipt": receipt.number})
    if receipt.emailed_at:
        _queue(receipt)
    return receipt


def snapshot(donation: Donation) -> dict:
    """What the receipt prints about the gift and its donor, as it stands now."""
    contact = donation.contact
    return {
        "donor": contact.full_name,
        "donor_lines": [contact.full_name, *contact.address_lines],
        "display_name": contact.display_name,
        "fund": donation.fund.name if donation.fund else "General fund",
        "campaign": donation.campaign.name if donation.campaign else None,
        "method": method_label(donation),
        "charged_back_cents": donation.charged_back_cents,
    }


def issue_due(limit: int = BATCH) -> int:
    """The receipt job: every gift marked due, numbered in the order they were received, in
    one transaction. A concurrent run waits for this one and then finds them done; gifts with
    a refund or dispute still waiting for them are held until it is applied. Donor, fund,
    campaign, refunds and receipts are loaded for the batch at once. Returns how many
    documents were issued."""
    query = (
        select(Donation)
        .where(Donation.receipt_due.is_(True))
        .order_by(Donation.id)
        .limit(limit)
        .with_for_update(of=Donation)
        .options(
            selectinload(Donation.contact),
            selectinload(Donation.fund),
            selectinload(Donation.campaign),
            selectinload(Donation.refunds),
            selectinload(Donation.receipts),
        )
    )
    gifts = db.session.scalars(query).all()
    held = _held(gifts)
    ready = sorted((g for g in gifts if g.id not in held), key=lambda g: (g.received_at, g.id))
    issued = sum(bring_up_to_date(g) is not None for g in ready)
    if ready:  # one statement, and no gift made "changed" for the summaries' listeners
        db.session.execute(
            update(Donation)
            .where(Donation.id.in_([g.id for g in ready]))
            .values(receipt_due=False)
            .execution_options(synchronize_session=False)
        )
    return issued


def issue_due_and_commit() -> int:
    try:
        issued = issue_due()
        db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("the receipt job failed; the gifts stay due and are tried again")
        return 0
    return issued


def _held(gifts: list[Donation]) -> set[int]:
    keys = {}
    for gift in gifts:
        for kind, ref in (
            ("payment_intent", gift.stripe_payment_intent_id),
            ("charge", gift.stripe_charge_id),
            ("invoice", gift.stripe_invoice_id),
        ):
            if ref:
                keys[f"{kind} {ref}"] = gift.id
    if not keys:
        return set()
    waiting = db.session.scalars(
        select(StripeEvent.waiting_for).where(
            StripeEvent.status == StripeEventStatus.WAITING,
            StripeEvent.waiting_for.in_(sorted(keys)),
        )
    ).all()
    return {keys[key] for key in waiting}


# --- the emails ---------------------------------------------------------------------------


def _email_once(receipt: Receipt) -> None:
    if receipt.donation.contact.email and _claim_email(receipt):
        _queue(receipt)


def _queue(receipt: Receipt) -> None:
    donation = receipt.donation
    template, subject = TEMPLATES[receipt.kind]
    replaced = receipt.replaces.number if receipt.replaces else ""
    queue_email(
        to=donation.contact.email,
        template=template,
        subject=subject.format(
            number=receipt.number, org=current_app.config["ORG_NAME"], replaced=replaced
        ),
        **receipt_context(receipt),
    )


def _claim_email(receipt: Receipt) -> bool:
    """Mark the receipt as emailed; False when another delivery already did."""
    now = utcnow()
    claimed = db.session.execute(
        update(Receipt)
        .where(Receipt.id == receipt.id, Receipt.emailed_at.is_(None))
        .values(emailed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed:
        receipt.emailed_at = now
    return bool(claimed)


def printed(receipt: Receipt) -> dict:
    """What the receipt says about its donor and gift: its snapshot, or for a receipt issued
    before snapshots were kept, the gift as it is."""
    return receipt.snapshot or snapshot(receipt.donation)


def receipt_context(receipt: Receipt) -> dict:
    """The receipt's own figures, as issued."""
    donation, currency = receipt.donation, receipt.currency
    facts = printed(receipt)
    money = lambda cents: format_money(cents, currency)  # noqa: E731
    charged_back = facts.get("charged_back_cents") or 0
    return {
        "donation": donation,
        "receipt": receipt,
        "replaced": receipt.replaces,
        "donor_name": facts.get("display_name") or facts["donor"],
        "date": format_date(donation.received_at, "long"),
        "amount": money(receipt.amount_cents),
        "benefit": money(receipt.benefit_cents) if receipt.benefit_cents else None,
        "refunded": money(receipt.refunded_cents - charged_back)
        if receipt.refunded_cents > charged_back
        else None,
        "charged_back": money(charged_back) if charged_back else None,
        "deductible": money(receipt.deductible_cents),
        "fund": facts["fund"],
        "pdf_url": receipt_url(receipt),
        **org_context(),
    }
