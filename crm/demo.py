"""Demonstration data for `make run`: staff, contacts, organisations, gifts and events, and
two years of history behind them (the dashboard benchmark's generator at a small scale, and a
year of volunteering), so that the dashboard, its charts, retention and LYBUNT have figures."""

from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import insert, literal, select

from crm.auth import services as accounts
from crm.auth.roles import Role
from crm.contacts import services as contacts
from crm.contacts.models import OrganisationType, contact_tags
from crm.dashboard.generate import SLUG_PREFIX, generate
from crm.donations import services as donations
from crm.donations.demo import load_donor_record
from crm.donations.models import (
    Campaign,
    CampaignStatus,
    Donation,
    Fund,
    PlanStatus,
    RecurringPlan,
)
from crm.events import services as events
from crm.events.services import Registrant
from crm.extensions import db
from crm.modelbase import utcnow
from crm.outreach import demo as outreach_demo
from crm.volunteers import demo as volunteers_demo
from crm.volunteers.eligibility import local_today, org_zone

ADMIN_EMAIL = "admin@example.org"
VOLUNTEER_EMAIL = "volunteer@example.org"
# About 400 donors, 4,000 gifts (a third monthly) and 36 events over two years; one donor in
# six lapsed. A fixed seed: every `make run` shows the same history.
HISTORY = {"scale": 0.004, "event_scale": 0.012, "years": 2, "lapsed": 0.16, "seed": 2026}
DEMO_PASSWORD = "demo-password-change-me"

STAFF = [
    ("fundraiser@example.org", "Farah Fundraiser", Role.FUNDRAISER),
    ("coordinator@example.org", "Cory Coordinator", Role.COORDINATOR),
    (VOLUNTEER_EMAIL, "Val Volunteer", Role.VOLUNTEER),
]

ORGANISATIONS = [
    ("Lincoln High School", OrganisationType.SCHOOL, "Springfield"),
    ("Grace Community Church", OrganisationType.FAITH_GROUP, "Springfield"),
    ("Acme Logistics", OrganisationType.BUSINESS, "Shelbyville"),
    ("County Sheriff's Office", OrganisationType.AGENCY, "Springfield"),
    ("Safe Families Coalition", OrganisationType.PARTNER, "Capital City"),
]

PEOPLE = [
    (
        "María José",
        "Núñez",
        "maria.nunez@example.com",
        "+12025550143",
        "Lincoln High School",
        "Counsellor",
        ["parent", "educator"],
    ),
    (
        "James",
        "O'Connor",
        "james.oconnor@example.com",
        "+12025550178",
        "Acme Logistics",
        "HR manager",
        ["employer"],
    ),
    (
        "Aisha",
        "Rahman",
        "aisha.rahman@example.com",
        "+12025550112",
        "Grace Community Church",
        "Youth pastor",
        ["faith leader", "volunteer"],
    ),
    ("Chloé", "Dubois", "chloe.dubois@example.com", None, None, None, ["donor"]),
    ("Tom", "Nguyen", None, "+12025550199", "County Sheriff's Office", "Detective", ["partner"]),
    (
        "Sarah",
        "Miller",
        "sarah.miller@example.com",
        "+12025550155",
        None,
        None,
        ["donor", "monthly"],
    ),
]


def load_demo_data() -> tuple[str, str]:
    if accounts.get_user_by_email(ADMIN_EMAIL) is None:
        accounts.create_user(ADMIN_EMAIL, "Ada Admin", Role.ADMIN, DEMO_PASSWORD)
        for email, name, role in STAFF:
            accounts.create_user(email, name, role, DEMO_PASSWORD)
        upcoming = _load_contacts()
        volunteers_demo.load(ADMIN_EMAIL, VOLUNTEER_EMAIL, "coordinator@example.org", upcoming)
    # Apart from the sign-ins, so that a database made by an older `make run` gets it too.
    if db.session.scalar(select(Campaign.id).where(Campaign.slug.startswith(SLUG_PREFIX))) is None:
        db.session.flush()
        generate(echo=lambda line: None, **HISTORY)
        _tag_givers()
        volunteers_demo.load_history(ADMIN_EMAIL, "coordinator@example.org", VOLUNTEER_EMAIL)
    outreach_demo.load("fundraiser@example.org", "coordinator@example.org")  # commits
    return ADMIN_EMAIL, DEMO_PASSWORD


def _tag_givers() -> None:
    """The generated donors and monthly givers get the tags the list filters by."""
    for name, source in (("donor", Donation), ("monthly", RecurringPlan)):
        [tag] = contacts.get_or_create_tags([name])
        db.session.flush()
        tagged = select(contact_tags.c.contact_id).where(contact_tags.c.tag_id == tag.id)
        givers = select(source.contact_id.distinct(), literal(tag.id)).where(
            source.contact_id.is_not(None), source.contact_id.not_in(tagged)
        )
        db.session.execute(insert(contact_tags).from_select(["contact_id", "tag_id"], givers))


