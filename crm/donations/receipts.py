"""Donation receipts: the emailed receipt of each gift and the signed link to its PDF.

A receipt is numbered once (services.issue_receipt) and emailed once: `emailed_at` is claimed
with a conditional update in the same transaction as the outbox message, so a webhook delivered
twice, or a gift recorded and then re-sent, never mails the donor twice.
"""

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import update

from config import org_fact
from crm.donations.models import Donation, DonationStatus, Receipt
from crm.donations.services import issue_receipt
from crm.extensions import db
from crm.formats import format_date
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments.money import format_money

RECEIPT_SALT = "donation-receipt-pdf"
# A gift is receipted once the money is in; pending and failed gifts wait or get nothing.
RECEIPTABLE = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED)


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


# --- the receipt email --------------------------------------------------------------------


def send_receipt(donation: Donation) -> Receipt | None:
    """Number the gift's receipt (once) and email it to the donor (once) if they have an
    address. Gifts whose money has not arrived get nothing and None comes back."""
    if donation.status not in RECEIPTABLE:
        return None
    receipt = issue_receipt(donation)
    if donation.contact.email and _claim_email(receipt):
        queue_email(
            to=donation.contact.email,
            template="donations/email/receipt",
            subject=f"Your receipt {receipt.number} from {current_app.config['ORG_NAME']}",
            **receipt_context(receipt),
        )
    return receipt


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


def org_context() -> dict:
    config = current_app.config
    return {
        "legal_name": org_fact(config, "ORG_LEGAL_NAME") or config["ORG_NAME"],
        "tax_id": org_fact(config, "ORG_TAX_ID"),
        "address": org_fact(config, "ORG_ADDRESS"),
    }


def receipt_context(receipt: Receipt) -> dict:
    donation, currency = receipt.donation, receipt.currency
    return {
        "donation": donation,
        "receipt": receipt,
        "donor_name": donation.contact.display_name,
        "date": format_date(donation.received_at, "long"),
        "amount": format_money(donation.amount_cents, currency),
        "benefit": format_money(donation.benefit_cents, currency)
        if donation.benefit_cents
        else None,
        "refunded": format_money(donation.refunded_cents, currency)
        if donation.refunded_cents
        else None,
        "deductible": format_money(donation.deductible_cents, currency),
        "fund": donation.fund.name if donation.fund else "General fund",
        "pdf_url": receipt_url(receipt),
        **org_context(),
    }
