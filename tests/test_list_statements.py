"""Every list page costs the same SQL statements whatever its length: a page of two rows and
a page of seven are read with the same queries (no row loads its contact, campaign, tags or
counts one at a time)."""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import count

import pytest
from sqlalchemy import event

from crm.auth.roles import Role
from crm.contacts import services as contacts
from crm.contacts.models import OrganisationType
from crm.dashboard.calendar import add_months, fy_start, today, zone
from crm.donations.models import (
    Campaign,
    Donation,
    DonationStatus,
    Fund,
    PaymentMethod,
    PlanStatus,
    RecurringPlan,
)
from crm.events.models import (
    Audience,
    Event,
    EventType,
    Headcount,
    Registration,
    RegistrationStatus,
    TrainingRequest,
)
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.volunteers.models import (
    Application,
    HoursEntry,
    HoursSource,
    HoursStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
    VolunteerRole,
)

pytestmark = pytest.mark.clock  # the outcome depends on today's date

SMALL, MORE = 2, 5
serial = count(1)


def _person(db, tag: str | None = None, **fields):
    n = next(serial)
    person = contacts.create_contact(
        {"first_name": f"Row{n}", "last_name": f"Person{n}", "email": f"row{n}@example.org",
         **fields},
        [tag or f"tag{n}"],
    )  # fmt: skip
    return person


def _gift(db, person, when=None, **fields) -> Donation:
    n = next(serial)
    campaign = Campaign(name=f"Campaign{n}", slug=f"campaign-{n}", currency="USD")
    fund = Fund(name=f"Fund{n}")
    gift = Donation(
        contact=person, amount_cents=2500, currency="USD", status=DonationStatus.SUCCEEDED,
        method=PaymentMethod.CHEQUE, received_at=when or utcnow(), campaign=campaign, fund=fund,
        **fields,
    )  # fmt: skip
    db.session.add_all([campaign, fund, gift])
    return gift


def contacts_with_giving(db, n):
    for _ in range(n):
        person = _person(db)
        contacts.link_organisation(
            person, contacts.create_organisation({"name": f"Org{next(serial)}",
                                                  "type": OrganisationType.SCHOOL}), "Teacher"
        )  # fmt: skip
        _gift(db, person)
        yield person.last_name


def organisations(db, n):
    for _ in range(n):
        name = f"Org{next(serial)}"
        contacts.link_organisation(
            _person(db), contacts.create_organisation({"name": name, "type": "school"}), None
        )
        yield name


def gifts(db, n):
    for _ in range(n):
        yield _gift(db, _person(db)).contact.full_name


def plans(db, n):
    for _ in range(n):
        person = _person(db)
        campaign = Campaign(name=f"Campaign{next(serial)}", slug=f"c-{next(serial)}",
                            currency="USD")  # fmt: skip
        db.session.add_all([campaign, RecurringPlan(contact=person, campaign=campaign,
                                                    amount_cents=1000, currency="USD",
                                                    status=PlanStatus.ACTIVE)])  # fmt: skip
        yield person.full_name


def _event(db, days: int, **fields) -> Event:
    n = next(serial)
    starts = utcnow() + timedelta(days=days)
    event = Event(title=f"Event{n}", type=EventType(name=f"Type{n}"), starts_at=starts,
                  ends_at=starts + timedelta(hours=1), is_public=True, **fields)  # fmt: skip
    db.session.add(event)
    person = _person(db)
    db.session.add(Registration(event=event, contact=person, status=RegistrationStatus.CONFIRMED,
                                guests=1, attended_at=starts if days < 0 else None))  # fmt: skip
    db.session.add(Headcount(event=event, audience=Audience.STUDENTS, count=30))
    return event


def events_both_ways(db, n):
    for i in range(n):
        yield _event(db, 5 + i).title
        yield _event(db, -5 - i).title


def upcoming_events(db, n):
    for i in range(n):
        yield _event(db, 5 + i).title


