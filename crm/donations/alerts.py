"""Staff digests by email, to fundraisers and admins: Stripe events that need a person (sent
within hours, long before Stripe would have stopped retrying, 3 days), and once a day the
monthly plans that went past due and the instalments that failed since the last digest."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, select

from crm.auth.models import User
from crm.auth.roles import Role
from crm.donations.ledger_models import StaffDigest
from crm.donations.models import PlanStatus, RecurringPlan, StripeEvent, StripeEventStatus
from crm.donations.receipts import public_url
from crm.extensions import db
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments import payloads
from crm.payments.money import format_money

DIGEST_HOUR = 7  # the daily digest goes out from this hour of the organisation's day
ATTENTION = "stripe_attention"
PAST_DUE = "past_due"
LISTED = 50  # items named in one email; the page has the rest


def staff_addresses() -> list[str]:
    return db.session.scalars(
        select(User.email).where(
            User.role.in_([Role.ADMIN, Role.FUNDRAISER]), User.active.is_(True)
        )
    ).all()


def email_staff(template: str, subject: str, **context) -> None:
    for address in staff_addresses():
        queue_email(to=address, template=f"donations/email/{template}", subject=subject, **context)


def send_due_digests(now: datetime | None = None) -> dict:
    """The hourly job; commits. Returns what was sent."""
    now = now or utcnow()
    sent = {"attention": attention_digest(now), "past_due": past_due_digest(now)}
    db.session.commit()
    return sent


def needing_alert(now: datetime):
    """Events staff have not been told about: any on the Needs attention list, and failed or
    waiting ones older than STRIPE_ALERT_AFTER_HOURS that retries did not settle."""
    after = timedelta(hours=current_app.config["STRIPE_ALERT_AFTER_HOURS"])
    stuck = StripeEvent.status.in_([StripeEventStatus.FAILED, StripeEventStatus.WAITING]) & (
        StripeEvent.received_at < now - after
    )
    return (
        select(StripeEvent)
        .where(StripeEvent.alerted_at.is_(None))
        .where(or_(StripeEvent.status == StripeEventStatus.ATTENTION, stuck))
        .order_by(StripeEvent.received_at)
    )


def attention_digest(now: datetime) -> int:
    items = db.session.scalars(needing_alert(now).with_for_update(skip_locked=True)).all()
    if not items:
        return 0
    rows = [describe(event) for event in items[:LISTED]]
    subject = f"Stripe: {len(items)} payment event{'s' if len(items) != 1 else ''} need attention"
    email_staff("attention_digest", subject, rows=rows, more=len(items) - len(rows),
                url=public_url("donations.attention_list"))  # fmt: skip
    for event in items:
        event.alerted_at = now
    return len(items)


def describe(event: StripeEvent) -> dict:
    """A line a person can read: what the event is about, its amount and why it waits."""
    obj = event.payload.get("data", {}).get("object", {})
    currency = payloads.currency_of(obj, current_app.config["CURRENCY"])
    cents = None
    for field in ("amount", "amount_total", "amount_paid", "amount_due", "amount_refunded"):
        if obj.get(field):
            cents = payloads.amount(obj, field, currency)
            break
    email, name = payloads.customer_of(obj)
    return {
        "id": event.id,
        "type": event.type,
        "object": obj.get("id"),
        "amount": format_money(cents, currency) if cents else "",
        "who": name or email or "",
        "reason": event.error or "",
        "received_at": event.received_at,
    }


def past_due_digest(now: datetime) -> int:
    """Once a day: plans that went past due and instalments that failed since the last one."""
    tz = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    local = now.astimezone(tz)
    digest = db.session.get(StaffDigest, PAST_DUE, with_for_update=True)
    if local.hour < DIGEST_HOUR:
        return 0
    if digest is not None and digest.last_sent_at.astimezone(tz).date() >= local.date():
        return 0
    since = (
        digest.last_sent_at
        if digest
        else datetime.combine(local.date() - timedelta(days=1), time(DIGEST_HOUR), tzinfo=tz)
    )
    plans, failures = _lapsed(since, now)
    if digest is None:
        digest = StaffDigest(kind=PAST_DUE, last_sent_at=now)
        db.session.add(digest)
    digest.last_sent_at = now
    if not plans and not failures:
        return 0
    subject = (
        f"Monthly gifts: {len(plans)} newly past due, {len(failures)} failed "
        f"payment{'s' if len(failures) != 1 else ''}"
    )
    email_staff("past_due_digest", subject, plans=plans, failures=failures,
                url=public_url("donations.plans", status="past_due"))  # fmt: skip
    return len(plans) + len(failures)


def _lapsed(since: datetime, now: datetime) -> tuple[list[dict], list[dict]]:
    plans = db.session.scalars(
        select(RecurringPlan)
        .where(RecurringPlan.status == PlanStatus.PAST_DUE)
        .where(RecurringPlan.past_due_at >= since, RecurringPlan.past_due_at < now)
        .order_by(RecurringPlan.past_due_at)
    ).all()
    events = db.session.scalars(
        select(StripeEvent)
        .where(StripeEvent.type == "invoice.payment_failed")
        .where(StripeEvent.received_at >= since, StripeEvent.received_at < now)
        .order_by(StripeEvent.received_at)
    ).all()
    plan_rows = [
        {
            "donor": plan.contact.display_name,
            "amount": format_money(plan.amount_cents, plan.currency),
            "url": public_url("donations.plan", plan_id=plan.id),
        }
        for plan in plans
    ]
    return plan_rows, [describe(event) for event in events]
