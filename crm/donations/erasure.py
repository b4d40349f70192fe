"""Erasing a donor (crm.dataio.privacy) reaches the copies of their name and address that
receipts keep as printed: the receipt stays, with its number and figures, for the accounts."""

from sqlalchemy import select

from crm.dataio.privacy import Identity, eraser
from crm.donations.models import Donation, Receipt
from crm.extensions import db

ERASED = "Erased contact"


@eraser
def _receipt_snapshots(who: Identity) -> None:
    receipts = db.session.scalars(
        select(Receipt)
        .join(Donation, Donation.id == Receipt.donation_id)
        .where(Donation.contact_id == who.contact_id, Receipt.snapshot.is_not(None))
    )
    for receipt in receipts:
        receipt.snapshot = {
            **receipt.snapshot,
            "donor": ERASED,
            "display_name": ERASED,
            "donor_lines": [ERASED],
        }
    db.session.flush()