def training_requests(db, n):
    for _ in range(n):
        name = f"School{next(serial)}"
        db.session.add(TrainingRequest(
            organisation_name=name, organisation_type=OrganisationType.SCHOOL,
            audience=Audience.STUDENTS, estimated_size=30, contact=_person(db),
            preferred_1=utcnow() + timedelta(days=30), place="1 School Rd",
        ))  # fmt: skip
        yield name


def _volunteer(db) -> Volunteer:
    volunteer = Volunteer(contact=_person(db), roles=["presenter"], emergency_name="Em",
                          emergency_phone="+12025550100")  # fmt: skip
    db.session.add(volunteer)
    return volunteer


def _shift(db, starts, **fields) -> Shift:
    n = next(serial)
    shift = Shift(title=f"Shift{n}", role=VolunteerRole.OFFICE, starts_at=starts,
                  ends_at=starts + timedelta(hours=2), capacity=3,
                  event=_event(db, 3), **fields)  # fmt: skip
    db.session.add(shift)
    db.session.add(Signup(shift=shift, volunteer=_volunteer(db), status=SignupStatus.CONFIRMED))
    return shift


def volunteers(db, n):
    for _ in range(n):
        volunteer = _volunteer(db)
        _shift(db, utcnow() + timedelta(days=2))
        yield volunteer.contact.full_name


def shifts(db, n):
    for i in range(n):
        yield _shift(db, utcnow() + timedelta(days=2 + i)).title
        yield _shift(db, utcnow() - timedelta(days=2 + i)).title


def kiosk_signups(db, n):
    shift = db.session.get(Shift, 1) or _shift(db, utcnow() + timedelta(minutes=30))
    for _ in range(n):
        volunteer = _volunteer(db)
        db.session.add(Signup(shift=shift, volunteer=volunteer, status=SignupStatus.CONFIRMED))
        yield volunteer.contact.full_name


def pending_hours(db, n):
    for _ in range(n):
        volunteer = _volunteer(db)
        for status in (HoursStatus.PENDING, HoursStatus.APPROVED):
            db.session.add(HoursEntry(
                volunteer=volunteer, role=VolunteerRole.OFFICE, source=HoursSource.SELF,
                status=status, started_at=utcnow() - timedelta(days=3), minutes=90,
                shift=_shift(db, utcnow() - timedelta(days=3)),
            ))  # fmt: skip
        yield volunteer.contact.full_name


def applications(db, n):
    for _ in range(n):
        person = _person(db)
        db.session.add(Application(contact=person, emergency_name="Em",
                                   emergency_phone="+12025550100", adult_confirmed=True,
                                   conduct_agreed_at=utcnow()))  # fmt: skip
        yield person.full_name


def outbox(db, n):
    for _ in range(n):
        address = f"mail{next(serial)}@example.org"
        context = {"user": {"name": "X"}, "url": "http://x", "hours": 1, "place": "CRM"}
        queue_email(to=address, template="auth/email/reset_password", subject="Hi", **context)
        yield address


def users(db, n):
    from crm.auth import services as accounts

    for _ in range(n):
        user = accounts.create_user(f"user{next(serial)}@example.org", f"User {next(serial)}",
                                    Role.COORDINATOR, "a long password 123")  # fmt: skip
        yield user.name


def _donors_of(db, n, months_before_this_fy: int):
    when = datetime.combine(add_months(fy_start(today()), -months_before_this_fy), time(12),
                            tzinfo=zone())  # fmt: skip
    for _ in range(n):
        yield _gift(db, _person(db), when=when).contact.full_name


def lapsed_donors(db, n):
    # the middle of last fiscal year: six months before this one began
    return _donors_of(db, n, 6)


def duplicate_pairs(db, n):
    from crm.dataio.models import DuplicatePair

    for _ in range(n):
        first, second = _person(db), _person(db)
        db.session.flush()
        db.session.add(DuplicatePair(first_id=first.id, second_id=second.id, reason="email"))
        yield second.full_name


def import_batches(db, n):
    from crm.dataio.models import ImportBatch, ImportKind

    for _ in range(n):
        name = f"file{next(serial)}.csv"
        db.session.add(ImportBatch(kind=ImportKind.CONTACTS, filename=name, encoding="utf-8",
                                   delimiter=","))  # fmt: skip
        yield name


