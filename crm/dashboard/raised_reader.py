"""The dashboard's reading of "raised" (crm.donations.raised), registered there: every
page that shows what a campaign raised reads these summary rows through it."""

from collections import defaultdict
from datetime import date

from sqlalchemy import and_, func, or_, select

from crm.dashboard.calendar import decompose
from crm.dashboard.models import ALL, EVER, DonorSummary, GiftRollup
from crm.donations.raised import Raised, sums_reader
from crm.extensions import db

SUMS = (
    func.sum(GiftRollup.gifts),
    func.sum(GiftRollup.gross_cents),
    func.sum(GiftRollup.refunded_cents),
    func.sum(GiftRollup.fee_cents),
)


@sums_reader
def raised_sums(
    campaign_ids: list[int] | None, first: date | None, last: date | None
) -> dict[int | None, Raised]:
    """Since the beginning, the all-time rows; a period, as whole months, weeks and days."""
    r = GiftRollup
    which = _buckets(first, last)
    if which is None:
        return {}
    if campaign_ids is None:
        rows = [(None, *db.session.execute(select(*SUMS).where(which)).one())]
    else:
        query = select(r.campaign_id, *SUMS).where(which, r.campaign_id.in_(campaign_ids))
        rows = db.session.execute(query.group_by(r.campaign_id)).all()
    donors = _donors_ever(campaign_ids) if first is None and last is None else None
    return {
        key: Raised(*(int(v or 0) for v in sums), donors=donors.get(key, 0) if donors else None)
        for key, *sums in rows
    }


def _buckets(first: date | None, last: date | None):
    """The rollup rows of the days from `first` to `last`; an open end is the first or last
    day with a gift. None when there is nothing to read."""
    r = GiftRollup
    if first is None and last is None:
        return and_(r.grain == "a", r.bucket == EVER)
    if first is None or last is None:
        earliest, latest = db.session.execute(
            select(func.min(r.bucket), func.max(r.bucket)).where(r.grain == "d")
        ).one()
        if earliest is None:
            return None
        first, last = first or earliest, last or latest
    by_grain = defaultdict(list)
    for grain, bucket in decompose(first, last):
        by_grain[grain].append(bucket)
    if not by_grain:
        return None
    return or_(*(and_(r.grain == g, r.bucket.in_(b)) for g, b in by_grain.items()))


def _donors_ever(campaign_ids: list[int] | None) -> dict[int | None, int]:
    """Donors of each campaign (or of any) since the beginning, as the dashboard counts them:
    a gift that neither failed nor went back in full."""
    s = DonorSummary
    if campaign_ids is None:
        return {None: db.session.scalar(select(func.count()).where(s.campaign_id == ALL))}
    query = select(s.campaign_id, func.count()).where(s.campaign_id.in_(campaign_ids))
    found = dict(db.session.execute(query.group_by(s.campaign_id)).all())
    return {i: found.get(i, 0) for i in campaign_ids}
