"""The donor record's part of a generated history (`generate-data`, and `make run`'s demo):
gifts thanked (the last weeks' partly still waiting), households of two with a spouse link
and soft credits between them, other links between people, pledges paid by the donors' own
gifts (some behind), and tasks for every team, some overdue. At scale 1.0: about 5k
households, 10k links, 5k pledges and 2k tasks. Rows go in by COPY or INSERT ... SELECT,
bypassing the ORM (and so the flush hooks that set tasks and thanks)."""

from datetime import date, timedelta

from sqlalchemy import bindparam, select, text, update

from crm.auth.roles import Role
from crm.contacts.models import Contact, Household, Relationship, RelationshipKind
from crm.dashboard import store
from crm.donations.pledge_models import (
    Pledge,
    PledgeFrequency,
    PledgeInstalment,
    PledgePayment,
    PledgeStatus,
)
from crm.donations.pledges import add_months, next_due, schedule
from crm.work.models import Task, TaskStatus

WAITING_DAYS = 45  # gifts of the last weeks: a third still wait for their thank-you
TASKS = [
    ("Invite to the spring breakfast", Role.FUNDRAISER),
    ("Ask about a school presentation", Role.COORDINATOR),
    ("Send the annual report", Role.FUNDRAISER),
    ("Check the mailing address", Role.ADMIN),
    ("Ask to volunteer at the autumn fair", Role.COORDINATOR),
]


