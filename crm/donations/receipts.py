"""Donation receipts: the emailed receipt for each gift."""

from flask import current_app

from crm.donations.models import Donation, Receipt
from crm.donations.services import issue_receipt
from crm.mail.services import queue_email
from crm.payments.money import format_money


def send_receipt(donation: Donation) -> Receipt:
    """Number the gift's receipt (once) and email it to the donor if they have an address."""
    already = donation.receipt is not None
    receipt = issue_receipt(donation)
    if not already and donation.contact.email:
        config = current_app.config
        queue_email(
            to=donation.contact.email,
            template="donations/email/receipt",
            subject=f"Your receipt {receipt.number} from {config['ORG_NAME']}",
            donation=donation,
            receipt=receipt,
            amount=format_money(receipt.amount_cents, receipt.currency),
            deductible=format_money(receipt.deductible_cents, receipt.currency),
            legal_name=config["ORG_LEGAL_NAME"],
            tax_id=config["ORG_TAX_ID"],
            address=config["ORG_ADDRESS"],
        )
    return receipt