def events_this_month(db, n):
    for _ in range(n):
        yield _event(db, -1).title


def open_shifts(db, n):
    for i in range(n):
        yield _shift(db, utcnow() + timedelta(days=3 + i), youth_facing=bool(i % 2)).title


def _pledged_gift(db) -> Donation:
    """A gift, and a pledge of its donor to its campaign and fund with instalments overdue."""
    from crm.donations.pledge_models import PledgeFrequency
    from crm.donations.pledges import PledgeData, create_pledge

    gift = _gift(db, _person(db))
    db.session.flush()
    create_pledge(gift.contact, PledgeData(
        amount_cents=12000, pledged_on=today() - timedelta(days=90),
        first_due_on=today() - timedelta(days=60), frequency=PledgeFrequency.MONTHLY,
        instalments=4, campaign_id=gift.campaign_id, fund_id=gift.fund_id,
    ))  # fmt: skip
    return gift


def campaigns_with_pledges(db, n):
    for _ in range(n):
        yield _pledged_gift(db).campaign.name


def pledges(db, n):
    for _ in range(n):
        yield _pledged_gift(db).contact.full_name


def payouts(db, n):
    from crm.donations.ledger_models import LineKind, Payout, PayoutLine, PayoutStatus

    for _ in range(n):
        gift = _gift(db, _person(db))
        ref = f"po_{next(serial)}"
        payout = Payout(stripe_payout_id=ref, amount_cents=2400, currency="USD",
                        arrival_at=utcnow(), status=PayoutStatus.BALANCED)  # fmt: skip
        db.session.add(PayoutLine(payout=payout, balance_transaction_id=f"txn_{ref}",
                                  kind=LineKind.GIFT, stripe_type="charge", amount_cents=2500,
                                  fee_cents=100, net_cents=2400, currency="USD",
                                  created_at=utcnow(), donation=gift))  # fmt: skip
        yield ref


def attention_events(db, n):
    from crm.donations.models import StripeEvent, StripeEventStatus

    for _ in range(n):
        ref = f"ch_{next(serial)}"
        charge = {"id": ref, "object": "charge", "amount": 2500, "currency": "usd",
                  "amount_refunded": 2500,
                  "billing_details": {"email": f"{ref}@example.org"}}  # fmt: skip
        db.session.add(StripeEvent(
            id=f"evt_{ref}", type="charge.refunded", status=StripeEventStatus.ATTENTION,
            payload={"type": "charge.refunded", "data": {"object": charge}},
            error="A refund of a charge no gift knows.",
        ))  # fmt: skip
        yield ref


def households(db, n):
    from crm.contacts.relations import add_member, start_household

    for _ in range(n):
        household = start_household(_person(db))
        add_member(household, _person(db), take_address=False)
        db.session.flush()
        yield household.name


def segments(db, n):
    from crm.outreach.models import Segment

    for _ in range(n):
        name = f"Segment{next(serial)}"
        db.session.add(Segment(name=name, conditions={"match": "all", "groups": []}))
        yield name


def tasks(db, n):
    from crm.work.models import Task

    for _ in range(n):
        person = _person(db)
        title = f"Call {person.full_name}"
        db.session.add(Task(title=title, team=Role.FUNDRAISER, contact=person,
                            due_on=today() + timedelta(days=3)))  # fmt: skip
        yield title


def expiring_credentials(db, n):
    from crm.volunteers.models import Credential, CredentialStatus, CredentialType

    for _ in range(n):
        volunteer = _volunteer(db)
        kind = CredentialType(name=f"Check{next(serial)}", validity_days=365)
        db.session.add(Credential(volunteer=volunteer, type=kind, status=CredentialStatus.PASSED,
                                  completed_on=today() - timedelta(days=350),
                                  expires_on=today() + timedelta(days=15)))  # fmt: skip
        yield volunteer.contact.full_name


def event_types(db, n):
    for _ in range(n):
        yield _event(db, 5).type.name