def generate_records(conn, contact_ids: range, campaign_ids: list[int], scale: float, rng, now,
                     echo) -> dict:  # fmt: skip
    counts = {"acknowledgements": _acknowledgements(conn, now)}
    pairs = _pairs(contact_ids, max(int(5_000 * scale), 4), rng)
    counts["households"] = _households(conn, pairs, now)
    counts["relationships"] = _relationships(conn, pairs, contact_ids, scale, rng, now)
    counts["soft credits"] = _soft_credits(conn, now)
    heavy = list(contact_ids)[: max(1, len(contact_ids) // 10)]
    counts["pledges"] = _pledges(conn, heavy, campaign_ids, max(int(5_000 * scale), 6), rng, now)
    counts["tasks"] = _tasks(conn, contact_ids, max(int(2_000 * scale), 10), rng, now)
    echo("  " + ", ".join(f"{n:,} {name}" for name, n in counts.items()))
    return counts


def _acknowledgements(conn, now) -> int:
    """Every generated gift thanked by letter or email (failed ones need none); a third of
    the last weeks' gifts still waiting."""
    conn.execute(text(
        "INSERT INTO gift_acknowledgements (donation_id, status, received_at, method, thanked_at)"
        " SELECT id, CASE WHEN status = 'failed' THEN 'not_needed' ELSE 'thanked' END,"
        " received_at, CASE WHEN status = 'failed' THEN NULL WHEN id % 2 = 0 THEN 'letter'"
        " ELSE 'email' END, CASE WHEN status = 'failed' THEN NULL ELSE received_at END"
        " FROM donations d WHERE NOT EXISTS"
        " (SELECT 1 FROM gift_acknowledgements a WHERE a.donation_id = d.id)"
    ))  # fmt: skip
    conn.execute(
        text(
            "UPDATE gift_acknowledgements SET status = 'pending', method = NULL,"
            " thanked_at = NULL WHERE status = 'thanked' AND received_at >= :since"
            " AND donation_id % 3 <> 0"
        ),
        {"since": now - timedelta(days=WAITING_DAYS)},
    )
    return conn.execute(text("SELECT count(*) FROM gift_acknowledgements")).scalar()


def _pairs(contact_ids: range, n: int, rng) -> list[tuple[int, int]]:
    chosen = rng.sample(contact_ids, min(2 * n, len(contact_ids) // 2 * 2))
    return list(zip(chosen[::2], chosen[1::2], strict=True))


def _households(conn, pairs, now) -> int:
    first = (conn.execute(text("SELECT max(id) FROM households")).scalar() or 0) + 1
    names = dict(conn.execute(select(Contact.id, Contact.last_name).where(
        Contact.id.in_([a for a, _ in pairs]))).all())  # fmt: skip
    store.bulk_load(conn, Household.__table__, (
        {"id": first + i, "name": f"The {names.get(a, 'Family')} household",
         "salutation": None, "created_at": now, "updated_at": now}
        for i, (a, _) in enumerate(pairs)
    ))  # fmt: skip
    members = [{"h": first + i, "c": c} for i, pair in enumerate(pairs) for c in pair]
    table = Contact.__table__
    conn.execute(update(table).where(table.c.id == bindparam("c"))
                 .values(household_id=bindparam("h")), members)  # fmt: skip
    return len(pairs)


def _relationships(conn, pairs, contact_ids, scale, rng, now) -> int:
    links = {(a, b, RelationshipKind.SPOUSE.value) for a, b in pairs}
    kinds = [RelationshipKind.FRIEND, RelationshipKind.INTRODUCED, RelationshipKind.PARENT,
             RelationshipKind.COLLEAGUE]  # fmt: skip
    for _ in range(max(int(5_000 * scale), 4)):
        a, b = rng.sample(contact_ids, 2)
        links.add((a, b, rng.choice(kinds).value))
    store.bulk_load(conn, Relationship.__table__, (
        {"contact_id": a, "related_id": b, "kind": kind, "note": None, "created_at": now,
         "updated_at": now} for a, b, kind in sorted(links)
    ))  # fmt: skip
    return len(links)


def _soft_credits(conn, now) -> int:
    """A quarter of each household member's gifts credit their partner."""
    conn.execute(text(
        "INSERT INTO soft_credits (donation_id, contact_id, amount_cents, role, created_at)"
        " SELECT d.id, partner.id, d.amount_cents, 'household', d.received_at"
        " FROM donations d JOIN contacts me ON me.id = d.contact_id"
        " JOIN contacts partner ON partner.household_id = me.household_id"
        " AND partner.id <> me.id"
        " WHERE me.household_id IS NOT NULL AND d.id % 4 = 0 AND d.status <> 'failed'"
        " AND NOT EXISTS (SELECT 1 FROM soft_credits s WHERE s.donation_id = d.id)"
    ))  # fmt: skip
    return conn.execute(text("SELECT count(*) FROM soft_credits")).scalar()


def _pledges(conn, donors, campaign_ids, n, rng, now) -> int:
    today = now.date()
    first = (conn.execute(text("SELECT max(id) FROM pledges")).scalar() or 0) + 1
    pledges, instalments = [], []
    for i, contact_id in enumerate(rng.sample(donors, min(n, len(donors)))):
        frequency = rng.choice([PledgeFrequency.MONTHLY, PledgeFrequency.QUARTERLY,
                                PledgeFrequency.ONCE])  # fmt: skip
        count = {"monthly": 12, "quarterly": 4, "once": 1}[frequency.value]
        pledged_on = today - timedelta(days=rng.randrange(0, 540))
        amount = rng.choice([60_000, 120_000, 240_000, 500_000])
        pledges.append({"id": first + i, "contact_id": contact_id, "amount_cents": amount,
                        "currency": "USD", "pledged_on": pledged_on, "frequency": frequency.value,
                        "status": PledgeStatus.OPEN.value, "campaign_id": rng.choice(campaign_ids),
                        "fund_id": None, "note": None, "written_off_cents": 0,
                        "created_at": now, "updated_at": now})  # fmt: skip
        for due_on, cents in schedule(amount, add_months(pledged_on, 1), frequency, count):
            instalments.append({"pledge_id": first + i, "due_on": due_on, "amount_cents": cents,
                                "reminded_at": now if due_on <= today else None})  # fmt: skip
    payments = _pledge_payments(conn, pledges, instalments, rng, today)
    store.bulk_load(conn, Pledge.__table__, iter(pledges))
    store.bulk_load(conn, PledgeInstalment.__table__, iter(instalments))
    store.bulk_load(conn, PledgePayment.__table__, iter(payments))
    return len(pledges)


def _pledge_payments(conn, pledges, instalments, rng, today: date) -> list[dict]:
    """Each donor's own gifts after the pledge pay what was due by today; one pledge in five
    falls behind (its payments stop early); a pledge paid in full is fulfilled. Each pledge
    gets what it received and its next due date, as pledges.refresh would work them out."""
    due = {}
    for row in instalments:
        if row["due_on"] <= today:
            due[row["pledge_id"]] = due.get(row["pledge_id"], 0) + row["amount_cents"]
    by_contact = {p["contact_id"]: p for p in pledges}
    gifts = conn.execute(text(
        "SELECT id, contact_id, amount_cents - refunded_cents, received_at FROM donations"
        " WHERE status = 'succeeded' AND contact_id IN :ids ORDER BY received_at, id"
    ).bindparams(bindparam("ids", expanding=True)), {"ids": list(by_contact)}).all()  # fmt: skip
    payments, paid, behind = [], {}, {p["id"] for p in pledges if rng.random() < 0.2}
    for gift_id, contact_id, left, received_at in gifts:
        pledge = by_contact[contact_id]
        if str(received_at)[:10] < pledge["pledged_on"].isoformat():
            continue  # given before the promise
        target = due.get(pledge["id"], 0) // (2 if pledge["id"] in behind else 1)
        owed = min(target, pledge["amount_cents"]) - paid.get(pledge["id"], 0)
        if owed > 0 and left > 0:
            amount = min(owed, left)
            paid[pledge["id"]] = paid.get(pledge["id"], 0) + amount
            payments.append({"pledge_id": pledge["id"], "donation_id": gift_id,
                             "amount_cents": amount, "applied_at": pledge["created_at"],
                             "applied_by_id": None})  # fmt: skip
    schedules = {}
    for row in instalments:
        schedules.setdefault(row["pledge_id"], []).append((row["due_on"], row["amount_cents"]))
    for pledge in pledges:
        received = paid.get(pledge["id"], 0)
        done = received >= pledge["amount_cents"]
        due = None if done else next_due(schedules[pledge["id"]], received)
        status = PledgeStatus.FULFILLED if done else PledgeStatus.OPEN
        pledge |= {"received_cents": received, "status": status.value, "next_due_on": due}
    return payments


def _tasks(conn, contact_ids, n, rng, now) -> int:
    today = now.date()
    store.bulk_load(conn, Task.__table__, (
        {"title": title, "team": team.value, "contact_id": rng.choice(contact_ids),
         "due_on": today + timedelta(days=rng.randrange(-10, 30)),
         "status": (TaskStatus.DONE if rng.random() < 0.5 else TaskStatus.OPEN).value,
         "notes": None, "assignee_id": None, "auto_key": None, "created_at": now,
         "updated_at": now}
        for title, team in (rng.choice(TASKS) for _ in range(n))
    ))  # fmt: skip
    return n
