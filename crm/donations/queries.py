"""Reading gifts: the filtered list, its totals and the CSV export (export.py) share one
filter, so a report's totals always equal the sums of the export for the same filter."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select

from crm.contacts.models import Contact
from crm.contacts.normalise import fold
from crm.donations import raised
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.extensions import db


@dataclass
class GiftFilter:
    q: str = ""
    date_from: date | None = None
    date_to: date | None = None  # inclusive
    campaign_id: int | None = None
    fund_id: int | None = None
    method: PaymentMethod | None = None
    status: DonationStatus | None = None
    recurring: bool | None = None
    contact_id: int | None = None


def org_day_start(day: date) -> datetime:
    """The moment a day begins in the organisation's time zone."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(current_app.config["ORG_TIMEZONE"]))


def _conditions(f: GiftFilter) -> list:
    conditions = []
    if f.date_from:
        conditions.append(Donation.received_at >= org_day_start(f.date_from))
    if f.date_to:
        conditions.append(Donation.received_at < org_day_start(f.date_to + timedelta(days=1)))
    if f.campaign_id:
        conditions.append(Donation.campaign_id == f.campaign_id)
    if f.fund_id:
        conditions.append(Donation.fund_id == f.fund_id)
    if f.method:
        conditions.append(Donation.method == f.method)
    if f.status:
        conditions.append(Donation.status == f.status)
    if f.recurring is not None:
        column = Donation.recurring_plan_id
        conditions.append(column.is_not(None) if f.recurring else column.is_(None))
    if f.contact_id:
        conditions.append(Donation.contact_id == f.contact_id)
    for word in fold(f.q).split()[:5]:
        like = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(
            Donation.contact.has(
                or_(
                    Contact.search_key.like(like, escape="\\"),
                    Contact.email_key.like(like, escape="\\"),
                )
            )
        )
    return conditions


def gift_query(f: GiftFilter) -> Select:
    return (
        select(Donation)
        .where(*_conditions(f))
        .order_by(Donation.received_at.desc(), Donation.id.desc())
    )


def gift_totals(f: GiftFilter) -> dict:
    """Count and sums of the filtered gifts. Failed gifts are listed but count for nothing
    (crm.donations.raised)."""
    counted = and_(*_conditions(f), raised.counted())
    row = select(
        func.count(Donation.id),
        func.coalesce(func.sum(Donation.amount_cents), 0),
        func.coalesce(func.sum(Donation.refunded_cents), 0),
        func.coalesce(func.sum(Donation.fee_cents), 0),
        func.count(func.distinct(Donation.contact_id)),
    ).where(counted)
    count, gross, refunded, fees, donors = db.session.execute(row).one()
    return {
        "count": count,
        "gross_cents": int(gross),
        "refunded_cents": int(refunded),
        "fee_cents": int(fees),
        "net_cents": int(gross) - int(refunded) - int(fees),
        "donors": donors,
    }
