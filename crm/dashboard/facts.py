"""What one gift, donor, plan or event contributes to the summaries, as plain numbers.

The same functions serve the incremental upkeep (the difference between what a record
contributed before a write and after it) and the full rebuild (the sum over all records), so
the two cannot disagree."""

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from crm.dashboard.calendar import add_months, fy_start, month_key, month_start, week_start
from crm.dashboard.models import ALL, EVER
from crm.donations.models import DonationStatus, PlanStatus
from crm.donations.raised import counts

# A gift counts in the money figures as crm.donations.raised says (unless it failed; refunds
# are shown beside the gross), and makes its giver a donor unless it failed or was refunded
# in full.
DONOR_STATUSES = (
    DonationStatus.PENDING,
    DonationStatus.SUCCEEDED,
    DonationStatus.PARTIALLY_REFUNDED,
)


@dataclass(frozen=True)
class Gift:
    status: DonationStatus
    received_at: datetime
    campaign_id: int | None
    fund_id: int | None
    source: str | None
    amount_cents: int
    refunded_cents: int
    fee_cents: int | None


RollupKey = tuple[str, date, int, int, str]


def gift_rollups(gift: Gift | None, tz: ZoneInfo, sign: int, into: dict) -> None:
    """Add (sign 1) or take back (sign -1) a gift's sums in the four grains' buckets."""
    if gift is None or not counts(gift.status):
        return
    day = gift.received_at.astimezone(tz).date()
    dims = (gift.campaign_id or ALL, gift.fund_id or 0, gift.source or "")
    vector = (
        sign,
        sign * gift.amount_cents,
        sign * gift.refunded_cents,
        sign * (gift.fee_cents or 0),
    )
    for grain, bucket in (("d", day), ("w", week_start(day)), ("m", month_start(day)), ("a", EVER)):
        totals = into[(grain, bucket, *dims)]
        for i, n in enumerate(vector):
            totals[i] += n


def new_rollups() -> dict:
    return defaultdict(lambda: [0, 0, 0, 0])


# --- donors -----------------------------------------------------------------------------


@dataclass
class DonorState:
    """A donor's counted giving to one campaign (or to all)."""

    first_day: date | None = None
    last_day: date | None = None
    gifts: int = 0
    given_cents: int = 0
    by_month: dict = field(default_factory=dict)  # "YYYY-MM" -> cents; only for the summary row
    by_fy: Counter = field(default_factory=Counter)  # fiscal year start -> cents

    def add(self, day: date, cents: int, fy_month: int) -> None:
        self.first_day = day if self.first_day is None else min(self.first_day, day)
        self.last_day = day if self.last_day is None else max(self.last_day, day)
        self.gifts += 1
        self.given_cents += cents
        key = month_key(day)
        self.by_month[key] = self.by_month.get(key, 0) + cents
        self.by_fy[fy_start(day, fy_month)] += cents

    @property
    def last_fy(self) -> date:
        return max(self.by_fy)

    def row(self, contact_id: int, campaign_id: int) -> dict:
        return {
            "contact_id": contact_id,
            "campaign_id": campaign_id,
            "first_day": self.first_day,
            "last_day": self.last_day,
            "last_fy": self.last_fy,
            "last_fy_cents": self.by_fy[self.last_fy],
            "gifts": self.gifts,
            "given_cents": self.given_cents,
            "months": sorted(self.by_month),
        }


def donor_states(
    gifts: Iterable[tuple[int | None, datetime, int]], tz: ZoneInfo, fy_month: int
) -> dict[int, DonorState]:
    """(campaign_id, received_at, cents less refunds) of one donor's counted gifts, by scope."""
    states: dict[int, DonorState] = {}
    for campaign_id, received_at, cents in gifts:
        day = received_at.astimezone(tz).date()
        for scope in {ALL, campaign_id or ALL}:
            states.setdefault(scope, DonorState()).add(day, cents, fy_month)
    return states


def donor_facts(months: Iterable[str], first_day: date, fy_month: int) -> Counter:
    """(metric, bucket) -> 1 for everything this donor is counted in."""
    facts = Counter()
    month_days = {date(int(m[:4]), int(m[5:7]), 1) for m in months}
    years = {fy_start(m, fy_month) for m in month_days}
    for m in month_days:
        facts[("donors_m", m)] = 1
    for year in years:
        facts[("donors_y", year)] = 1
        if add_months(year, -12) in years:
            facts[("retained_y", year)] = 1
    facts[("new_m", month_start(first_day))] = 1
    facts[("new_y", fy_start(first_day, fy_month))] = 1
    facts[("last_y", max(years))] = 1
    return facts


def stored_donor_facts(row, fy_month: int) -> Counter:
    return donor_facts(row.months, row.first_day, fy_month)


def state_facts(state: DonorState, fy_month: int) -> Counter:
    return donor_facts(state.by_month, state.first_day, fy_month)


# --- plans and events --------------------------------------------------------------------


def plan_facts(status: PlanStatus | None, amount_cents: int, campaign_id: int | None) -> Counter:
    facts = Counter()
    if status not in (PlanStatus.ACTIVE, PlanStatus.PAST_DUE):
        return facts
    for scope in {ALL, campaign_id or ALL}:
        if status == PlanStatus.ACTIVE:
            facts[(scope, "plans_active", EVER)] += 1
            facts[(scope, "mrr_cents", EVER)] += amount_cents
        else:
            facts[(scope, "plans_past_due", EVER)] += 1
    return facts


def event_facts(
    day: date, campaign_id: int | None, training: bool, reach: dict[str, int]
) -> Counter:
    """Counted on the event's local start day, and again on its week ("@w") and month ("@m")
    so that a long period reads a few buckets: the event, a training, people reached."""
    facts = Counter()
    buckets = (("", day), ("@w", week_start(day)), ("@m", month_start(day)))
    for scope in {ALL, campaign_id or ALL}:
        for suffix, bucket in buckets:
            facts[(scope, "events" + suffix, bucket)] += 1
            if training:
                facts[(scope, "trainings" + suffix, bucket)] += 1
            for audience, n in reach.items():
                if n:
                    facts[(scope, "reach" + suffix, bucket)] += n
                    facts[(scope, f"reach:{audience}{suffix}", bucket)] += n
    return facts


def encode_facts(facts: Counter) -> dict:
    return {f"{s}|{m}|{b.isoformat()}": n for (s, m, b), n in facts.items()}


def decode_facts(stored: dict | None) -> Counter:
    facts = Counter()
    for key, n in (stored or {}).items():
        scope, metric, bucket = key.split("|")
        facts[(int(scope), metric, date.fromisoformat(bucket))] = n
    return facts


def difference(new: Counter, old: Counter) -> dict:
    keys = set(new) | set(old)
    return {k: new.get(k, 0) - old.get(k, 0) for k in keys if new.get(k, 0) != old.get(k, 0)}
