"""A realistic history for benchmarks (`flask crm generate-data --scale 1.0`).

At scale 1.0: 100k contacts, 1M gifts over five years (a third of them monthly gifts from
20k recurring plans), 3k events, 100k registrations with check-ins, headcounts and training
requests. Rows go in by COPY on PostgreSQL (batched inserts elsewhere), bypassing the ORM, so
the summaries are rebuilt at the end. Each gift belongs to a campaign of its year and season,
and a campaign's goal is set from what it raised, so that some goals are met and the open
campaign's is not yet. `make run`'s demo data uses it at a small scale over two years, with a
cohort of lapsed donors (LYBUNT and SYBUNT). Volunteering is not generated here (see
crm/volunteers/demo.py). No receipts are issued, and nothing is committed: the caller does."""

import random
from collections import Counter as Tally
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import chain, cycle

from sqlalchemy import func, select, text

from crm.contacts.models import Contact, Household
from crm.contacts.normalise import email_key, fold, postcode_key
from crm.dashboard import store
from crm.dashboard.calendar import add_months, fy_start, local_day, month_end, zone
from crm.dashboard.generate_records import generate_records
from crm.dashboard.rebuild import rebuild_summaries
from crm.dashboard.sample import (
    AREA_CODES,
    ASKED_BY,
    EMAIL_DOMAINS,
    EVENT_TYPES,
    FIRST,
    LAST,
    PLACES,
    STREETS,
    VENUE_TYPES,
    VENUES,
)
from crm.donations.models import (
    Appeal,
    Campaign,
    CampaignStatus,
    Donation,
    DonationStatus,
    Fund,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.donations.pledge_models import Pledge
from crm.events.models import (
    Audience,
    Event,
    EventType,
    Headcount,
    Registration,
    RegistrationStatus,
    TrainingRequest,
    TrainingRequestStatus,
)
from crm.extensions import db

FUNDS = [
    "General fund",
    "School programmes",
    "Parent trainings",
    "Educator trainings",
    "Awareness campaigns",
    "Survivor-informed research",
]
AMOUNTS = [1000, 2000, 2500, 5000, 5000, 7500, 10000, 10000, 15000, 25000, 50000, 100000]
YEARS = 5
SLUG_PREFIX = "gen-"  # the generated campaigns' slugs: how a database shows it holds a history


def generate(
    scale: float,
    seed: int = 42,
    echo: Callable[[str], None] = print,
    years: int = YEARS,
    lapsed: float = 0.0,
    event_scale: float | None = None,
) -> dict:
    """`lapsed`: the share of contacts whose giving stopped, half of them before this fiscal
    year (LYBUNT), half before the last one (SYBUNT). `event_scale` (the scale unless given):
    3,000 events at 1.0."""
    rng = random.Random(seed)
    conn = db.session.connection()
    now = datetime.now(UTC)
    start = now - timedelta(days=365 * years)
    ids = _next_ids(conn)
    funds, campaigns, appeals, new_campaigns = _reference_data(rng, start, now, years)
    counts = {}
    contacts = max(int(100_000 * scale), 20)
    _load(conn, Contact, _contacts(ids["contacts"], contacts, start, now, rng))
    counts["contacts"] = contacts
    contact_ids = range(ids["contacts"], ids["contacts"] + contacts)
    echo(f"  {contacts:,} contacts")
    stops = _stops(contact_ids, lapsed, start, now)
    plans = _plans(ids["recurring_plans"], max(int(20_000 * scale), 5), contact_ids, campaigns,
                   start, now, rng, stops)  # fmt: skip
    _load(conn, RecurringPlan, plans)
    counts["recurring plans"] = len(plans)
    gifts, raised = max(int(1_000_000 * scale), 100), Tally()
    _load(conn, Donation, _gifts(gifts, contact_ids, plans, campaigns, funds, appeals,
                                 start, now, rng, stops, raised))  # fmt: skip
    _set_goals(new_campaigns, raised)
    counts["gifts"] = gifts
    echo(f"  {gifts:,} gifts")
    events = max(int(3_000 * (event_scale or scale)), 6)
    event_rows = _events(ids["events"], events, campaigns, start, now, rng)
    _load(conn, Event, event_rows)
    counts["events"] = len(event_rows)
    registrations = _registrations(max(int(100_000 * scale), 20), event_rows, contact_ids,
                                   now, rng)  # fmt: skip
    _load(conn, Registration, registrations)
    counts["registrations"] = len(registrations)
    _load(conn, Headcount, _headcounts(event_rows, now, rng))
    _load(conn, TrainingRequest, _requests(event_rows, contact_ids, now, rng))
    campaign_ids = [c.id for c in campaigns]
    counts |= generate_records(conn, contact_ids, campaign_ids, scale, rng, now, echo)
    _reset_sequences(conn)
    echo("  rebuilding the summaries")
    rebuild_summaries(conn)
    db.session.flush()
    return counts


def _next_ids(conn) -> dict:
    tables = ("contacts", "recurring_plans", "events")
    return {t: (conn.execute(text(f"SELECT max(id) FROM {t}")).scalar() or 0) + 1 for t in tables}


def _season(day: date | datetime) -> str:
    return "Spring" if day.month <= 6 else "Autumn"


def _reference_data(rng, start, now, years) -> tuple[list[int], list[Campaign], list, list]:
    """Funds, campaigns (a spring and an autumn appeal for each half year of the history; the
    current one open) and their appeals, by ORM. Also returns the campaigns made now, whose
    goals are still to set."""
    funds = [_get_or_add(Fund, name=name) for name in FUNDS]
    db.session.flush()
    campaigns, made = [], []
    today, began = local_day(now), local_day(start)  # seasons are the organisation's
    for year in range(years + 1):
        for season, month in (("Spring", 1), ("Autumn", 7)):
            first = date(today.year - year, month, 1)
            if add_months(first, 6) <= began or first > today:
                continue  # no gifts would fall in it
            slug = f"{SLUG_PREFIX}{season.lower()}-{today.year - year}"
            campaign = db.session.scalar(select(Campaign).where(Campaign.slug == slug))
            if campaign is None:
                current = year == 0 and season == _season(today)
                campaign = Campaign(
                    name=f"{season} appeal {today.year - year}", slug=slug, currency="USD",
                    status=CampaignStatus.ACTIVE if current else CampaignStatus.CLOSED,
                    default_fund_id=rng.choice(funds).id, starts_on=first,
                    ends_on=add_months(first, 6) - timedelta(days=1),
                )  # fmt: skip
                db.session.add(campaign)
                made.append(campaign)
            campaigns.append(campaign)
    db.session.flush()
    appeals = []
    for campaign in campaigns:
        for channel in ("letter", "email", "gala"):
            code = f"{campaign.slug}-{channel}"[:60]
            appeal = db.session.scalar(select(Appeal).where(Appeal.code == code))
            if appeal is None:
                appeal = Appeal(
                    code=code, name=f"{campaign.name}: {channel}", campaign_id=campaign.id
                )
                db.session.add(appeal)
            appeals.append(appeal)
    db.session.flush()
    return [f.id for f in funds], campaigns, appeals, made


def _set_goals(campaigns: list[Campaign], raised: Tally) -> None:
    """A round goal near what each campaign raised: most closed ones met theirs, a few fell
    short, and the open one is still on its way."""
    closed = [c for c in campaigns if c.status != CampaignStatus.ACTIVE]
    factors = dict(zip(closed, cycle([0.8, 1.25, 0.9, 0.95, 1.15, 0.7]), strict=False))
    for campaign in campaigns:
        goal = raised[campaign.id] * factors.get(campaign, 1.6)
        step = 10 ** max(len(str(int(goal))) - 2, 2)  # two significant figures
        campaign.goal_cents = max(int(round(goal / step) * step), 100_000)


def _get_or_add(model, **fields):
    row = db.session.scalar(select(model).filter_by(**fields))
    if row is None:
        row = model(**fields)
        db.session.add(row)
    return row


def _moment(start: datetime, now: datetime, rng) -> datetime:
    """A moment in the history, more of them recent (growth) and in December."""
    span = (now - start).total_seconds()
    moment = start + timedelta(seconds=span * (rng.random() ** 0.8))
    if moment.month != 12 and rng.random() < 0.08:
        moment = moment.replace(month=12, day=min(moment.day, 28))
        if moment > now:
            moment -= timedelta(days=365)
    return moment


def _stops(contact_ids, lapsed: float, start: datetime, now: datetime) -> dict[int, datetime]:
    """When the lapsed contacts' giving stopped: the last ids of the range, so never the
    frequent givers (the first tenth)."""
    n = int(len(contact_ids) * lapsed)
    if not n:
        return {}
    this_fy = datetime.combine(fy_start(datetime.now(zone()).date()), time.min, tzinfo=zone())
    last_fy = datetime.combine(add_months(this_fy.date(), -12), time.min, tzinfo=zone())
    cohort = list(contact_ids)[-n:]
    return {c: max(this_fy if i % 2 else last_fy, start + timedelta(days=30))
            for i, c in enumerate(cohort)}  # fmt: skip


def _contacts(first_id, n, start, now, rng):
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        local = fold(f"{first}.{last}").replace(" ", "").replace("'", "")
        email = f"{local}.{first_id + i}@{rng.choice(EMAIL_DOMAINS)}"
        created = start + timedelta(seconds=rng.random() * (now - start).total_seconds())
        row = {"id": first_id + i, "first_name": first, "last_name": last, "email": email,
               "email_key": email_key(email), "search_key": fold(f"{first} {last} {email}"),
               "email_opt_in": rng.random() < 0.6, "do_not_contact": False,
               "created_at": created, "updated_at": created,
               "phone": None, "address_line1": None, "city": None, "region": None,
               "postcode": None, "postcode_key": None, "country": None}  # fmt: skip
        if rng.random() < 0.6:
            row["phone"] = f"+1{rng.choice(AREA_CODES)}5550{rng.randrange(100, 200)}"
        if rng.random() < 0.7:
            city, region, postcode = rng.choice(PLACES)
            row |= {"address_line1": f"{rng.randrange(1, 3000)} {rng.choice(STREETS)}",
                    "city": city, "region": region, "postcode": postcode,
                    "postcode_key": postcode_key(postcode), "country": "US"}  # fmt: skip
        yield row


def _campaign_of(campaigns: list[Campaign], moment: datetime, rng) -> Campaign:
    """The appeal running on the moment's local day (or the latest to begin before it)."""
    day = local_day(moment)
    begun = [c for c in campaigns if c.starts_on and c.starts_on <= day]
    return max(begun, key=lambda c: c.starts_on) if begun else rng.choice(campaigns)


def _plans(first_id, n, contact_ids, campaigns, start, now, rng, stops) -> list[dict]:
    """Monthly plans, each credited to the appeal that was running when it began. A lapsed
    donor's plan was cancelled when their giving stopped."""
    statuses = (
        [PlanStatus.ACTIVE] * 14
        + [PlanStatus.PAST_DUE, PlanStatus.INCOMPLETE]
        + [PlanStatus.CANCELLED] * 4
    )
    plans = []
    for i in range(n):
        created = _moment(start, now, rng)
        status = rng.choice(statuses)
        contact = rng.choice(contact_ids)
        cancelled = created + (now - created) * rng.random()
        if contact in stops:
            status, cancelled = PlanStatus.CANCELLED, stops[contact]
            created = min(created, cancelled)
        campaign = _campaign_of(campaigns, created, rng)
        plans.append({
            "id": first_id + i, "contact_id": contact, "campaign_id": campaign.id,
            "fund_id": campaign.default_fund_id, "amount_cents": rng.choice([1000, 2500, 5000]),
            "currency": "USD", "status": status, "created_at": created,
            "updated_at": cancelled if status == PlanStatus.CANCELLED else created,
            "cancelled_at": cancelled if status == PlanStatus.CANCELLED else None,
        })  # fmt: skip
    return plans


def _instalment(plan: dict, now: datetime, rng) -> datetime:
    """One of a plan's monthly charges: on the day of the month it began, never before it
    began nor after it ended."""
    began, ended = plan["created_at"], plan["cancelled_at"] or now
    months = (ended.year - began.year) * 12 + ended.month - began.month
    k = rng.randrange(months + 1)
    first_of_month = add_months(began.date(), k)
    day = min(began.day, month_end(first_of_month).day)
    moment = datetime.combine(first_of_month.replace(day=day), began.timetz())
    return min(max(moment, began), ended)


def _gifts(n, contact_ids, plans, campaigns, funds, appeals, start, now, rng, stops, raised):
    statuses = (
        [DonationStatus.SUCCEEDED] * 93
        + [DonationStatus.FAILED] * 2
        + [DonationStatus.PARTIALLY_REFUNDED] * 2
        + [DonationStatus.REFUNDED, DonationStatus.PENDING]
    )
    methods = [PaymentMethod.CARD] * 17 + [PaymentMethod.CHEQUE, PaymentMethod.BANK_TRANSFER,
                                           PaymentMethod.CASH]  # fmt: skip
    by_campaign = {}
    for appeal in appeals:
        by_campaign.setdefault(appeal.campaign_id, []).append(appeal.code)
    by_season = {(c.name.split()[0], int(c.name.split()[-1])): c for c in campaigns}
    # A few donors give often: pick contacts with a skewed distribution.
    heavy = list(contact_ids)[: max(1, len(contact_ids) // 10)]
    tz = zone()
    for _ in range(n):
        plan = rng.choice(plans) if rng.random() < 0.35 else None
        if plan:
            when = _instalment(plan, now, rng)
            contact, amount, campaign_id = (
                plan["contact_id"],
                plan["amount_cents"],
                plan["campaign_id"],
            )
            fund_id, method, source = plan["fund_id"], PaymentMethod.CARD, None
        else:
            contact = rng.choice(heavy) if rng.random() < 0.4 else rng.choice(contact_ids)
            when = _moment(start, now, rng)
            if contact in stops and when >= stops[contact]:
                # a lapsed donor's gifts all fall before they stopped, spread as before
                when = start + (when - start) * ((stops[contact] - start) / (now - start))
            local = when.astimezone(tz)
            amount = rng.choice(AMOUNTS)
            if local.month == 12:  # the year-end appeal: more gifts, and larger ones
                amount = max(amount, rng.choice(AMOUNTS))
            campaign = by_season.get((_season(local), local.year)) or rng.choice(campaigns)
            # most gifts to an appeal go to its fund; some donors choose another
            fund_id = campaign.default_fund_id if rng.random() < 0.6 else rng.choice(funds)
            campaign_id = campaign.id
            method = rng.choice(methods)
            source = rng.choice(by_campaign[campaign_id]) if rng.random() < 0.3 else None
        status = rng.choice(statuses)
        refunded = {DonationStatus.REFUNDED: amount,
                    DonationStatus.PARTIALLY_REFUNDED: amount // 2}.get(status, 0)  # fmt: skip
        if status in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
            raised[campaign_id] += amount - refunded
        fee = amount * 22 // 1000 + 30 if method == PaymentMethod.CARD else None
        yield {"contact_id": contact, "campaign_id": campaign_id, "fund_id": fund_id,
               "recurring_plan_id": plan["id"] if plan else None, "amount_cents": amount,
               "currency": "USD", "covered_fee_cents": 0, "fee_cents": fee,
               "refunded_cents": refunded, "benefit_cents": 0, "status": status,
               "method": method, "received_at": when, "source": source,
               "cheque_number": "1001" if method == PaymentMethod.CHEQUE else None,
               "anonymous": False, "disputed": False, "created_at": when,
               "updated_at": when}  # fmt: skip


def _events(first_id, n, campaigns, start, now, rng) -> list[dict]:
    types = [_get_or_add(EventType, name=name) for name in EVENT_TYPES]
    db.session.flush()
    # Most in the past; some in the next two months. Kinds take turns in time order, so
    # that every kind is held in every stretch of the history.
    moments = sorted(
        now + timedelta(days=1 + rng.random() * 60)
        if rng.random() < 0.04
        else _moment(start, now, rng)
        for _ in range(n)
    )
    rows = []
    for i, moment in enumerate(moments):
        type_ = types[i % len(types)]
        starts, minutes = _event_time(type_.name, local_day(moment), rng)
        venue, street, city = _venue_for(type_.name, rng)
        campaign = _campaign_of(campaigns, moment, rng) if rng.random() < 0.3 else None
        rows.append({
            "id": first_id + i, "title": f"{type_.name} at {venue}", "type_id": type_.id,
            "starts_at": starts, "ends_at": starts + timedelta(minutes=minutes),
            "venue": f"{venue}, {street}, {city}, IL", "capacity": rng.choice([None, 50, 120]),
            "is_public": "students" not in EVENT_TYPES[type_.name],
            "audiences": EVENT_TYPES[type_.name],
            "campaign_id": campaign.id if campaign else None,
            "created_at": starts - timedelta(days=30), "updated_at": starts,
        })  # fmt: skip
    return rows


def _venue_for(type_name: str, rng) -> tuple[str, str, str]:
    """A venue of a kind of organisation that holds this kind of event."""
    return rng.choice([v for v in VENUES if type_name in ASKED_BY[VENUE_TYPES[v[0]]]])


# When each kind of event is held, in the organisation's local time: (weekdays only, start
# times, minutes). Schools in school hours, parents and communities in the evening.
EVENT_TIMES = {
    "School presentation": (True, [time(9), time(10, 30), time(13)], 50),
    "Parent training": (False, [time(18), time(18, 30), time(19)], 90),
    "Educator training": (True, [time(15, 30), time(16)], 60),
    "Employer training": (True, [time(12), time(12, 30)], 30),
    "Community awareness night": (False, [time(18, 30), time(19)], 120),
    "Faith leaders training": (False, [time(10), time(19)], 90),
}


def _event_time(type_name: str, day: date, rng) -> tuple[datetime, int]:
    """A plausible local start on (or just after) `day` for this kind of event, as a moment
    in UTC, and its length in minutes."""
    weekdays, starts, minutes = EVENT_TIMES.get(type_name, (False, [time(18)], 60))
    while weekdays and day.weekday() >= 5:
        day += timedelta(days=1)
    local = datetime.combine(day, rng.choice(starts), tzinfo=zone())
    return local.astimezone(UTC), minutes


def _registrations(n, events, contact_ids, now, rng):
    # Students are counted at the door, never registered by name.
    open_to_adults = [e for e in events if "students" not in e["audiences"]] or events
    rows = []
    for _ in range(n):
        event = rng.choice(open_to_adults)
        past = event["starts_at"] < now
        attended = past and rng.random() < 0.7
        guests = rng.choice([0, 0, 0, 1, 2])
        rows.append({
            "event_id": event["id"], "contact_id": rng.choice(contact_ids),
            "status": RegistrationStatus.CONFIRMED, "guests": guests, "walk_in": False,
            "created_at": event["starts_at"] - timedelta(days=7),
            "attended_at": event["starts_at"] if attended else None,
            "guests_attended": guests if attended else 0,
        })  # fmt: skip
    return rows


def _headcounts(events, now, rng):
    for event in events:
        # students are only ever counted, so a school presentation always has its headcount
        counted = "students" in event["audiences"] or rng.random() < 0.5
        if event["starts_at"] < now and counted:
            for audience in event["audiences"]:
                yield {"event_id": event["id"], "audience": Audience(audience),
                       "count": rng.randint(10, 300)}  # fmt: skip


def _requests(events, contact_ids, now, rng):
    """Training requests: those behind a share of the trainings held or scheduled (accepted),
    and a few recent ones still waiting for a coordinator, for dates in the coming weeks."""
    trainings = [e for e in events if "students" in e["audiences"] or "training" in e["title"]]
    for event in trainings[: max(2, len(events) // 20)]:
        venue, street, city, _ = event["venue"].split(", ")  # the training it led to
        asked = min(event["created_at"], now)
        yield {
            "organisation_name": venue, "organisation_type": VENUE_TYPES[venue],
            "contact_id": rng.choice(contact_ids), "audience": Audience(event["audiences"][0]),
            "estimated_size": rng.choice([25, 40, 100, 250]), "preferred_1": event["starts_at"],
            "place": f"{street}, {city}, IL", "status": TrainingRequestStatus.ACCEPTED,
            "event_id": event["id"], "decided_at": asked + timedelta(days=2),
            "created_at": asked, "updated_at": asked + timedelta(days=2),
        }  # fmt: skip
    for _ in range(max(3, len(events) // 40)):
        type_name = rng.choice(list(EVENT_TYPES))
        venue, street, city = _venue_for(type_name, rng)
        asked = now - timedelta(days=rng.randrange(1, 14), hours=rng.randrange(0, 24))
        preferred, _ = _event_time(
            type_name, local_day(now) + timedelta(days=rng.randrange(14, 56)), rng
        )
        yield {
            "organisation_name": venue, "organisation_type": VENUE_TYPES[venue],
            "contact_id": rng.choice(contact_ids), "audience": Audience(EVENT_TYPES[type_name][0]),
            "estimated_size": rng.choice([25, 40, 100, 250]), "preferred_1": preferred,
            "place": f"{street}, {city}, IL", "status": TrainingRequestStatus.PENDING,
            "event_id": None, "decided_at": None, "created_at": asked, "updated_at": asked,
        }  # fmt: skip


def _load(conn, model, rows) -> None:
    """COPY (or insert) rows, filling the columns they leave out with the model's defaults."""
    table = model.__table__
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    defaults = {}
    for column in table.columns:
        if column.name in first or column.primary_key:
            continue
        default = column.default.arg if column.default is not None else None
        defaults[column.name] = default(None) if callable(default) else default
    enums = [c.name for c in table.columns if hasattr(c.type, "enums") and c.name in first]

    def prepared():
        for row in chain([first], rows):
            row = defaults | row
            for name in enums:
                value = row[name]
                row[name] = getattr(value, "value", value)
            yield row

    store.bulk_load(conn, table, prepared())


def _reset_sequences(conn) -> None:
    if conn.dialect.name != "postgresql":
        return
    for model in (
        Contact,
        RecurringPlan,
        Donation,
        Event,
        Registration,
        Headcount,
        TrainingRequest,
        Household,
        Pledge,
    ):
        name = model.__tablename__
        top = conn.execute(select(func.max(model.__table__.c.id))).scalar() or 1
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {top})"))