def _load_contacts() -> dict:
    organisations = {
        name: contacts.create_organisation(
            {"name": name, "type": type_, "city": city, "country": "US"}
        )
        for name, type_, city in ORGANISATIONS
    }
    for first, last, email, phone, org, role, tags in PEOPLE:
        person = contacts.create_contact(
            {
                "first_name": first,
                "last_name": last,
                "email": email,
                "phone": phone,
                "city": "Springfield",
                "region": "IL",
                "postcode": "62701",
                "country": "US",
                "email_opt_in": email is not None,
            },
            tags,
        )
        if org:
            contacts.link_organisation(person, organisations[org], role)
    admin = accounts.get_user_by_email(ADMIN_EMAIL)
    first = contacts.find_duplicates(email="maria.nunez@example.com")[0]
    contacts.add_note(first, admin, "Asked about the 30-minute training for the parents' evening.")
    campaign = _load_giving()
    upcoming = _load_events(campaign)
    db.session.flush()
    load_donor_record("fundraiser@example.org")
    return upcoming


def _load_giving():
    """Two funds, the default campaign, and a few gifts of different kinds."""
    general = Fund(name="General fund", description="Where the need is greatest")
    schools = Fund(
        name="School programmes",
        restricted=True,
        description="Trainings for students, parents and teachers",
    )
    campaign = Campaign(
        name="Protect children this year",
        slug=current_app.config["DEFAULT_CAMPAIGN_SLUG"],
        goal_cents=5_000_000,
        currency=current_app.config["CURRENCY"],
        status=CampaignStatus.ACTIVE,
        default_fund=general,
        description="Every $25 trains a parent to recognise the signs of grooming and trafficking.",
    )
    db.session.add_all([general, schools, campaign])
    db.session.flush()
    donors = [
        contacts.find_duplicates(email=e)[0]
        for e in (
            "chloe.dubois@example.com",
            "sarah.miller@example.com",
            "james.oconnor@example.com",
        )
    ]
    gifts = [
        (donors[0], "cheque", 25_000, schools, 20),
        (donors[1], "cash", 5_000, general, 9),
        (donors[2], "bank_transfer", 100_000, general, 3),
    ]
    for donor, method, amount, fund, days_ago in gifts:
        donations.record_offline_gift(
            donor,
            {
                "method": method,
                "amount_cents": amount,
                "fund_id": fund.id,
                "campaign_id": campaign.id,
                "received_at": utcnow() - timedelta(days=days_ago),
                "cheque_number": "1042" if method == "cheque" else None,
            },
        )
    db.session.add(
        RecurringPlan(
            contact=donors[1],
            amount_cents=2_500,
            currency=campaign.currency,
            status=PlanStatus.ACTIVE,
            campaign=campaign,
            fund=general,
        )
    )
    return campaign


def _load_events(campaign) -> dict:
    """The flagship training, a parent night and a school presentation, in the coming weeks
    at the local hours such events are held (evenings for parents, school hours for pupils)."""
    training = events.create_event_type(
        "Awareness training", "Protecting Children from Sex Trafficking (30 minutes)", 30
    )
    parents = events.create_event_type("Parent night", "An evening for parents and carers", 90)
    school = events.create_event_type("School presentation", "For students, in class", 50)
    today = local_today(utcnow())
    upcoming = {
        "training": ("Protecting Children from Sex Trafficking", training,
                     _local(today + timedelta(days=7), time(18, 30)), 40, ["parents", "educators"]),
        "parent_night": ("Parent night at Lincoln High", parents,
                         _local(today + timedelta(days=12), time(18, 30)), 60, ["parents"]),
        "school": ("Grade 9 presentation", school,
                   _local(_weekday(today + timedelta(days=19)), time(10)), None, ["students"]),
    }  # fmt: skip
    made = {}
    for key, (title, type_, starts_at, capacity, audiences) in upcoming.items():
        made[key] = events.create_event(
            {
                "title": title,
                "type_id": type_.id,
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=type_.default_minutes),
                "capacity": capacity,
                "venue": "Lincoln High School, 100 School Road, Springfield, IL",
                "is_public": type_ is not school,
                "campaign_id": campaign.id,
                "audiences": audiences,
                "description": "Learn the warning signs and how to act.",
            }
        )
    events.register(
        made["training"].id,
        Registrant(first_name="María José", last_name="Núñez", email="maria.nunez@example.com"),
    )
    return made


def _local(day: date, at: time) -> datetime:
    """A wall-clock time in the organisation's time zone, as the moment it is."""
    return datetime.combine(day, at, tzinfo=org_zone()).astimezone(UTC)


def _weekday(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day
