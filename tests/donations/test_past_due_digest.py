"""One daily digest for staff of the monthly plans that went past due and the instalments
that failed since the last one: not one email per failure, nothing twice, nothing when
nothing happened."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import alerts, services
from crm.donations.models import Frequency, PlanStatus, RecurringPlan
from crm.extensions import db as _db
from tests import stripe_support as ss

pytestmark = pytest.mark.clock  # the outcome depends on today's date

NY = ZoneInfo("America/New_York")


@pytest.fixture
def plans(client, db, make_campaign):
    """Two monthly plans whose checkout completed."""
    campaign = make_campaign()
    made = []
    for n, amount in enumerate((2500, 4000)):
        data = {"frequency": Frequency.MONTHLY, "amount_cents": amount, "first_name": "Mo",
                "last_name": f"Nthly{n}", "email": f"monthly{n}@example.org"}  # fmt: skip
        intent = services.create_intent(campaign, data)
        db.session.commit()
        session = ss.checkout_session(intent, subscription=f"sub_pd{n}", customer=f"cus_pd{n}")
        ss.deliver(client, ss.event("checkout.session.completed", session))
        made.append(_db.session.scalars(select(RecurringPlan).filter_by(intent_id=intent.id)).one())
    return made


def fail(client, plan: RecurringPlan, amount: int) -> None:
    invoice = ss.invoice(plan.stripe_subscription_id, amount, status="open",
                         customer=plan.stripe_customer_id)  # fmt: skip
    assert ss.deliver(client, ss.event("invoice.payment_failed", invoice)).status_code == 200


def test_one_digest_a_day_of_plans_gone_past_due_and_failed_payments(
    client, plans, make_user, mail
):
    fundraiser, admin = make_user(Role.FUNDRAISER), make_user(Role.ADMIN)
    coordinator = make_user(Role.COORDINATOR)
    with time_machine.travel(datetime(2026, 11, 9, 6, 30, tzinfo=NY), tick=False):
        fail(client, plans[0], 2500)
        fail(client, plans[0], 2500)  # Stripe's retry fails too
        fail(client, plans[1], 4000)
        assert _db.session.get(RecurringPlan, plans[0].id).status == PlanStatus.PAST_DUE
        mail.clear()  # the donors' "update your card" emails
        assert alerts.send_due_digests()["past_due"] == 0  # before 07:00: not yet
    with time_machine.travel(datetime(2026, 11, 9, 7, 5, tzinfo=NY), tick=False):
        assert alerts.send_due_digests()["past_due"] == 2 + 3
        assert alerts.send_due_digests()["past_due"] == 0  # once a day
    for user in (fundraiser, admin):
        [digest] = mail.to(user.email)
        assert digest["Subject"] == "Monthly gifts: 2 newly past due, 3 failed payments"
        text = digest.get_body(("plain",)).get_content()
        assert "Mo Nthly0, $25.00 a month" in text and "Mo Nthly1, $40.00 a month" in text
        assert text.count("$25.00\n") + text.count("$25.00 (") == 2  # two failures of $25
        assert "http://localhost/donations/plans/?status=past_due" in text
    assert mail.to(coordinator.email) == []
    mail.clear()
    with time_machine.travel(datetime(2026, 11, 10, 9, 0, tzinfo=NY), tick=False):
        assert alerts.send_due_digests()["past_due"] == 0  # nothing new: no email
    paid = ss.invoice(plans[0].stripe_subscription_id, 2500, customer="cus_pd0")
    ss.deliver(client, ss.event("invoice.paid", paid))
    plan = _db.session.get(RecurringPlan, plans[0].id)
    assert plan.status == PlanStatus.ACTIVE and plan.past_due_at is None
    assert mail.to(fundraiser.email) == []


def test_a_plan_past_due_since_the_last_digest_is_listed_the_next_day(client, plans, mail,
                                                                      make_user):  # fmt: skip
    make_user(Role.FUNDRAISER)
    with time_machine.travel(datetime(2026, 11, 9, 8, 0, tzinfo=NY), tick=False):
        alerts.send_due_digests()  # the day's digest, with nothing in it
    with time_machine.travel(datetime(2026, 11, 9, 15, 0, tzinfo=NY), tick=False):
        fail(client, plans[1], 4000)
        assert alerts.send_due_digests()["past_due"] == 0  # today's went out already
    with time_machine.travel(datetime(2026, 11, 10, 7, 0, tzinfo=NY) + timedelta(minutes=1)):
        assert alerts.send_due_digests()["past_due"] == 2
