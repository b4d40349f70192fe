"""`flask crm demo-data` (what `make run` loads) gives every dashboard figure something to
show: this year beside last year, retention, LYBUNT and SYBUNT, campaigns against goal,
events held and people reached, volunteer hours; and a second run adds nothing."""

from sqlalchemy import func, select

from crm.auth.models import User
from crm.contacts.models import Contact, contact_tags
from crm.dashboard import metrics
from crm.dashboard.calendar import resolve_period, today
from crm.dashboard.models import ALL, EVER, GiftRollup
from crm.dashboard.rebuild import rebuild_summaries
from crm.dashboard.tiles import View
from crm.dashboard.volunteer_tiles import volunteers
from crm.donations.models import Campaign, CampaignStatus, Donation
from crm.events.models import Event, Headcount, Registration
from crm.volunteers.models import Credential, HoursEntry, HoursStatus, Shift
from tests.dashboard.conftest import summaries

MODELS = (User, Contact, Donation, Campaign, Event, Registration, Headcount, Shift, HoursEntry,
          Credential)  # fmt: skip
TABLES = [m.__table__ for m in MODELS] + [contact_tags]


def counts(db) -> dict:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in TABLES}


def load(runner):
    result = runner.invoke(args=["crm", "demo-data"])
    assert result.exit_code == 0, result.output
    assert "admin@example.org" in result.output


def test_the_demo_history_fills_the_dashboard(runner, db):
    load(runner)
    this_year = resolve_period("fy", None, None, today())
    last_year = resolve_period("last_fy", None, None, today())

    assert metrics.money(this_year, None, "month").totals.gross_cents > 0
    money = metrics.money(last_year, None, "month")
    assert money.totals.gross_cents > 0 and money.totals.refunded_cents > 0
    assert len({fund for fund, sums in money.by_fund.items() if sums.gifts}) >= 3
    # the year-end peak: last December raised more than any other month of last year
    december = max(money.series, key=lambda bucket: bucket[2].gross_cents)
    assert december[0].month == 12

    donors = metrics.donors(this_year, None)
    assert donors.last_year_donors > donors.retained > 0  # retention is some share
    assert donors.lybunt > 0 and donors.sybunt > 0 and donors.new > 0

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

    for period in (this_year, last_year):
        held = metrics.event_figures(period, None)
        assert held["held"] > 0 and held["trainings"] > 0 and held["reached"] > 0
    assert "students" in metrics.event_figures(last_year, None)["by_audience"]
    assert metrics.upcoming_events(None) > 0 and metrics.open_training_requests() > 0

    team = volunteers(View(this_year, None, "month"))
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
