"""The summaries kept on every write equal a rebuild from scratch."""

from datetime import timedelta

import pytest

from crm.contacts.services import merge_contacts
from crm.dashboard.rebuild import rebuild_summaries
from crm.donations import services
from crm.donations.models import DonationStatus, PaymentMethod, PlanStatus, RecurringPlan
from crm.events import services as events
from crm.events.models import Audience
from crm.events.reach import set_headcounts
from crm.modelbase import utcnow
from tests.dashboard.conftest import local, summaries

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def build_history(db, gift, make_contact, make_campaign, make_fund, make_user):
    fund = make_fund("Schools")
    spring, autumn = make_campaign(name="Spring"), make_campaign(name="Autumn")
    ann, bob, cat = (make_contact(first_name=n, email=None) for n in ("Ann", "Bob", "Cat"))
    gift(ann, 5000, local(2023, 8, 1, 0, 0, 30), campaign=spring, fund=fund, source="letter")
    gift(ann, 7000, local(2024, 9, 30, 23, 59), campaign=autumn, fee_cents=180)
    second = gift(
        bob, 2500, local(2024, 7, 1, 0, 5), campaign=spring, stripe_payment_intent_id="pi_1"
    )
    third = gift(
        bob, 10000, utcnow() - timedelta(days=1), campaign=spring, method=PaymentMethod.CASH
    )
    gift(cat, 4000, utcnow() - timedelta(days=40), status=DonationStatus.FAILED)
    pending = gift(cat, 3000, utcnow() - timedelta(days=3), status=DonationStatus.PENDING)
    # Changes after the fact: refunds, a settled payment, a new designation.
    services.apply_refund(second, 1000)
    services.apply_refund(third, 10000)
    services.set_status(pending, DonationStatus.SUCCEEDED)
    services.change_designation(pending, fund, autumn)
    db.session.commit()
    plan = RecurringPlan(contact=cat, amount_cents=2500, currency="USD", campaign=spring,
                         status=PlanStatus.ACTIVE)  # fmt: skip
    other = RecurringPlan(contact=bob, amount_cents=1000, currency="USD", status=PlanStatus.ACTIVE)
    db.session.add_all([plan, other])
    db.session.commit()
    plan.status = PlanStatus.PAST_DUE
    services.cancel_plan(other)
    db.session.commit()
    # Events: registrations, check-in, headcounts.
    kind = events.create_event_type("Parent training", None, 60)
    start = utcnow() + timedelta(days=2)
    event = events.create_event({"title": "Parents", "type_id": kind.id, "starts_at": start,
                                 "ends_at": start + timedelta(hours=1), "is_public": True,
                                 "campaign_id": spring.id})  # fmt: skip
    registration, _ = events.register(event.id, events.Registrant("Ada", "L", "ada@example.org"))
    db.session.commit()
    event.starts_at, event.ends_at = start - timedelta(days=4), start - timedelta(days=4, hours=-1)
    registration.attended_at = utcnow()
    registration.guests_attended = 1
    set_headcounts(event, {Audience.STUDENTS: 40, Audience.PARENTS: 5})
    db.session.commit()
    set_headcounts(event, {Audience.STUDENTS: 35, Audience.PARENTS: 0})
    db.session.commit()
    # An event called off counts for nothing.
    off = events.create_event({"title": "Off", "type_id": kind.id, "starts_at": start,
                               "ends_at": start + timedelta(hours=1), "is_public": True,
                               "campaign_id": spring.id})  # fmt: skip
    events.register(off.id, events.Registrant("Bea", "L", "bea@example.org"))
    db.session.commit()
    events.cancel_event(off.id, None)
    db.session.commit()
    # A merge moves Bob's gifts to Ann by bulk update.
    merge_contacts(ann, bob, set(), make_user())
    db.session.commit()
    return {"spring": spring, "autumn": autumn, "ann": ann, "event": event}


def test_incremental_upkeep_equals_a_full_rebuild(db, gift, make_contact, make_campaign,
                                                  make_fund, make_user):  # fmt: skip
    build_history(db, gift, make_contact, make_campaign, make_fund, make_user)
    kept = summaries(db)
    assert kept["rollups"] and kept["counters"] and kept["donors"] and kept["facts"]
    rebuild_summaries(db.session.connection())
    db.session.commit()
    assert summaries(db) == kept


def test_rebuild_command(runner, gift):
    gift(amount_cents=1234)
    result = runner.invoke(args=["crm", "rebuild-summaries"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt" in result.output
