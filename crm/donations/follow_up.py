"""What a gift or a plan sets going when it is written, in the writer's own flush (webhooks,
offline gifts, imports alike): a new gift waits for its thank-you; a first gift or a major
one gets a task to thank the donor; a monthly plan that falls past due or stops gets a task
to call the donor; a refunded gift that paid a pledge reopens it."""

from flask import current_app, has_app_context
from sqlalchemy import event, func, insert, inspect, select
from sqlalchemy.orm import Session

from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.donations.credit_models import GiftAcknowledgement
from crm.donations.credits import GONE, acknowledgement_rows, nothing_to_thank
from crm.donations.models import Donation, DonationStatus, PlanStatus, RecurringPlan
from crm.donations.pledges import pledges_paid_by, refresh
from crm.payments.money import format_money
from crm.work.services import auto_due, insert_auto_tasks

THANK_TASK_DAYS = 2
CALL_TASK_DAYS = 3
LAPSED = (PlanStatus.PAST_DUE, PlanStatus.CANCELLED)
COUNTED = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.PENDING)


def register() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)


def _after_flush(session: Session, flush_context) -> None:
    if not has_app_context():
        return
    gifts = [o for o in session.new if isinstance(o, Donation)]
    changed = [o for o in session.dirty if isinstance(o, Donation) and _money_changed(o)]
    plans = [o for o in session.dirty if isinstance(o, RecurringPlan) and _lapsed(o)]
    if not (gifts or changed or plans):
        return
    conn = session.connection()
    if gifts:
        conn.execute(insert(GiftAcknowledgement), acknowledgement_rows(gifts))
        insert_auto_tasks(conn, _thank_tasks(conn, gifts))
    if changed:
        ids = [g.id for g in changed]
        refresh(conn, list(conn.execute(pledges_paid_by(ids)).scalars()))
        nothing_to_thank(conn, [g.id for g in changed if g.status in GONE])
    if plans:
        insert_auto_tasks(conn, _call_tasks(conn, plans))


def _money_changed(gift: Donation) -> bool:
    state = inspect(gift)
    return (
        state.attrs.refunded_cents.history.has_changes() or state.attrs.status.history.has_changes()
    )


def _lapsed(plan: RecurringPlan) -> bool:
    history = inspect(plan).attrs.status.history
    return bool(history.added) and plan.status in LAPSED and PlanStatus.ACTIVE in history.deleted


def _names(conn, contact_ids) -> dict[int, str]:
    query = select(Contact.id, Contact.first_name, Contact.last_name).where(
        Contact.id.in_(sorted(contact_ids))
    )
    return {row.id: f"{row.first_name} {row.last_name}".strip() for row in conn.execute(query)}


def _thank_tasks(conn, gifts: list[Donation]) -> list[dict]:
    """A thank-you task for each first gift and each major gift waiting to be thanked."""
    waiting = {
        row["donation_id"] for row in acknowledgement_rows(gifts) if row["status"] == "pending"
    }
    fresh = [g for g in gifts if g.id in waiting and g.status in COUNTED]
    if not fresh:
        return []
    ids = {g.contact_id for g in fresh}
    given = dict(
        conn.execute(
            select(Donation.contact_id, func.count())
            .where(Donation.contact_id.in_(sorted(ids)), Donation.status != DonationStatus.FAILED)
            .group_by(Donation.contact_id)
        ).all()
    )
    new_here = {}
    for gift in fresh:
        new_here[gift.contact_id] = new_here.get(gift.contact_id, 0) + 1
    names, major = _names(conn, ids), current_app.config["MAJOR_GIFT_CENTS"]
    tasks = []
    for gift in fresh:
        first = given.get(gift.contact_id, 0) <= new_here[gift.contact_id]
        if not first and gift.amount_cents < major:
            continue
        amount = format_money(gift.amount_cents, gift.currency)
        why = "their first gift" if first else "their gift"
        title = f"Thank {names.get(gift.contact_id, 'the donor')} for {why} of {amount}"
        if gift.amount_cents >= major:
            title += " (major gift)"
        tasks.append(_task(title[:200], f"thank:{gift.id}", THANK_TASK_DAYS,
                           contact_id=gift.contact_id, donation_id=gift.id))  # fmt: skip
    return tasks


def _call_tasks(conn, plans: list[RecurringPlan]) -> list[dict]:
    names = _names(conn, {p.contact_id for p in plans})
    tasks = []
    for plan in plans:
        amount = format_money(plan.amount_cents, plan.currency)
        what = "is past due" if plan.status == PlanStatus.PAST_DUE else "has stopped"
        title = (
            f"Call {names.get(plan.contact_id, 'the donor')}: their monthly gift of {amount} {what}"
        )
        key = f"lapsed:{plan.id}:{plan.status.value}:{auto_due(0).isoformat()}"
        tasks.append(_task(title[:200], key, CALL_TASK_DAYS, contact_id=plan.contact_id))
    return tasks


def _task(title: str, key: str, days: int, **subjects) -> dict:
    return {"title": title, "auto_key": key, "due_on": auto_due(days), "team": Role.FUNDRAISER,
            "assignee_id": None, **subjects}  # fmt: skip
