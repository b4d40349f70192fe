"""What "raised" means, for every page that shows it: the campaigns list and a campaign's
page, the campaigns CSV, the dashboard and the goal thermometer of the giving page. They all
call `raised()` or `raised_by_campaign()`, so one campaign and one period show one figure.

A gift counts unless its payment failed, whenever it was received: a gift designated to a
campaign counts for it even if it came before the campaign's first day or after its last
(a cheque in the post), and each monthly instalment is a gift. Pending bank debits count
until they fail. Refunds (a lost dispute is one) and Stripe's fees are never hidden: three
figures, always named as in LABELS:

- gross: what donors gave, the fees they chose to cover included;
- net of refunds: gross less what went back to donors; the figure set against a goal;
- net of refunds and fees: less the processor's fees as well.

A period is whole days in the organisation's time zone, as in the gift list and its CSV.
The sums come from the dashboard's summary tables, which every write of a gift keeps current,
so the public thermometer costs the same at a hundred gifts as at a million. The dashboard
registers its reader here (`sums_reader`): the house's imports point from the dashboard to
donations, never back.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement

from crm.donations.models import Campaign, Donation, DonationStatus

LABELS = {
    "gross": "Gross",
    "refunded": "Refunded",
    "fees": "Fees",
    "net_of_refunds": "Net of refunds",
    "net": "Net of refunds and fees",
}


def counts(status: DonationStatus) -> bool:
    return status != DonationStatus.FAILED


def counted() -> ColumnElement[bool]:
    """The same rule as `counts`, for a query over gifts."""
    return Donation.status != DonationStatus.FAILED


class Figures:
    """The derived figures, the same for every holder of gross, refunded, fees and gifts
    (Raised here, the dashboard's sums of a week or a fund)."""

    gifts: int
    gross_cents: int
    refunded_cents: int
    fee_cents: int

    @property
    def net_of_refunds_cents(self) -> int:
        return self.gross_cents - self.refunded_cents

    @property
    def net_cents(self) -> int:
        """Net of refunds and fees."""
        return self.gross_cents - self.refunded_cents - self.fee_cents

    @property
    def average_cents(self) -> int:
        return round(self.gross_cents / self.gifts) if self.gifts else 0


@dataclass(frozen=True)
class Raised(Figures):
    gifts: int = 0
    gross_cents: int = 0
    refunded_cents: int = 0
    fee_cents: int = 0
    donors: int | None = None  # since the beginning only; None for a period

    def __add__(self, other: "Raised") -> "Raised":
        return Raised(
            self.gifts + other.gifts,
            self.gross_cents + other.gross_cents,
            self.refunded_cents + other.refunded_cents,
            self.fee_cents + other.fee_cents,
        )

    def percent_of(self, goal_cents: int) -> int:
        """Progress toward a goal (net of refunds), 0 to 100."""
        if not goal_cents:
            return 0
        return min(100, max(0, round(100 * self.net_of_refunds_cents / goal_cents)))


# (campaign ids, or None for every gift; first day or None; last day or None)
#   -> {campaign id, or None for every gift: Raised}
Reader = Callable[[list[int] | None, date | None, date | None], dict[int | None, Raised]]
_readers: list[Reader] = []


def sums_reader(reader: Reader) -> Reader:
    """Register the function that adds up the summaries (the dashboard's)."""
    _readers[:] = [reader]
    return reader


def _read(campaign_ids: list[int] | None, first: date | None, last: date | None) -> dict:
    if not _readers:
        raise RuntimeError("no reader of raised sums is registered (crm.dashboard)")
    return _readers[0](campaign_ids, first, last)


def raised(
    campaign_id: int | None = None, first: date | None = None, last: date | None = None
) -> Raised:
    """What one campaign (or, with None, every gift) raised from `first` to `last`
    inclusive; without dates, since the beginning."""
    if campaign_id is None:
        return _read(None, first, last).get(None, Raised())
    return raised_by_campaign([campaign_id], first, last)[campaign_id]


def raised_by_campaign(
    campaign_ids: Iterable[int], first: date | None = None, last: date | None = None
) -> dict[int, Raised]:
    ids = sorted(set(campaign_ids))
    found = _read(ids, first, last) if ids else {}
    empty = Raised(donors=0 if first is None and last is None else None)
    return {i: found.get(i, empty) for i in ids}


def outside_dates(campaign: Campaign) -> Raised | None:
    """What the campaign's gifts received before its first day or after its last add up
    to (they count for it all the same); None for a campaign without dates."""
    if campaign.starts_on is None and campaign.ends_on is None:
        return None
    outside = Raised()
    if campaign.starts_on:
        outside += raised(campaign.id, None, campaign.starts_on - timedelta(days=1))
    if campaign.ends_on:
        outside += raised(campaign.id, campaign.ends_on + timedelta(days=1), None)
    return outside
