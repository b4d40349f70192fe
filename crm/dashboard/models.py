"""Summary tables behind the dashboard, kept current on every write (see maintain.py).

They hold no facts of their own: `flask crm rebuild-summaries` recomputes all of them from
gifts, plans and events. Contact and campaign ids are plain integers (0: none, or every
campaign), not foreign keys, so a contact merge leaves them to maintain.py to move."""

from datetime import date

from sqlalchemy import JSON, BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm.extensions import db

ALL = 0  # campaign_id of the rows that count every campaign (and of gifts with no campaign)
EVER = date(2000, 1, 1)  # the bucket of all-time figures


class GiftRollup(db.Model):
    """Counted gifts (every status but failed) summed by a bucket of local days and by
    campaign, fund and source. Grains: "d" day, "w" week (from Monday), "m" month,
    "a" all time (bucket EVER). A period is read as whole months, then weeks, then days."""

    __tablename__ = "dashboard_gift_rollups"

    grain: Mapped[str] = mapped_column(String(1), primary_key=True)
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fund_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    source: Mapped[str] = mapped_column(String(60), primary_key=True)
    gifts: Mapped[int] = mapped_column(BigInteger, default=0)
    gross_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_cents: Mapped[int] = mapped_column(BigInteger, default=0)
    fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class DonorSummary(db.Model):
    """One donor's giving to one campaign (or to all, campaign_id ALL): the months and
    fiscal years with a gift that counts (not failed, not refunded in full)."""

    __tablename__ = "dashboard_donors"
    __table_args__ = (
        Index("ix_dashboard_donors_last_fy", "campaign_id", "last_fy"),
        Index("ix_dashboard_donors_first_day", "campaign_id", "first_day"),
    )

    contact_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    last_fy: Mapped[date] = mapped_column(Date)  # start of the last fiscal year with a gift
    last_fy_cents: Mapped[int] = mapped_column(BigInteger)  # given in that year, less refunds
    gifts: Mapped[int] = mapped_column(Integer)
    given_cents: Mapped[int] = mapped_column(BigInteger)
    months: Mapped[list[str]] = mapped_column(JSON)  # ["2025-07", ...] sorted

    def __repr__(self) -> str:
        return f"<DonorSummary {self.contact_id}/{self.campaign_id}>"


class Counter(db.Model):
    """A number kept by delta: donors, new donors, retained donors and donors' last fiscal
    year by month or year; plans and monthly recurring revenue; events, trainings and
    people reached by day."""

    __tablename__ = "dashboard_counters"

    campaign_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    metric: Mapped[str] = mapped_column(String(40), primary_key=True)
    bucket: Mapped[date] = mapped_column(Date, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class EventFact(db.Model):
    """What one event adds to the counters, so a change can take back what it added."""

    __tablename__ = "dashboard_event_facts"

    event_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    facts: Mapped[dict] = mapped_column(JSON)  # {"campaign|metric|YYYY-MM-DD": n}