def credential_types(db, n):
    from crm.volunteers.models import CredentialType

    for _ in range(n):
        name = f"Training{next(serial)}"
        db.session.add(CredentialType(name=name, validity_days=365))
        yield name


def refunds_to_link(db, n):
    from crm.dataio.models import ImportBatch, ImportKind, UnmatchedRefund

    batch = ImportBatch(kind=ImportKind.GIFTS, filename="gifts.csv", encoding="utf-8",
                        delimiter=",")  # fmt: skip
    db.session.add(batch)
    for line in range(n):
        ref = f"rf_{next(serial)}"
        db.session.add(UnmatchedRefund(
            batch=batch, donor=f"Donor {ref}", system="givebutter", transaction_id=ref,
            original_transaction_id=f"orig_{ref}", amount_cents=1500, currency="USD",
            refunded_at=utcnow(), line=line + 2,
        ))  # fmt: skip
        yield ref


def lapsed_some_years(db, n):
    # two fiscal years ago: SYBUNT (some years but unfortunately not this one)
    return _donors_of(db, n, 18)


@dataclass(frozen=True)
class Case:
    path: str
    seed: object
    role: str = Role.ADMIN


CASES = [
    Case("/contacts/", contacts_with_giving),
    Case("/contacts/?q=row", contacts_with_giving),
    Case("/organisations/", organisations),
    Case("/donations/", gifts),
    Case("/donations/plans/", plans),
    Case("/manage/events/", events_both_ways),
    Case("/events", upcoming_events, None),
    Case("/manage/trainings/", training_requests),
    Case("/volunteers/", volunteers),
    Case("/volunteers/shifts/", shifts),
    Case("/volunteers/hours/", pending_hours),
    Case("/volunteers/applications/", applications),
    Case("/volunteers/kiosk/1", kiosk_signups),
    Case("/admin/outbox/", outbox),
    Case("/admin/users", users),
    Case("/admin/audit/", gifts),
    Case("/dashboard/lybunt", lapsed_donors),
    Case("/duplicates/", duplicate_pairs),
    Case("/imports/", import_batches),
    Case("/dashboard/events?period=custom&from={week_ago}&to={today}", events_this_month),
    Case("/my/volunteering", open_shifts, Role.VOLUNTEER),
    Case("/donations/campaigns/", campaigns_with_pledges),
    Case("/donations/pledges/", pledges),
    Case("/donations/payouts/", payouts),
    Case("/donations/attention", attention_events),
    Case("/donations/thanks/", gifts),
    Case("/households/", households),
    Case("/outreach/segments/", segments),
    Case("/tasks/?who=all", tasks),
    Case("/volunteers/credentials/expiring", expiring_credentials),
    Case("/volunteers/staffing-gaps", open_shifts),
    Case("/manage/event-types/", event_types),
    Case("/volunteers/credential-types/", credential_types),
    Case("/imports/refunds-to-link", refunds_to_link),
    Case("/dashboard/sybunt", lapsed_some_years),
    Case("/dashboard", campaigns_with_pledges),
    Case("/", tasks, Role.FUNDRAISER),
]


def statements(app, client, path) -> tuple[int, str]:
    from crm.extensions import db

    seen = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        response = client.get(path)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert response.status_code == 200, (path, response.status_code)
    return len(seen), response.text


@pytest.mark.parametrize("case", CASES, ids=[c.path for c in CASES])
def test_a_list_page_costs_the_same_statements_at_any_length(app, db, client, make_user, case):
    if case.role == Role.VOLUNTEER:
        volunteer = _volunteer(db)
        db.session.commit()
        client.login(make_user(case.role, contact_id=volunteer.contact_id))
    elif case.role:
        client.login(make_user(case.role))
    list(case.seed(db, SMALL))
    db.session.commit()
    path = case.path.format(today=today(), week_ago=today() - timedelta(days=7))  # local days
    small, _ = statements(app, client, path)
    shown = list(case.seed(db, MORE))
    db.session.commit()
    large, page = statements(app, client, path)
    assert all(name in page for name in shown), "the longer page shows every new row"
    assert large == small, f"{case.path}: {small} statements for a short page, {large} for longer"
