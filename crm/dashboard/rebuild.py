"""Recompute every summary from gifts, plans and events (`flask crm rebuild-summaries`).

Used after a bulk load that bypasses the ORM (the data generator), after changing
ORG_TIMEZONE or FISCAL_YEAR_START_MONTH, and by the test that incremental upkeep equals a
rebuild. It reads each table once, streaming, and loads the results in bulk."""

from collections import Counter as Tally
from collections import defaultdict
from itertools import groupby

from flask import current_app
from sqlalchemy import delete, func, select

from crm.dashboard import store
from crm.dashboard.calendar import zone
from crm.dashboard.facts import (
    DONOR_STATUSES,
    Gift,
    donor_states,
    encode_facts,
    event_facts,
    gift_rollups,
    new_rollups,
    plan_facts,
    state_facts,
)
from crm.dashboard.maintain import GIFT_COLUMNS, is_training
from crm.dashboard.models import Counter, DonorSummary, EventFact, GiftRollup
from crm.donations.models import Donation, DonationStatus, RecurringPlan
from crm.events.models import Event, EventType, Headcount, Registration, TrainingRequest

# On the statements, not the connection: Connection.execution_options() changes the
# connection itself, and every later statement in the transaction (inserts too) would then
# be sent as a server-side cursor.
STREAM = {"yield_per": 20_000, "stream_results": True}


def rebuild_summaries(conn) -> dict:
    """Replace the four summary tables; returns how many rows each received."""
    for model in (GiftRollup, DonorSummary, Counter, EventFact):
        conn.execute(delete(model.__table__))
    counters = Tally()
    rollups = _gift_rollups(conn)
    donors = _donors(conn, counters)
    _plans(conn, counters)
    facts = _events(conn, counters)
    store.bulk_load(conn, GiftRollup.__table__, rollups)
    store.bulk_load(conn, DonorSummary.__table__, donors)
    store.bulk_load(conn, EventFact.__table__, facts)
    counter_rows = [
        {"campaign_id": s, "metric": m, "bucket": b, "value": n}
        for (s, m, b), n in counters.items()
        if n
    ]
    store.bulk_load(conn, Counter.__table__, counter_rows)
    return {
        "gift rollups": len(rollups),
        "donor summaries": len(donors),
        "event facts": len(facts),
        "counters": len(counter_rows),
    }


def _gift_rollups(conn) -> list[dict]:
    d, tz, sums = Donation.__table__, zone(), new_rollups()
    query = select(*(d.c[c] for c in GIFT_COLUMNS)).where(d.c.status != DonationStatus.FAILED)
    for row in conn.execute(query.execution_options(**STREAM)):
        gift_rollups(Gift(*row), tz, 1, sums)
    # In key order, so that the rows of one bucket share pages and a period reads few.
    return [
        dict(zip(store.ROLLUP_KEYS, key, strict=True))
        | dict(zip(store.ROLLUP_SUMS, vector, strict=True))
        for key, vector in sorted(sums.items())
    ]


def _donors(conn, counters: Tally) -> list[dict]:
    d, tz = Donation.__table__, zone()
    fy_month = current_app.config["FISCAL_YEAR_START_MONTH"]
    query = (
        select(
            d.c.contact_id, d.c.campaign_id, d.c.received_at, d.c.amount_cents - d.c.refunded_cents
        )
        .where(d.c.status.in_(DONOR_STATUSES))
        .order_by(d.c.contact_id)
    )
    rows = []
    stream = conn.execute(query.execution_options(**STREAM))
    for contact_id, gifts in groupby(stream, key=lambda r: r[0]):
        states = donor_states((g[1:] for g in gifts), tz, fy_month)
        for scope, state in states.items():
            rows.append(state.row(contact_id, scope))
            counters.update(store.scoped(scope, state_facts(state, fy_month)))
    return rows


def _plans(conn, counters: Tally) -> None:
    p = RecurringPlan.__table__
    for status, amount, campaign_id in conn.execute(
        select(p.c.status, p.c.amount_cents, p.c.campaign_id)
    ):
        counters.update(plan_facts(status, amount, campaign_id))


def _events(conn, counters: Tally) -> list[dict]:
    e, t, tz = Event.__table__, EventType.__table__, zone()
    r, h = Registration.__table__, Headcount.__table__
    requested = Tally(
        dict(
            conn.execute(
                select(TrainingRequest.event_id, func.count())
                .where(TrainingRequest.event_id.is_not(None))
                .group_by(TrainingRequest.event_id)
            ).all()
        )
    )
    attended = dict(
        conn.execute(
            select(r.c.event_id, func.sum(1 + r.c.guests_attended))
            .where(r.c.attended_at.is_not(None))
            .group_by(r.c.event_id)
        ).all()
    )
    headcounts = defaultdict(dict)
    for event_id, audience, count in conn.execute(select(h.c.event_id, h.c.audience, h.c.count)):
        headcounts[event_id][audience.value] = headcounts[event_id].get(audience.value, 0) + count
    rows = []
    query = (
        select(e.c.id, e.c.starts_at, e.c.campaign_id, t.c.name)
        .join(t, t.c.id == e.c.type_id)
        .where(e.c.cancelled_at.is_(None))
    )
    for event_id, starts_at, campaign_id, type_name in conn.execute(query):
        reach = {"registrants": int(attended.get(event_id, 0)), **headcounts.get(event_id, {})}
        facts = event_facts(
            starts_at.astimezone(tz).date(),
            campaign_id,
            is_training(type_name, requested[event_id]),
            reach,
        )
        counters.update(facts)
        rows.append({"event_id": event_id, "facts": encode_facts(facts)})
    return rows
