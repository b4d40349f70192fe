"""What the donations domain adds to a contact's page, for the roles that may see money: the
giving summary, gifts, soft credits and pledges on the timeline (a page at a time), and
buttons to record a gift or a pledge."""

from collections.abc import Iterable

from flask import has_request_context, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from crm.auth.roles import Role
from crm.contacts.panels import Panel, contact_panel
from crm.contacts.timeline import (
    ContactAction,
    Cursor,
    TimelineEntry,
    before,
    contact_action_source,
    newest,
    paged_source,
)
from crm.donations.credit_models import SoftCredit
from crm.donations.models import Donation
from crm.donations.pledge_models import Pledge
from crm.donations.services import org_today
from crm.donations.summary import (
    fiscal_year_start,
    given_by_member,
    giving_summary,
    household_totals,
)
from crm.extensions import db
from crm.payments.money import format_money


def _sees_money() -> bool:
    if not has_request_context():
        return False  # a report or a CLI command builds no contact page
    return current_user.is_authenticated and current_user.has_role(Role.FUNDRAISER)


@paged_source("gifts", "gifts")
def gifts(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    if not _sees_money():
        return
    query = newest(Donation, "gifts", Donation.received_at, cursor, limit,
                   Donation.contact_id == contact.id)  # fmt: skip
    for gift in db.session.scalars(query.options(joinedload(Donation.campaign))):
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
            row_id=gift.id,
        )


@paged_source("soft-credits", "gifts")
def soft_credits(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    if not _sees_money():
        return
    query = (
        select(SoftCredit, Donation)
        .join(Donation, Donation.id == SoftCredit.donation_id)
        .options(joinedload(Donation.contact))
        .where(SoftCredit.contact_id == contact.id,
               before(cursor, "soft-credits", Donation.received_at, SoftCredit.id))
        .order_by(Donation.received_at.desc(), SoftCredit.id.desc())
        .limit(limit)
    )  # fmt: skip
    for credit, gift in db.session.execute(query):
        yield TimelineEntry(
            when=gift.received_at, kind="gift",
            title=f"Soft credit of {format_money(credit.amount_cents, gift.currency)}",
            body=f"{credit.role.label}: a gift from {gift.contact.full_name}",
            url=url_for("donations.show", donation_id=gift.id), row_id=credit.id,
        )  # fmt: skip


@paged_source("pledges", "gifts")
def pledges(contact, cursor: Cursor | None, limit: int) -> Iterable[TimelineEntry]:
    if not _sees_money():
        return
    query = newest(Pledge, "pledges", Pledge.created_at, cursor, limit,
                   Pledge.contact_id == contact.id)  # fmt: skip
    for pledge in db.session.scalars(query):
        yield TimelineEntry(
            when=pledge.created_at, kind="gift",
            title=f"Pledged {format_money(pledge.amount_cents, pledge.currency)}",
            body=f"{pledge.frequency.label}, {pledge.status.value.replace('_', ' ')}",
            url=url_for("donations.pledge", pledge_id=pledge.id), row_id=pledge.id,
        )  # fmt: skip


@contact_panel(10)
def giving(contact) -> Panel | None:
    if not _sees_money():
        return None
    household = household_totals(contact.household_id) if contact.household_id else None
    return Panel("giving", "Giving", "donations/_giving_panel.html",
                 {"summary": giving_summary(contact.id), "household": household})  # fmt: skip


@contact_panel(10, "household")
def household_giving(household) -> Panel | None:
    if not _sees_money():
        return None
    members = [m.id for m in household.members]
    return Panel("giving", "Household giving", "donations/_household_giving.html", {
        "totals": household_totals(household.id), "by_member": given_by_member(members),
        "fiscal_year": fiscal_year_start(org_today()),
    })  # fmt: skip


@contact_action_source
def record_gift(contact) -> Iterable[ContactAction]:
    if _sees_money():
        yield ContactAction(
            "Record a gift", url_for("donations.record_gift", contact_id=contact.id)
        )
        yield ContactAction(
            "Record a pledge", url_for("donations.new_pledge", contact_id=contact.id)
        )
        yield ContactAction("Gifts", url_for("donations.index", contact_id=contact.id))
