"""`flask crm demo-data` (what `make run` loads) gives every dashboard figure something to
show: this year beside last year, retention, LYBUNT and SYBUNT, campaigns against goal,
events held and people reached, volunteer hours; and a second run adds nothing."""

from datetime import datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from crm.auth.models import User
from crm.contacts.models import Contact, OrganisationType, contact_tags
from crm.dashboard import metrics
from crm.dashboard.calendar import local_day, resolve_period, today, zone
from crm.dashboard.models import ALL, EVER, GiftRollup
from crm.dashboard.rebuild import rebuild_summaries
from crm.dashboard.tiles import View
from crm.dashboard.volunteer_tiles import volunteers
from crm.donations.models import Campaign, CampaignStatus, Donation, RecurringPlan
from crm.events.models import Event, Headcount, Registration, TrainingRequest
from crm.modelbase import utcnow
from crm.volunteers.models import Credential, HoursEntry, HoursStatus, Shift, Volunteer
from tests.dashboard.conftest import summaries

pytestmark = pytest.mark.clock

MODELS = (User, Contact, Donation, Campaign, Event, Registration, Headcount, Shift, HoursEntry,
          Credential)  # fmt: skip
TABLES = [m.__table__ for m in MODELS] + [contact_tags]


def counts(db) -> dict:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def load(runner):
    """`flask crm demo-data`, at whatever moment the clock says."""
    result = runner.invoke(args=["crm", "demo-data"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output


def test_the_demo_history_fills_the_dashboard(runner, db):
    load(runner)
    this_year = resolve_period("fy", None, None, today())
    last_year = resolve_period("last_fy", None, None, today())

    # A fiscal year a few days old has hardly any gifts yet: its own figures are asked of it
    # once it has run a fortnight; last year's are there on any day.
    begun = today() - this_year.first >= timedelta(days=14)
    assert metrics.money(this_year, None, "month").totals.gross_cents > 0 or not begun
    money = metrics.money(last_year, None, "month")
    assert money.totals.gross_cents > 0 and money.totals.refunded_cents > 0
    assert len({fund for fund, sums in money.by_fund.items() if sums.gifts}) >= 3
    # the year-end peak: last December raised more than any other month of last year
    december = max(money.series, key=lambda bucket: bucket[2].gross_cents)
    assert december[0].month == 12

    donors = metrics.donors(this_year, None)
    assert donors.last_year_donors > donors.retained  # retention is some share
    assert donors.lybunt > 0 and donors.sybunt > 0
    assert (donors.retained > 0 and donors.new > 0) or not begun

    assert {c["campaign"].status for c in metrics.campaign_progress(None)} == {
        CampaignStatus.ACTIVE
    }
    assert any(c["percent"] < 100 for c in metrics.campaign_progress(None))
    raised = func.sum(GiftRollup.gross_cents - GiftRollup.refunded_cents)
    closed = db.session.execute(
        select(Campaign.goal_cents, raised)
        .join(GiftRollup, GiftRollup.campaign_id == Campaign.id)
        .where(Campaign.status == CampaignStatus.CLOSED, GiftRollup.grain == "a",
               GiftRollup.bucket == EVER)
        .group_by(Campaign.id)
    ).all()  # fmt: skip
    assert any(raised >= goal for goal, raised in closed)
    assert any(raised < goal for goal, raised in closed)

    # about three events a month: this year's are asked of it once it has run ten weeks
    running = today() - this_year.first >= timedelta(weeks=10)
    for period in (this_year, last_year) if running else (last_year,):
        held = metrics.event_figures(period, None)
        assert held["held"] > 0 and held["trainings"] > 0 and held["reached"] > 0
    assert "students" in metrics.event_figures(last_year, None)["by_audience"]
    assert metrics.upcoming_events(None) > 0 and metrics.open_training_requests() > 0

    team = volunteers(View(this_year if running else last_year, None, "month"))
    assert team["active"] > 5 and team["minutes"] > 0 and team["months"]
    assert team["expiring_30"] > 0 and team["expiring_60"] > team["expiring_30"]
    pending = select(func.count()).where(HoursEntry.status == HoursStatus.PENDING)
    assert db.session.scalar(pending) > 0


def test_minors_are_counted_never_named(runner, db):
    load(runner)
    for event in db.session.scalars(select(Event)):
        if "students" in event.audiences:
            assert not event.registrations
    assert db.session.scalar(select(func.sum(Headcount.count))) > 0


def test_the_summaries_agree_with_the_gifts_and_events(runner, db):
    """The history goes in around the ORM and the rest through the services: the summaries
    the dashboard reads are what a rebuild from the gifts, plans and events makes."""
    load(runner)
    kept = summaries(db)
    assert all(kept.values())
    assert any(scope != ALL for _, scope in kept["donors"])  # per campaign too
    rebuild_summaries(db.session.connection())
    assert summaries(db) == kept


def test_a_second_run_adds_nothing(runner, db, client):
    load(runner)
    before = counts(db)
    assert before["contacts"] > 300 and before["volunteer_hours"] > 20
    assert before["contact_tags"] > 300  # donors and monthly givers are tagged
    load(runner)
    db.session.expire_all()
    assert counts(db) == before
    client.login(db.session.scalar(select(User).where(User.email == "admin@example.org")),
                 "demo-password-change-me")  # fmt: skip
    page = client.get("/dashboard")
    assert page.status_code == 200 and "LYBUNT" in page.text


# Moments the demo is also built at, besides now (CI runs the module at more: --clock).
AWKWARD = [
    None,  # now
    "2027-01-01T00:30:00-05:00",  # New Year's night: UTC is already an hour into the day
    "2028-02-29T23:30:00-05:00",  # leap day, late: UTC is in March
    "2027-03-14T03:30:00-04:00",  # the morning the clocks went forward
]


def local(moment: datetime):
    return moment.astimezone(zone())


@pytest.mark.parametrize("moment", AWKWARD, ids=lambda m: m or "now")
def test_the_demo_is_plausible_on_any_day(runner, db, moment):
    if moment is None:
        load(runner)
        demo_is_plausible(db)
    else:
        with time_machine.travel(datetime.fromisoformat(moment), tick=True):
            load(runner)
            demo_is_plausible(db)


def demo_is_plausible(db):
    now = utcnow()
    evening = time(21, 30)

    # Events start at the hours such events are held, in the organisation's time zone.
    for event in db.session.scalars(select(Event)):
        starts, ends = local(event.starts_at), local(event.ends_at)
        assert time(8) <= starts.time() <= time(19, 30) and ends.time() <= evening, event
        assert starts.date() == ends.date(), event
        if "students" in event.audiences:
            assert starts.weekday() < 5 and starts.time() <= time(14), event

    # Shifts are in working hours; a shift on an event is at its venue around its times, and
    # a shift that names an event's task has its event.
    for shift in db.session.scalars(select(Shift)):
        starts, ends = local(shift.starts_at), local(shift.ends_at)
        assert time(7) <= starts.time() <= time(19) and ends.time() <= evening, shift.title
        if shift.event is not None:
            event = shift.event
            assert event.title in shift.title and shift.place == event.venue
            assert shift.starts_at <= event.starts_at < event.ends_at <= shift.ends_at
            assert event.starts_at - shift.starts_at <= timedelta(hours=1)
            assert shift.ends_at - event.ends_at <= timedelta(hours=1)
        else:
            assert not shift.title.startswith(("Welcome desk", "Set-up", "Presenter")), shift
        if "Year-end appeal" in shift.title:
            assert starts.month in (11, 12), (shift.title, starts)

    # Work waits for the coordinator: training requests to accept (for dates to come) and
    # hours to approve; the demo volunteer has hours of their own.
    assert metrics.open_training_requests() >= 3
    asking = set()
    for request in db.session.scalars(select(TrainingRequest)):
        if request.event_id is None:
            assert request.preferred_1 > now
        else:  # the request is from the place the training was held
            assert request.event.venue.startswith(request.organisation_name)
        asking.add(request.organisation_type)
        # students are trained at their school, employees by their employer
        fits = {"students": {"school"}, "employers": {"business"}}
        assert request.organisation_type in fits.get(request.audience, OrganisationType), request
    assert len(asking) > 1, "not every request comes from a school"
    pending = db.session.scalars(select(HoursEntry).where(HoursEntry.status == HoursStatus.PENDING))
    assert pending.all() and all(now - e.started_at < timedelta(days=15) for e in pending)
    val = db.session.scalar(
        select(Volunteer).join(Volunteer.contact).where(Contact.email == "volunteer@example.org")
    )
    mine = {e.status for e in db.session.scalars(select(HoursEntry).where(
        HoursEntry.volunteer_id == val.id))}  # fmt: skip
    assert mine == {HoursStatus.APPROVED, HoursStatus.PENDING}

    # No gift is credited to an appeal that had not begun; a plan's gifts fall while it ran.
    rows = db.session.execute(
        select(Donation.received_at, Campaign.starts_on)
        .join(Campaign, Donation.campaign_id == Campaign.id)
        .where(Campaign.starts_on.is_not(None))
    ).all()
    assert rows and all(local_day(received) >= starts_on for received, starts_on in rows)
    instalments = db.session.execute(
        select(Donation.received_at, RecurringPlan.created_at, RecurringPlan.cancelled_at).join(
            RecurringPlan, Donation.recurring_plan_id == RecurringPlan.id
        )
    ).all()
    assert len(instalments) > 100
    for received, began, ended in instalments:
        assert began <= received <= (ended or now)

    # And the dashboard still has something to show in every tile.
    assert metrics.upcoming_events(None) > 0
    assert volunteers(View(resolve_period("last_fy", None, None, today()), None, "month"))[
        "minutes"
    ]


def test_make_runs_settings_load_the_demo_too(app, runner, db, monkeypatch):
    """`make run` has no organisation address, tax id or Stripe keys configured (the
    development defaults): the demo loads all the same."""
    from config import DevelopmentConfig

    for name in ("ORG_ADDRESS", "ORG_TAX_ID", "ORG_LEGAL_NAME", "STRIPE_SECRET_KEY",
                 "STRIPE_WEBHOOK_SECRET"):  # fmt: skip
        monkeypatch.setitem(app.config, name, getattr(DevelopmentConfig, name))
    load(runner)
    assert db.session.scalar(select(func.count()).select_from(Donation)) > 1000
