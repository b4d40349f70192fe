"""What the donations domain adds to a contact's page: gifts on the timeline and a button to
record an offline gift, for the roles that may see money."""

from collections.abc import Iterable

from flask import has_request_context, url_for
from flask_login import current_user
from sqlalchemy import select

from crm.auth.roles import Role
from crm.contacts.timeline import (
    ContactAction,
    TimelineEntry,
    contact_action_source,
    timeline_source,
)
from crm.donations.models import Donation
from crm.extensions import db
from crm.payments.money import format_money


def _sees_money() -> bool:
    if not has_request_context():
        return False  # a report or a CLI command builds no contact page
    return current_user.is_authenticated and current_user.has_role(Role.FUNDRAISER)


@timeline_source
def gifts(contact) -> Iterable[TimelineEntry]:
    if not _sees_money():
        return
    query = (
        select(Donation)
        .where(Donation.contact_id == contact.id)
        .order_by(Donation.received_at.desc())
    )
    for gift in db.session.scalars(query.limit(50)):
        kind = "monthly gift" if gift.recurring_plan_id else "gift"
        status = (
            "" if gift.status.value == "succeeded" else f" ({gift.status.value.replace('_', ' ')})"
        )
        yield TimelineEntry(
            when=gift.received_at,
            kind="gift",
            title=f"{format_money(gift.amount_cents, gift.currency)} {kind}{status}",
            body=gift.campaign.name if gift.campaign else "",
            url=url_for("donations.show", donation_id=gift.id),
        )


@contact_action_source
def record_gift(contact) -> Iterable[ContactAction]:
    if _sees_money():
        yield ContactAction(
            "Record a gift", url_for("donations.record_gift", contact_id=contact.id)
        )
        yield ContactAction("Gifts", url_for("donations.index", contact_id=contact.id))
