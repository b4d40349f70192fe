"""Giving on the contacts list, for the roles that see money: what each person has given
(gifts less refunds; failed payments left out, as on the dashboard) and the day of their
latest gift. One grouped query for the page's contacts."""

from collections import defaultdict

from sqlalchemy import func, select

from crm.contacts.columns import ListColumn, list_column_source
from crm.donations.contact_hooks import _sees_money
from crm.donations.models import Donation, DonationStatus
from crm.extensions import db
from crm.formats import format_date
from crm.payments.money import format_money


@list_column_source
def giving(contact_ids: list[int]) -> list[ListColumn]:
    if not _sees_money():
        return []
    rows = db.session.execute(
        select(
            Donation.contact_id,
            Donation.currency,
            func.sum(Donation.amount_cents - Donation.refunded_cents),
            func.max(Donation.received_at),
        )
        .where(Donation.contact_id.in_(contact_ids), Donation.status != DonationStatus.FAILED)
        .group_by(Donation.contact_id, Donation.currency)
        .order_by(Donation.contact_id, Donation.currency)
    )
    given, last = defaultdict(list), {}
    for contact_id, currency, net, latest in rows:
        given[contact_id].append(format_money(net, currency))
        last[contact_id] = max(latest, last.get(contact_id, latest))
    return [
        ListColumn("Given", {k: " · ".join(v) for k, v in given.items()}, numeric=True),
        ListColumn("Last gift", {k: format_date(v) for k, v in last.items()}),
    ]
