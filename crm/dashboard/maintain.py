"""Keeps the summary tables current on every write, in the writer's own transaction.

Any flush that adds or changes a gift, a recurring plan, an event, a registration or a
headcount updates the summaries before the commit: webhooks, offline gifts, refunds,
check-ins and imports alike, with no nightly job. Before the flush, the database still holds
what each changed gift and plan contributed; after it, the objects hold what they contribute
now; the difference is added. Donors and events are recomputed whole (a donor's gifts, an
event's attendance are few) and compared with what their summary rows said."""

from collections import Counter as Tally

from flask import current_app, has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from crm.contacts.models import Contact
from crm.contacts.services import merge_listener
from crm.dashboard import store
from crm.dashboard.calendar import zone
from crm.dashboard.facts import (
    DONOR_STATUSES,
    Gift,
    decode_facts,
    difference,
    donor_states,
    encode_facts,
    event_facts,
    gift_rollups,
    new_rollups,
    plan_facts,
    state_facts,
    stored_donor_facts,
)
from crm.dashboard.models import EventFact
from crm.donations.models import Donation, RecurringPlan
from crm.events.models import Event, EventType, Headcount, Registration, TrainingRequest

GIFT_COLUMNS = (
    "status",
    "received_at",
    "campaign_id",
    "fund_id",
    "source",
    "amount_cents",
    "refunded_cents",
    "fee_cents",
)
PLAN_COLUMNS = ("status", "amount_cents", "campaign_id")
EVENT_MODELS = (Event, Registration, Headcount)


def register() -> None:
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "after_flush", _after_flush)


def _changed(session: Session, model) -> list:
    return [o for o in (*session.new, *session.dirty, *session.deleted) if isinstance(o, model)]


def _before_flush(session: Session, flush_context, instances) -> None:
    if not has_app_context():
        return
    old = session.info.setdefault("dashboard_before", {})
    for model, columns in ((Donation, GIFT_COLUMNS), (RecurringPlan, PLAN_COLUMNS)):
        ids = [o.id for o in _changed(session, model) if o.id is not None and o not in session.new]
        if not ids:
            continue
        table = model.__table__
        query = select(table.c.id, table.c.contact_id, *(table.c[c] for c in columns))
        conn = session.connection()
        if conn.dialect.name == "postgresql":
            # Wait for a concurrent writer of the same rows, then read what it committed: the
            # difference added after this flush is then exactly what this flush changed.
            query = query.with_for_update()
        for row in conn.execute(query.where(table.c.id.in_(sorted(ids)))):
            old[(model, row.id)] = row


def _after_flush(session: Session, flush_context) -> None:
    old = session.info.pop("dashboard_before", {})
    if not has_app_context():
        return
    gifts, plans = _changed(session, Donation), _changed(session, RecurringPlan)
    events = _event_ids(session)
    if not (gifts or plans or events):
        return
    conn = session.connection()
    contacts = _update_gifts(conn, session, gifts, old)
    for contact_id in sorted(contacts):
        refresh_donor(conn, contact_id)
    _update_plans(conn, session, plans, old)
    for event_id in sorted(events):
        refresh_event(conn, event_id)


def _gift(row) -> Gift:
    return Gift(*(getattr(row, c) for c in GIFT_COLUMNS))


def _update_gifts(conn, session, gifts: list, old: dict) -> set[int]:
    deltas, contacts, tz = new_rollups(), set(), zone()
    for gift in gifts:
        before = None if gift in session.new else old.get((Donation, gift.id))
        if gift not in session.new and before is None:
            continue  # changed after the snapshot was taken: nothing we can compare
        after = None if gift in session.deleted else gift
        gift_rollups(before and _gift(before), tz, -1, deltas)
        gift_rollups(after and _gift(after), tz, 1, deltas)
        contacts |= {r.contact_id for r in (before, after) if r is not None}
    store.add_rollups(conn, deltas)
    return contacts


def _update_plans(conn, session, plans: list, old: dict) -> None:
    deltas = Tally()
    for plan in plans:
        before = None if plan in session.new else old.get((RecurringPlan, plan.id))
        if before is not None:
            deltas.subtract(plan_facts(before.status, before.amount_cents, before.campaign_id))
        if plan not in session.deleted:
            deltas.update(plan_facts(plan.status, plan.amount_cents, plan.campaign_id))
    store.add_counters(conn, dict(deltas))


