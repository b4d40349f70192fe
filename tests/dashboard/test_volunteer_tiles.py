"""Volunteer tiles: hours, top roles, staffing gaps for the next 14 days, expiring credentials."""

import csv
import io
import re
from datetime import timedelta

import pytest

from crm.auth.roles import Role
from crm.modelbase import utcnow
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

pytestmark = pytest.mark.clock  # the outcome depends on today's date


@pytest.fixture
def volunteering(db, make_contact):
    now = utcnow()
    val = Volunteer(contact=make_contact(first_name="Val", last_name="Helper"), roles=["presenter"])
    sam = Volunteer(contact=make_contact(first_name="Sam", last_name="Inactive"), active=False)
    check = CredentialType(name="Background check", validity_days=730)
    soon = (now + timedelta(days=20)).date()
    later = (now + timedelta(days=50)).date()
    gap = Shift(
        title="School assembly",
        role=VolunteerRole.PRESENTER,
        capacity=3,
        starts_at=now + timedelta(days=5),
        ends_at=now + timedelta(days=5, hours=2),
        youth_facing=True,
    )
    full = Shift(
        title="Welcome desk",
        role=VolunteerRole.EVENT_HELPER,
        capacity=1,
        starts_at=now + timedelta(days=6),
        ends_at=now + timedelta(days=6, hours=1),
    )
    far = Shift(
        title="Next month",
        role=VolunteerRole.EVENT_HELPER,
        capacity=2,
        starts_at=now + timedelta(days=30),
        ends_at=now + timedelta(days=30, hours=1),
    )
    db.session.add_all(
        [
            val,
            sam,
            check,
            gap,
            full,
            far,
            Credential(
                volunteer=val,
                type=check,
                status=CredentialStatus.PASSED,
                completed_on=soon - timedelta(days=700),
                expires_on=soon,
            ),
            Credential(
                volunteer=val,
                type=CredentialType(name="Safeguarding", validity_days=365),
                status=CredentialStatus.PASSED,
                completed_on=later - timedelta(days=300),
                expires_on=later,
            ),
            Signup(shift=gap, volunteer=val, status=SignupStatus.CONFIRMED),
            Signup(shift=full, volunteer=val, status=SignupStatus.CONFIRMED),
            HoursEntry(
                volunteer=val,
                role=VolunteerRole.PRESENTER,
                source=HoursSource.KIOSK,
                status=HoursStatus.APPROVED,
                started_at=now - timedelta(hours=3),
                minutes=90,
            ),
            HoursEntry(
                volunteer=val,
                role=VolunteerRole.OFFICE,
                source=HoursSource.SELF,
                status=HoursStatus.PENDING,
                started_at=now - timedelta(hours=5),
                minutes=600,
            ),
        ]
    )
    db.session.commit()
    return gap


def around_now() -> str:
    """A custom period of the last and next two days, so the test never sits on a boundary."""
    today = utcnow().date()
    return f"period=custom&from={today - timedelta(days=2)}&to={today + timedelta(days=2)}"


def test_coordinators_see_volunteer_figures(client, make_user, volunteering):
    client.login(make_user(Role.COORDINATOR))
    page = client.get(f"/dashboard?{around_now()}")
    assert page.status_code == 200
    text = page.text
    assert "Active volunteers" in text
    assert "1 hr, 30 min" in text  # 90 approved minutes; pending hours do not count
    assert "School assembly" in text and "2 unfilled" in text
    assert "Welcome desk" not in text.split("Staffing gaps")[1].split("Hours CSV")[0]
    assert "Next month" not in text
    expiring = "/volunteers/credentials/expiring?days="
    assert f'<a href="{expiring}30">1 <span class="fs-6">in 30 days</span></a>' in text
    assert f'<a href="{expiring}60">2 <span class="fs-6">in 60</span></a>' in text


def test_the_volunteer_figures_link_to_the_lists_behind_them(client, make_user, volunteering):
    """Each figure and its list count the same credentials and the same places."""
    client.login(make_user(Role.COORDINATOR))
    text = client.get(f"/dashboard?{around_now()}").text
    places = re.search(r'href="/volunteers/staffing-gaps">(\d+)</a>', text)
    assert places, "the unfilled places are a link"
    gaps = client.get("/volunteers/staffing-gaps")
    assert gaps.status_code == 200 and "School assembly" in gaps.text
    listed = re.findall(r'data-label="Unfilled" class="text-end"><strong>(\d+)</strong>', gaps.text)
    assert sum(map(int, listed)) == int(places.group(1))
    for days, expected in ((30, 1), (60, 2)):
        page = client.get(f"/volunteers/credentials/expiring?days={days}")
        assert page.status_code == 200
        assert page.text.count('data-label="Credential"') == expected
    assert client.get("/volunteers/credentials/expiring?days=31").status_code == 200  # falls back


def test_fundraisers_do_not_get_the_volunteer_tile(client, make_user, volunteering):
    client.login(make_user(Role.FUNDRAISER))
    page = client.get("/dashboard")
    assert page.status_code == 200 and "Staffing gaps" not in page.text
    assert client.get("/dashboard/staffing.csv").status_code == 403


def test_staffing_and_hours_exports(client, make_user, volunteering):
    client.login(make_user(Role.COORDINATOR))
    staffing = list(
        csv.DictReader(io.StringIO(client.get("/dashboard/staffing.csv").data.decode("utf-8-sig")))
    )
    assert [(r["title"], r["unfilled"]) for r in staffing] == [("School assembly", "2")]
    hours = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/dashboard/volunteer-hours.csv?{around_now()}").data.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [(r["volunteer"], r["hours"]) for r in hours] == [("Val Helper", "1.5")]
