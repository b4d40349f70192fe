"""Every kind of segment condition against a small world whose answers are known, and/or
groups, negation, and the money rule for coordinators. Runs on SQLite and PostgreSQL."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import select

from crm.contacts import services as contacts
from crm.contacts.models import Contact, OrganisationType, Tag
from crm.donations.models import (
    Appeal,
    Donation,
    DonationStatus,
    Fund,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.events.models import Registration, RegistrationStatus, TrainingRequest
from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.outreach import segments
from crm.outreach.conditions import ConditionError, read_tree
from crm.outreach.models import Topic
from crm.volunteers.models import (
    Credential,
    CredentialStatus,
    CredentialType,
    HoursEntry,
    HoursSource,
    HoursStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)
from tests.outreach.conftest import subscribe, tree

pytestmark = pytest.mark.clock  # fiscal years, "expiring within", "this year"


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


def local_today() -> date:
    return utcnow().astimezone(zone()).date()


def fiscal_year_start() -> date:
    today, month = local_today(), current_app.config["FISCAL_YEAR_START_MONTH"]
    return date(today.year if today.month >= month else today.year - 1, month, 1)


def moment(day: date) -> datetime:
    return datetime.combine(day, time(12), tzinfo=zone())


def gift(contact, cents, day, **fields):
    row = Donation(contact=contact, amount_cents=cents, currency="USD", method=PaymentMethod.CASH,
                   status=fields.pop("status", DonationStatus.SUCCEEDED),
                   received_at=moment(day), **fields)  # fmt: skip
    _db.session.add(row)
    return row


@pytest.fixture
def world(db, make_contact, make_organisation, make_campaign, make_event, make_event_type):
    fy = fiscal_year_start()
    people = {
        "ada": make_contact(first_name="Ada", city="Springfield", region="IL", postcode="62701",
                            email="ada@example.org", email_opt_in=True, tags=["parents"]),
        "bob": make_contact(first_name="Bob", city="Shelbyville", region="IL", postcode="62565",
                            email="bob@example.org", email_opt_in=False),
        "cara": make_contact(first_name="Cara", email="cara@example.org", email_opt_in=True),
        "dan": make_contact(first_name="Dan", email="dan@example.org"),
        "eve": make_contact(first_name="Eve", email="eve@example.org"),
        "fay": make_contact(first_name="Fay", email="fay@example.org"),
        "gus": make_contact(first_name="Gus", email="gus@example.org", city=" springfield "),
    }  # fmt: skip
    school = make_organisation("Lincoln High School", OrganisationType.SCHOOL)
    contacts.link_organisation(people["bob"], school, "Teacher")
    campaign, fund = make_campaign(), Fund(name="Parent trainings")
    _db.session.add_all([fund, Appeal(code="spring-letter", name="Spring letter")])
    _db.session.flush()
    # giving
    gift(people["dan"], 10_000, fy - timedelta(days=100))  # last fiscal year only: LYBUNT
    gift(people["eve"], 2_500, fy - timedelta(days=900), source="spring-letter")  # SYBUNT
    gift(people["gus"], 50_000, fy + timedelta(days=1), campaign_id=campaign.id, fund_id=fund.id)
    gift(people["gus"], 1_000, fy + timedelta(days=2))
    gift(people["fay"], 9_000, fy + timedelta(days=1), status=DonationStatus.FAILED)
    gift(people["ada"], 7_000, fy + timedelta(days=1), status=DonationStatus.REFUNDED,
         refunded_cents=7_000)  # fmt: skip
    _db.session.add_all([
        RecurringPlan(contact=people["gus"], amount_cents=2500, currency="USD",
                      status=PlanStatus.ACTIVE),
        RecurringPlan(contact=people["dan"], amount_cents=2500, currency="USD",
                      status=PlanStatus.CANCELLED),
    ])  # fmt: skip
    # volunteering
    check = CredentialType(name="Background check", key="background_check", validity_days=730)
    volunteer = Volunteer(contact=people["cara"], roles=["presenter"], emergency_name="E",
                          emergency_phone="+12025550100")  # fmt: skip
    _db.session.add_all([check, volunteer])
    _db.session.flush()
    _db.session.add(Credential(volunteer=volunteer, type=check, status=CredentialStatus.PASSED,
                               expires_on=local_today() + timedelta(days=20)))  # fmt: skip
    start = utcnow() - timedelta(days=3)
    shift = Shift(title="Welcome desk", role=VolunteerRole.PRESENTER, starts_at=start,
                  ends_at=start + timedelta(hours=2), capacity=2)  # fmt: skip
    _db.session.add(shift)
    _db.session.flush()
    _db.session.add_all([
        Signup(shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED),
        HoursEntry(volunteer=volunteer, shift=shift, role=VolunteerRole.PRESENTER,
                   source=HoursSource.KIOSK, status=HoursStatus.APPROVED, started_at=start,
                   ended_at=start + timedelta(hours=5), minutes=300),
    ])  # fmt: skip
    # events
    training = make_event_type("Parent training")
    event = make_event(title="Parent night", event_type=training, days=-5)
    _db.session.add_all([
        Registration(event=event, contact=people["fay"], status=RegistrationStatus.CONFIRMED,
                     attended_at=event.starts_at),
        Registration(event=event, contact=people["ada"], status=RegistrationStatus.CONFIRMED),
        Registration(event=event, contact=people["bob"], status=RegistrationStatus.CANCELLED),
        Registration(event=event, contact=None, walk_in_name="Walk-in",
                     status=RegistrationStatus.CONFIRMED),
        TrainingRequest(organisation_name="Lincoln High", organisation_type="school",
                        contact=people["fay"], audience="parents", estimated_size=30,
                        preferred_1=event.starts_at, place="Gym", status="accepted",
                        event_id=event.id),
    ])  # fmt: skip
    _db.session.commit()
    ids = {
        "tag": _db.session.scalar(select(Tag.id).where(Tag.name == "parents")),
        "organisation": school.id, "campaign": campaign.id, "fund": fund.id,
        "event": event.id, "event_type": training.id, "credential_type": check.id,
    }  # fmt: skip
    return people, ids


def names(*conditions, match="all", money=True, data=None) -> set[str]:
    checked = read_tree(data or tree(*conditions, match=match), may_see_money=money)
    found = _db.session.scalars(segments.members(checked)).all()
    assert segments.count(checked) == len(found)
    return {c.first_name.lower() for c in found}


def test_who_and_where(world):
    _, ids = world
    assert names({"kind": "tag", "value": str(ids["tag"])}) == {"ada"}
    assert names({"kind": "organisation", "value": str(ids["organisation"])}) == {"bob"}
    assert names({"kind": "organisation_type", "value": "school"}) == {"bob"}
    assert names({"kind": "city", "value": "SPRINGFIELD"}) == {"ada", "gus"}
    assert names({"kind": "region", "value": "il"}) == {"ada", "bob"}
    assert names({"kind": "postcode", "value": "627"}) == {"ada"}
    assert names({"kind": "role", "value": "donor"}) == {"dan", "eve", "gus"}
    assert names({"kind": "role", "value": "volunteer"}) == {"cara"}
    assert names({"kind": "role", "value": "attendee"}) == {"fay"}
    assert names({"kind": "role", "value": "partner"}) == {"bob"}


def test_email_topics_follow_the_opt_in_until_the_person_says(world):
    people, _ = world
    subscribe(people["bob"], Topic.NEWSLETTER)
    subscribe(people["ada"], Topic.NEWSLETTER, granted=False)
    assert names({"kind": "topic", "value": "newsletter"}) == {"bob", "cara"}
    assert names({"kind": "topic", "value": "appeals"}) == {"ada", "cara"}


def test_giving(world):
    people, ids = world
    fy = fiscal_year_start()
    assert names({"kind": "gave"}) == {"dan", "eve", "gus"}  # failed and refunded do not count
    this_year = {"date_from": fy.isoformat()}
    assert names({"kind": "gave", **this_year}) == {"gus"}
    assert names({"kind": "total_given", "amount_min": "500", **this_year}) == {"gus"}
    assert names({"kind": "total_given", "amount_min": "500.01", **this_year}) == {"gus"}
    assert names({"kind": "total_given", "amount_max": "100"}) == {"dan", "eve"}
    assert names({"kind": "largest_gift", "amount_min": "100", "amount_max": "100"}) == {"dan"}
    assert names({"kind": "first_gift", **this_year}) == {"gus"}
    assert names({"kind": "monthly_donor"}) == {"gus"}
    assert names({"kind": "lapsed_monthly"}) == {"dan"}
    assert names({"kind": "lybunt"}) == {"dan"}
    assert names({"kind": "sybunt"}) == {"eve"}
    assert names({"kind": "gave_campaign", "value": str(ids["campaign"])}) == {"gus"}
    assert names({"kind": "gave_fund", "value": str(ids["fund"])}) == {"gus"}
    assert names({"kind": "gave_appeal", "value": "spring-letter"}) == {"eve"}


def test_volunteering(world):
    _, ids = world
    assert names({"kind": "volunteer_active"}) == {"cara"}
    valid = {"kind": "credential_valid", "value": str(ids["credential_type"])}
    assert names(valid) == {"cara"}
    expiring = {"kind": "credential_expiring", "value": str(ids["credential_type"])}
    assert names({**expiring, "number": "30"}) == {"cara"}
    assert names({**expiring, "number": "10"}) == set()
    assert names({"kind": "volunteer_hours", "number": "5"}) == {"cara"}
    assert names({"kind": "volunteer_hours", "number": "6"}) == set()
    assert names({"kind": "shift_role", "value": "presenter"}) == {"cara"}
    assert names({"kind": "shift_role", "value": "office"}) == set()


def test_events(world):
    _, ids = world
    assert names({"kind": "event_registered", "value": str(ids["event"])}) == {"ada", "fay"}
    assert names({"kind": "event_attended", "value": str(ids["event"])}) == {"fay"}
    kind = {"value": str(ids["event_type"])}
    assert names({"kind": "event_type_registered", **kind}) == {"ada", "fay"}
    assert names({"kind": "event_type_attended", **kind}) == {"fay"}
    assert names({"kind": "hosted_training"}) == {"fay"}


def test_and_or_groups_and_negation(world):
    _, ids = world
    tag = {"kind": "tag", "value": str(ids["tag"])}
    city = {"kind": "city", "value": "Springfield"}
    assert names(tag, city) == {"ada"}
    assert names(tag, city, match="any") == {"ada", "gus"}
    assert names({**tag, "negate": True}, city) == {"gus"}
    # NOT over a subquery with NULLs (the walk-in's registration) still finds people
    everyone_else = names({"kind": "event_registered", "value": str(ids["event"]), "negate": True})
    assert everyone_else == {"bob", "cara", "dan", "eve", "gus"}
    two_groups = {"match": "any", "groups": [
        {"match": "all", "conditions": [tag, city]},
        {"match": "all", "conditions": [{"kind": "lybunt"}]},
    ]}  # fmt: skip
    assert names(data=two_groups) == {"ada", "dan"}
    both = {**two_groups, "match": "all"}
    assert names(data=both) == set()


def test_coordinators_cannot_filter_by_money(world, make_user):
    with pytest.raises(ConditionError, match="cannot filter by giving"):
        names({"kind": "lybunt"}, money=False)
    with pytest.raises(ConditionError, match="cannot filter by giving"):
        names({"kind": "role", "value": "donor"}, money=False)
    assert names({"kind": "role", "value": "volunteer"}, money=False) == {"cara"}
    coordinator = make_user("coordinator")
    with pytest.raises(segments.SegmentError, match="cannot filter by giving"):
        segments.save(None, "Donors", None, tree({"kind": "gave"}), coordinator)
    fundraiser = make_user("fundraiser")
    saved = segments.save(None, "Donors", None, tree({"kind": "gave"}), fundraiser)
    assert saved.uses_money and not segments.may_use(saved, coordinator)
    visible = _db.session.scalars(segments.visible(coordinator)).all()
    assert saved not in visible


@pytest.mark.parametrize("condition, message", [
    ({"kind": "nope"}, "Choose what the condition is about"),
    ({"kind": "tag", "value": "999999"}, "choose one from the list"),
    ({"kind": "city", "value": ""}, "type a value"),
    ({"kind": "city", "value": "Spring\x00field"}, "characters that cannot be used"),
    ({"kind": "gave", "date_from": "2026-02-30"}, "not a date"),
    ({"kind": "gave", "date_from": "2026-03-02", "date_to": "2026-03-01"}, "ends before"),
    ({"kind": "total_given"}, "give at least or at most"),
    ({"kind": "total_given", "amount_min": "-5"}, "cannot be negative"),
    ({"kind": "total_given", "amount_min": "50", "amount_max": "10"}, "smallest amount"),
    ({"kind": "volunteer_hours", "number": "lots"}, "whole number"),
    ({"kind": "volunteer_hours"}, "enter the number"),
])  # fmt: skip
def test_bad_conditions_are_refused_with_a_reason(db, condition, message):
    with pytest.raises(ConditionError, match=message):
        read_tree(tree(condition), may_see_money=True)


def test_a_contact_added_later_is_found_when_the_segment_is_used_again(world, make_contact):
    _, ids = world
    saved = tree({"kind": "tag", "value": str(ids["tag"])})
    assert names(data=saved) == {"ada"}
    make_contact(first_name="Hal", tags=["parents"])
    assert names(data=saved) == {"ada", "hal"}
    assert _db.session.scalar(select(Contact).where(Contact.first_name == "Hal"))
