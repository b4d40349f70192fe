"""The top of a donor's page: the giving summary (against figures worked out here by hand),
household giving with each gift once, soft credits and pledges that change no money figure,
what coordinators see, and a page whose cost does not grow with the donor's history."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.contacts import relations
from crm.donations import credits, pledges, services
from crm.donations.credit_models import SoftCreditRole
from crm.donations.models import DonationStatus, PaymentMethod, PlanStatus, RecurringPlan
from crm.donations.pledge_models import PledgeFrequency
from crm.donations.summary import giving_summary, household_totals
from crm.extensions import db as _db
from tests.work.support import load_gifts, statements

pytestmark = pytest.mark.clock
ZONE = ZoneInfo("America/New_York")  # TestingConfig's ORG_TIMEZONE


def fiscal_years() -> tuple[date, date]:
    """This fiscal year's first day and last year's (July to June), worked out here."""
    today = datetime.now(ZONE).date()
    start = date(today.year if today.month >= 7 else today.year - 1, 7, 1)
    return start, start.replace(year=start.year - 1)


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=ZONE)


@pytest.fixture
def donor(db, make_contact, make_donation, make_organisation, make_user):
    """Ann's giving: this year 100 (20 refunded), last year 50, three years ago 30; a failed
    gift and one refunded in full; her employer's match; a soft credit from Ben's gift; a
    monthly plan; an open pledge of 300 with 100 paid."""
    this_fy, last_fy = fiscal_years()
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann@example.org")
    ben = make_contact(first_name="Ben", last_name="Lee")
    recent = make_donation(ann, 10_000, received_at=noon(this_fy))
    services.apply_refund(recent, 2_000, made_elsewhere=True)
    make_donation(ann, 5_000, received_at=noon(last_fy + timedelta(days=40)))
    make_donation(ann, 3_000, received_at=noon(last_fy - timedelta(days=800)))
    make_donation(ann, 99_900, status=DonationStatus.FAILED, received_at=noon(this_fy))
    refunded = make_donation(ann, 7_000, received_at=noon(last_fy + timedelta(days=3)))
    services.apply_refund(refunded, 7_000, made_elsewhere=True)
    acme = make_organisation(name="Acme", type="business")
    credits.record_match(
        recent, credits.MatchDetails(acme, 50_000, noon(this_fy), PaymentMethod.CHEQUE, "77")
    )
    bens = make_donation(ben, 4_000, received_at=noon(this_fy))
    credits.add_soft_credit(bens, ann, SoftCreditRole.HOUSEHOLD, None, make_user())
    _db.session.add(RecurringPlan(contact=ann, amount_cents=1_500, currency="USD",
                                  status=PlanStatus.ACTIVE))  # fmt: skip
    pledge = pledges.create_pledge(ann, pledges.PledgeData(30_000, this_fy, this_fy,
                                                           PledgeFrequency.MONTHLY, 3))  # fmt: skip
    paying = make_donation(ann, 10_000, method=PaymentMethod.CHEQUE, received_at=noon(this_fy))
    pledges.apply_payment(pledge, paying, None, None)
    _db.session.commit()
    return ann, ben


def test_the_giving_summary_adds_up(db, donor):
    ann, _ = donor
    summary = giving_summary(ann.id)
    totals = summary.totals
    # own gifts: 80 + 100 (the pledge payment) this year, 50 + 0 last year, 30 before
    assert totals.this_fy_cents == 18_000
    assert totals.last_fy_cents == 5_000
    assert totals.given_cents == 26_000
    assert totals.gifts == 4  # the failed and the fully refunded gifts are not gifts
    assert totals.largest_cents == 10_000 and summary.largest.amount_cents == 10_000
    assert (summary.matched_cents, summary.matched_gifts) == (50_000, 1)
    assert (summary.soft_credit_cents, summary.soft_credits) == (4_000, 1)
    assert summary.plan.amount_cents == 1_500
    assert (summary.open_pledges, summary.pledge_balance_cents) == (1, 20_000)
    this_fy, last_fy = fiscal_years()
    assert totals.first_at.astimezone(ZONE).date() == last_fy - timedelta(days=800)


def test_the_page_shows_it_to_money_roles_only(client, donor, make_user):
    ann, _ = donor
    client.login_as(make_user(Role.FUNDRAISER))
    page = client.get(f"/contacts/{ann.id}").text
    summary = page.split('id="panel-giving-h"')[1].split("</section>")[0]
    for figure in ("$260.00", "$180.00", "$50.00", "$40.00", "$500.00", "$200.00 to come"):
        assert figure in summary
    assert "active" in summary and "Matched by employers" in summary
    client.login_as(make_user(Role.COORDINATOR))
    page = client.get(f"/contacts/{ann.id}").text
    assert "Giving" not in page and "$" not in page and "Pledged" not in page
    assert "kind=gifts" not in page
    filtered = client.get(f"/contacts/{ann.id}?kind=gifts").text  # not theirs: everything else
    assert "$" not in filtered


def test_a_household_counts_each_gift_once(client, db, donor, make_user):
    """Ben's gift credits Ann (a soft credit): the household counts it once, as Ben's."""
    ann, ben = donor
    household = relations.start_household(ann)
    relations.add_member(household, ben, take_address=True)
    db.session.commit()
    both = household_totals(household.id)
    assert both.given_cents == giving_summary(ann.id).totals.given_cents + 4_000
    assert both.gifts == 5
    client.login_as(make_user(Role.FUNDRAISER))
    page = client.get(f"/households/{household.id}").text
    assert "Household giving" in page and "$300.00" in page
    assert "Household giving: <a" in client.get(f"/contacts/{ben.id}").text
    client.login_as(make_user(Role.COORDINATOR))
    assert "$" not in client.get(f"/households/{household.id}").text


def dashboard_money():
    from crm.dashboard import metrics
    from crm.dashboard.calendar import resolve_period, today

    figures = []
    for kind in ("fy", "last_fy"):
        period = resolve_period(kind, None, None, today())
        money = metrics.money(period, None, "month")
        donors = metrics.donors(period, None)
        figures.append((money.totals, donors))
    return figures, metrics.campaign_progress(None)


def test_soft_credits_and_pledges_change_no_money_figure(
    db, donor, make_contact, make_donation, make_user
):
    ann, ben = donor
    before = dashboard_money()
    carl = make_contact(first_name="Carl", last_name="Roe")
    gift = make_donation(ben, 2_500)
    credits.add_soft_credit(gift, carl, SoftCreditRole.SOLICITOR, 2_500, make_user())
    credits.add_soft_credit(gift, ann, SoftCreditRole.HOUSEHOLD, 1_000, make_user())
    today = datetime.now(ZONE).date()
    promise = pledges.PledgeData(90_000, today, today, PledgeFrequency.YEARLY, 3)
    pledge = pledges.create_pledge(carl, promise)
    pledges.write_off(pledge, "Moved away", make_user())
    db.session.commit()
    after_gift = dashboard_money()
    # the only change is Ben's gift of 25.00 itself
    (fy_before, _), (last_before, _) = before[0]
    (fy_after, _), (last_after, _) = after_gift[0]
    assert fy_after.gross_cents - fy_before.gross_cents == 2_500
    assert fy_after.gifts - fy_before.gifts == 1
    assert last_after == last_before


def test_a_match_is_money_raised_once(db, donor, make_organisation):
    from crm.dashboard import metrics
    from crm.dashboard.calendar import resolve_period, today

    ann, _ = donor
    period = resolve_period("fy", None, None, today())
    gross = metrics.money(period, None, "month").totals.gross_cents
    gift = _db.session.scalar(select(pledges.Donation).where(
        pledges.Donation.contact_id == ann.id, pledges.Donation.amount_cents == 5_000))  # fmt: skip
    today = noon(datetime.now(ZONE).date())
    initech = make_organisation(name="Initech")
    credits.record_match(
        gift, credits.MatchDetails(initech, 5_000, today, PaymentMethod.CHEQUE, "1")
    )
    db.session.commit()
    # last year's gift, matched this year: the match is this year's money
    assert metrics.money(period, None, "month").totals.gross_cents == gross + 5_000
    assert giving_summary(ann.id).totals.given_cents == 26_000  # not hers


def test_the_contact_page_costs_the_same_at_2000_gifts(client, db, make_contact, make_user):
    few, many = make_contact(first_name="Few"), make_contact(first_name="Many")
    load_gifts(few.id, 2)
    load_gifts(many.id, 2_000)
    client.login_as(make_user(Role.ADMIN))
    counts = {}
    for contact in (few, many):
        client.get(f"/contacts/{contact.id}")  # warm: the first request loads the user
        with statements() as sent:
            assert client.get(f"/contacts/{contact.id}").status_code == 200
        counts[contact.first_name] = len(sent)
    assert counts["Few"] == counts["Many"], counts
    assert counts["Many"] < 60


def test_the_timeline_pages_through_2000_gifts_once_each(client, db, make_contact, make_user):
    many = make_contact(first_name="Many")
    load_gifts(many.id, 2_000)
    client.login_as(make_user(Role.FUNDRAISER))
    url, seen, pages = f"/contacts/{many.id}?kind=gifts", [], 0
    while url:
        page = client.get(url).text
        seen += [int(i) for i in re.findall(r'<a href="/donations/(\d+)">\$25\.00 gift', page)]
        older = re.search(r'rel="next" href="([^"]+)"', page)
        url = older.group(1).replace("&amp;", "&") if older else None
        pages += 1
    assert pages == 80
    assert len(seen) == len(set(seen)) == 2_000
    assert seen == sorted(seen)  # loaded newest first, so newest first is by id


def test_a_merge_moves_every_donor_record(db, donor, make_contact, make_donation, make_user):
    """Soft credits, pledges and tasks point at contacts by foreign key: the merge walks them."""
    from crm.contacts import services as contact_services
    from crm.donations.credit_models import SoftCredit
    from crm.donations.pledge_models import Pledge
    from crm.work.models import Task

    ann, ben = donor
    twin = make_contact(first_name="Ann", last_name="Lee", email="ann.twin@example.org")
    gift = make_donation(ben, 1_000)
    credits.add_soft_credit(gift, twin, SoftCreditRole.SOLICITOR, None, make_user())
    today = datetime.now(ZONE).date()
    pledges.create_pledge(twin, pledges.PledgeData(5_000, today, today, PledgeFrequency.ONCE, 1))
    make_donation(twin, 2_000)  # the CRM's thank-you task, about the twin
    db.session.commit()
    contact_services.merge_contacts(ann, twin, set(), make_user())
    db.session.commit()
    for model in (SoftCredit, Pledge, Task):
        assert not db.session.scalars(select(model).where(model.contact_id == twin.id)).all()
    assert len(db.session.scalars(select(Pledge).where(Pledge.contact_id == ann.id)).all()) == 2
    summary = giving_summary(ann.id)
    assert summary.soft_credits == 2 and summary.open_pledges == 2


def test_erasure_keeps_pledges_and_leaves_the_household(db, donor, make_user):
    from crm.dataio.privacy import erase_contact
    from crm.donations.credit_models import SoftCredit
    from crm.donations.pledge_models import Pledge

    ann, ben = donor
    for plan in db.session.scalars(select(RecurringPlan).where(RecurringPlan.contact_id == ann.id)):
        services.cancel_plan(plan)
    household = relations.start_household(ben)
    relations.add_member(household, ann, take_address=False)
    db.session.commit()
    erase_contact(ann, "asked", make_user())
    db.session.commit()
    db.session.expire_all()
    erased = db.session.get(type(ann), ann.id)
    assert erased.first_name == "Erased" and erased.household_id is None
    assert db.session.scalars(select(Pledge).where(Pledge.contact_id == ann.id)).all()
    assert not db.session.scalars(select(SoftCredit).where(SoftCredit.contact_id == ann.id)).all()
