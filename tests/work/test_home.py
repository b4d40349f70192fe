"""The home page after sign-in: what waits for each role, each item a link that acts on it,
and a cost that does not grow with how much waits."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.dataio.models import DuplicatePair
from crm.donations.models import DonationStatus, PlanStatus, RecurringPlan
from crm.events.models import Audience, TrainingRequest
from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.volunteers.models import (
    Credential,
    CredentialStatus,
    CredentialType,
    HoursEntry,
    HoursSource,
    HoursStatus,
    Shift,
    Volunteer,
    VolunteerRole,
)
from tests.work.support import statements

pytestmark = pytest.mark.clock


def section(page: str, title: str) -> str:
    assert title in page, f"{title} is not on the page"
    return page.split(title, 1)[1].split("</section>", 1)[0]


@pytest.fixture
def waiting(db, make_contact, make_donation):
    """Something of every kind waiting, n of each."""

    def fill(n: int) -> None:
        now = utcnow()
        kind = CredentialType(name=f"Check {n}", validity_days=365)
        _db.session.add(kind)
        for i in range(n):
            person = make_contact(first_name=f"Person{i}", last_name="Waiting")
            make_donation(person, 5_000, received_at=now - timedelta(days=i + 1))
            make_donation(person, 1_000, status=DonationStatus.FAILED)
            _db.session.add(RecurringPlan(contact=person, amount_cents=2_000, currency="USD",
                                          status=PlanStatus.PAST_DUE))  # fmt: skip
            volunteer = Volunteer(contact=person)
            _db.session.add_all([
                volunteer,
                HoursEntry(volunteer=volunteer, role=VolunteerRole.OFFICE, source=HoursSource.SELF,
                           status=HoursStatus.PENDING, started_at=now - timedelta(days=2),
                           minutes=90),
                Credential(volunteer=volunteer, type=kind, status=CredentialStatus.PASSED,
                           expires_on=(now + timedelta(days=10 + i)).date()),
                Shift(title=f"Shift {i}", role=VolunteerRole.OUTREACH, capacity=2,
                      starts_at=now + timedelta(days=3, hours=i),
                      ends_at=now + timedelta(days=3, hours=i + 1)),
                TrainingRequest(organisation_name=f"School {i}", organisation_type="school",
                                audience=Audience.STUDENTS, estimated_size=30,
                                preferred_1=now + timedelta(days=40), place="Main St"),
            ])  # fmt: skip
            twin = make_contact(first_name=f"Person{i}", last_name="Waiting")
            _db.session.add(DuplicatePair(first_id=person.id, second_id=twin.id, reason="name"))
        _db.session.commit()

    return fill


def test_fundraisers_see_gifts_to_thank_plans_and_failed_payments(client, make_user, waiting):
    waiting(2)
    client.login_as(make_user(Role.FUNDRAISER))
    page = client.get("/").text
    thank = section(page, "Gifts to thank")
    assert "$50.00 from Person1 Waiting" in thank and 'href="/donations/thanks/"' in thank
    assert thank.index("Person1") < thank.index("Person0")  # oldest first
    assert "Person0 Waiting: $20.00 a month" in section(page, "Monthly gifts past due")
    assert "$10.00 from Person0" in section(page, "Failed payments, last 30 days")
    tasks = section(page, "Tasks due")
    assert "Thank Person0 Waiting for their first gift" in tasks and ">Done<" in tasks
    for theirs in ("Hours to approve", "Staffing gaps", "Possible duplicates"):
        assert theirs not in page


def test_coordinators_see_their_work_and_no_money(client, make_user, waiting):
    waiting(2)
    client.login_as(make_user(Role.COORDINATOR))
    page = client.get("/").text
    assert "$" not in page and "Gifts to thank" not in page
    hours = section(page, "Hours to approve")
    assert "Person0 Waiting: 1 hr, 30 min" in hours and ">Approve<" in hours
    assert "School 0" in section(page, "Open training requests")
    assert "Shift 0" in section(page, "Staffing gaps, next 14 days")
    assert "Person0 Waiting: Check 2" in section(page, "Credentials expiring in 30 days")
    assert "Follow up the training request from School 0" in section(page, "Tasks due")
    # approving from the home page
    entry = _db.session.scalars(select(HoursEntry).order_by(HoursEntry.id)).first()
    client.form("/volunteers/hours/review", {"decision": "approve", "entry_ids": str(entry.id)})
    _db.session.expire_all()
    assert _db.session.get(HoursEntry, entry.id).status == HoursStatus.APPROVED
    assert '>1<span class="visually-hidden"> waiting' in section(
        client.get("/").text, "Hours to approve"
    )


def test_admins_see_everything_and_the_duplicates(client, make_user, waiting):
    waiting(1)
    client.login_as(make_user(Role.ADMIN))
    page = client.get("/").text
    for title in ("Gifts to thank", "Hours to approve", "Open training requests",
                  "Possible duplicates to review", "Imports with conflicts"):  # fmt: skip
        assert title in page
    assert "Person0 Waiting and Person0 Waiting" in section(page, "Possible duplicates")


def test_the_home_page_costs_the_same_however_much_waits(app, client, make_user, waiting):
    counts = {}
    for n, role in ((1, Role.ADMIN), (12, Role.ADMIN)):
        waiting(n if not counts else n - 1)
        client.login_as(make_user(role))
        client.get("/")
        with statements() as sent:
            assert client.get("/").status_code == 200
        counts[n] = len(sent)
    assert counts[1] == counts[12], counts


def test_counts_stop_at_99(client, db, make_user, make_contact):
    from sqlalchemy import insert

    from crm.donations.credit_models import AckStatus, GiftAcknowledgement
    from crm.donations.models import Donation
    from tests.work.support import load_gifts

    load_gifts(make_contact(first_name="Many").id, 120, days=30)
    gifts = _db.session.execute(select(Donation.id, Donation.received_at)).all()
    _db.session.execute(insert(GiftAcknowledgement), [
        {"donation_id": i, "received_at": when, "status": AckStatus.PENDING} for i, when in gifts
    ])  # fmt: skip
    _db.session.commit()
    client.login_as(make_user(Role.FUNDRAISER))
    thank = section(client.get("/").text, "Gifts to thank")
    assert '>99+<span class="visually-hidden"> waiting' in thank and "(99+)" in thank
    assert "120 in all" in client.get("/donations/thanks/?page=2").text