def _event_ids(session: Session) -> set[int]:
    ids = set()
    for obj in _changed(session, EVENT_MODELS):
        ids.add(obj.id if isinstance(obj, Event) else obj.event_id)
    return {i for i in ids if i is not None}


# --- whole donors and events ------------------------------------------------------------


def _fy_month() -> int:
    return current_app.config["FISCAL_YEAR_START_MONTH"]


def donor_gifts(conn, contact_id: int):
    d = Donation.__table__
    return conn.execute(
        select(d.c.campaign_id, d.c.received_at, d.c.amount_cents - d.c.refunded_cents).where(
            d.c.contact_id == contact_id, d.c.status.in_(DONOR_STATUSES)
        )
    ).all()


def refresh_donor(conn, contact_id: int) -> None:
    """Recompute one donor's summary rows and move the counters by the difference."""
    _lock(conn, Contact.__table__, contact_id)
    fy_month = _fy_month()
    states = donor_states(donor_gifts(conn, contact_id), zone(), fy_month)
    stored = {row.campaign_id: row for row in store.stored_donor(conn, contact_id)}
    new_rows = [state.row(contact_id, scope) for scope, state in states.items()]
    if _same(stored, new_rows):
        return
    deltas = Tally()
    for scope, row in stored.items():
        deltas.subtract(store.scoped(scope, stored_donor_facts(row, fy_month)))
    for scope, state in states.items():
        deltas.update(store.scoped(scope, state_facts(state, fy_month)))
    store.add_counters(conn, {k: n for k, n in deltas.items() if n})
    store.replace_donor(conn, contact_id, new_rows)


def _same(stored: dict, new_rows: list[dict]) -> bool:
    if len(stored) != len(new_rows):
        return False
    for row in new_rows:
        old = stored.get(row["campaign_id"])
        if old is None or any(getattr(old, k) != v for k, v in row.items()):
            return False
    return True


def _lock(conn, table, row_id: int) -> None:
    """Concurrent writes for one donor or event queue here, so that each reads the summary
    row the other wrote, not the one before it."""
    if conn.dialect.name == "postgresql":
        conn.execute(select(table.c.id).where(table.c.id == row_id).with_for_update())


def current_event_facts(conn, event_id: int) -> Tally:
    e, t = Event.__table__, EventType.__table__
    row = conn.execute(
        select(e.c.starts_at, e.c.campaign_id, t.c.name)
        .join(t, t.c.id == e.c.type_id)
        .where(e.c.id == event_id, e.c.cancelled_at.is_(None))  # a cancelled one was not held
    ).first()
    if row is None:
        return Tally()
    requested = conn.execute(
        select(func.count()).where(TrainingRequest.__table__.c.event_id == event_id)
    ).scalar_one()
    r = Registration.__table__
    attended = conn.execute(
        select(func.coalesce(func.sum(1 + r.c.guests_attended), 0)).where(
            r.c.event_id == event_id, r.c.attended_at.is_not(None)
        )
    ).scalar_one()
    h = Headcount.__table__
    reach = {"registrants": int(attended)}
    for audience, count in conn.execute(
        select(h.c.audience, h.c.count).where(h.c.event_id == event_id)
    ):
        reach[audience.value] = reach.get(audience.value, 0) + count
    training = is_training(row.name, requested)
    return event_facts(row.starts_at.astimezone(zone()).date(), row.campaign_id, training, reach)


def is_training(type_name: str, requested: int) -> bool:
    """An event scheduled from a training request, or of a type named as a training."""
    return bool(requested) or "training" in type_name.lower()


def refresh_event(conn, event_id: int) -> None:
    _lock(conn, Event.__table__, event_id)
    table = EventFact.__table__
    stored = conn.execute(select(table.c.facts).where(table.c.event_id == event_id)).scalar()
    old, new = decode_facts(stored), current_event_facts(conn, event_id)
    if old == new:
        return
    store.add_counters(conn, difference(new, old))
    store.replace_event_fact(conn, event_id, encode_facts(new))


@merge_listener
def _contacts_merged(survivor_id: int, other_id: int) -> None:
    """A merge moves gifts by a bulk update that flush events do not see."""
    from crm.extensions import db

    conn = db.session.connection()
    for contact_id in sorted((survivor_id, other_id)):
        refresh_donor(conn, contact_id)
