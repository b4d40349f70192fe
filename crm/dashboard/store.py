"""Writing the summary tables: adding deltas by upsert, and bulk loading on rebuild."""

import json
from collections import Counter as Tally
from itertools import chain, islice

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from crm.dashboard.models import Counter, DonorSummary, EventFact, GiftRollup

ROLLUP_KEYS = ("grain", "bucket", "campaign_id", "fund_id", "source")
ROLLUP_SUMS = ("gifts", "gross_cents", "refunded_cents", "fee_cents")
COUNTER_KEYS = ("campaign_id", "metric", "bucket")


def _insert(conn):
    return pg_insert if conn.dialect.name == "postgresql" else sqlite_insert


def _add(conn, table, keys: tuple, sums: tuple, rows: list[dict]) -> None:
    """Insert rows, or add their sums to the rows already there. Rows go in key order so
    that concurrent writers lock shared rows in the same order and cannot deadlock."""
    if not rows:
        return
    rows.sort(key=lambda r: tuple(str(r[k]) for k in keys))
    statement = _insert(conn)(table)
    statement = statement.on_conflict_do_update(
        index_elements=list(keys), set_={s: table.c[s] + statement.excluded[s] for s in sums}
    )
    conn.execute(statement, rows)
    # A row whose sums went back to zero (a gift refunded, moved or undone) is removed, so the
    # tables hold exactly what a rebuild would.
    touched = tuple_(*(table.c[k] for k in keys)).in_([tuple(r[k] for k in keys) for r in rows])
    conn.execute(delete(table).where(touched, *(table.c[s] == 0 for s in sums)))


def add_rollups(conn, deltas: dict) -> None:
    rows = [
        dict(zip(ROLLUP_KEYS, key, strict=True)) | dict(zip(ROLLUP_SUMS, sums, strict=True))
        for key, sums in deltas.items()
        if any(sums)
    ]
    _add(conn, GiftRollup.__table__, ROLLUP_KEYS, ROLLUP_SUMS, rows)


def add_counters(conn, deltas: dict) -> None:
    rows = [
        {"campaign_id": s, "metric": m, "bucket": b, "value": n}
        for (s, m, b), n in deltas.items()
        if n
    ]
    _add(conn, Counter.__table__, COUNTER_KEYS, ("value",), rows)


def scoped(scope: int, facts: Tally) -> Tally:
    return Tally({(scope, metric, bucket): n for (metric, bucket), n in facts.items()})


def replace_donor(conn, contact_id: int, rows: list[dict]) -> None:
    table = DonorSummary.__table__
    conn.execute(delete(table).where(table.c.contact_id == contact_id))
    if rows:
        conn.execute(table.insert(), rows)


def stored_donor(conn, contact_id: int) -> list:
    table = DonorSummary.__table__
    return conn.execute(select(table).where(table.c.contact_id == contact_id)).all()


def replace_event_fact(conn, event_id: int, encoded: dict | None) -> None:
    table = EventFact.__table__
    conn.execute(delete(table).where(table.c.event_id == event_id))
    if encoded:
        conn.execute(table.insert(), [{"event_id": event_id, "facts": encoded}])


def bulk_load(conn, table, rows) -> None:
    """Many rows at once, streamed: COPY on PostgreSQL, batched inserts elsewhere. Every row
    has the keys of the first."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = chain([first], rows)
    if conn.dialect.name != "postgresql":
        while batch := list(islice(rows, 5000)):
            conn.execute(table.insert(), batch)
        return
    columns = list(first)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_copy_value(row[c]) for c in columns])


def _copy_value(value):
    if isinstance(value, list | dict):
        return json.dumps(value)
    return value
