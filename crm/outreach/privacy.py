"""A person's erasure reaches the suppression list, which holds addresses, not contact ids:
their address is forgotten with them. (Recipient rows are found by their contact id like
every other table; their copy of the address is scrubbed with the rest.)"""

from sqlalchemy import delete

from crm.dataio.privacy import eraser
from crm.extensions import db
from crm.outreach.models import Suppression


@eraser
def _suppression(who) -> None:
    if who.email_key:
        db.session.execute(delete(Suppression).where(Suppression.email_key == who.email_key))
