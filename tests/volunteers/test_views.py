"""Pages: applying, review, role checks (own data only; background-check details for admins,
audited), the portal, the kiosk, hours review and export, the calendar feed."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.models import ActionToken, User
from crm.auth.roles import Role
from crm.contacts.models import Contact
from crm.modelbase import utcnow
from crm.volunteers import hours, services
from crm.volunteers.models import (
    Application,
    ApplicationStatus,
    HoursEntry,
    HoursStatus,
    Shift,
    Signup,
    SignupStatus,
    Volunteer,
)
from tests.volunteers.conftest import today

pytestmark = pytest.mark.clock  # the outcome depends on today's date

APPLICATION = {
    "first_name": "Ann", "last_name": "Applicant", "email": "Ann.Applicant@Example.org",
    "roles": ["presenter", "outreach"], "emergency_name": "Bob Applicant",
    "emergency_phone": "(202) 555-0143", "adult": "yes", "conduct": "y",
}  # fmt: skip


def test_applying_creates_a_contact_and_an_application(client, db, mail, count):
    response = client.form("/volunteer/apply", APPLICATION)
    assert response.status_code == 302 and response.location.endswith("/volunteer/apply/thanks")
    application = db.session.scalar(select(Application))
    assert application.status == ApplicationStatus.PENDING
    assert application.contact.email == "Ann.Applicant@example.org"
    assert application.roles == ["presenter", "outreach"]
    assert application.emergency_phone == "+12025550143"
    assert [m["Subject"] for m in mail.messages] == ["We received your application to volunteer"]


def test_applying_matches_an_existing_contact_by_email(client, make_contact, count):
    make_contact(first_name="Ann", last_name="A.", email="ann.applicant@example.org")
    assert client.form("/volunteer/apply", APPLICATION).status_code == 302
    assert count(Contact) == 1
    assert count(Application) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"adult": "no"}, "Our volunteers must be 18 or over"),
        ({"adult": ""}, "Tell us whether you are 18 or over"),
        ({"conduct": ""}, "You must agree to the code of conduct"),
        ({"emergency_phone": ""}, "This field is required"),
    ],
)
def test_a_refused_application_says_why_and_writes_nothing(client, count, mail, change, message):
    response = client.form("/volunteer/apply", {**APPLICATION, **change})
    assert response.status_code == 422
    assert message in response.text
    assert (count(Application), count(Contact)) == (0, 0)
    assert mail.messages == []


@pytest.fixture
def application(client, db):
    client.form("/volunteer/apply", APPLICATION)
    return db.session.scalar(select(Application))


def test_approval_makes_a_volunteer_user_linked_to_the_contact_and_invites_them(
    client, db, application, coordinator, mail
):
    client.login_as(coordinator)
    mail.clear()
    response = client.form(f"/volunteers/applications/{application.id}/approve")
    assert response.status_code == 302
    volunteer = db.session.scalar(select(Volunteer))
    user = db.session.scalar(select(User).where(User.role == Role.VOLUNTEER))
    assert volunteer.contact_id == application.contact_id == user.contact_id
    assert user.password_hash is None
    assert db.session.scalar(select(ActionToken).where(ActionToken.user_id == user.id))
    (invite,) = mail.to("ann.applicant@example.org")
    assert "/auth/invite/" in invite.get_body(("plain",)).get_content()
    # approving twice does nothing more
    client.form(f"/volunteers/applications/{application.id}/approve")
    assert len(mail.to("ann.applicant@example.org")) == 1


def test_decline_with_a_reason_and_ask_for_information(client, db, application, coordinator, mail):
    client.login_as(coordinator)
    mail.clear()
    url = f"/volunteers/applications/{application.id}"
    response = client.form(f"{url}/ask", {"ask-message": "Which evenings suit you?"})
    assert response.status_code == 302
    assert application.status == ApplicationStatus.INFO_REQUESTED
    assert client.form(f"{url}/decline", {"decline-message": ""}).status_code == 422
    client.form(f"{url}/decline", {"decline-message": "We have no presenters' course soon."})
    assert application.status == ApplicationStatus.DECLINED
    bodies = [m.get_content() for m in mail.to("Ann.Applicant@example.org")]
    assert any("Which evenings suit you?" in b for b in bodies)
    assert any("no presenters' course soon" in b for b in bodies)
    assert db.session.scalar(select(Volunteer)) is None


# --- role checks --------------------------------------------------------------------------


def test_a_volunteer_sees_only_their_own_shifts_and_cannot_touch_anothers(
    client, db, make_volunteer, make_shift
):
    ann, ben = make_volunteer("ann"), make_volunteer("ben")
    shift = make_shift(title="Stall at the fair")
    services.sign_up(shift.id, ben)
    db.session.commit()
    bens = db.session.scalar(select(Signup))
    client.login_as(ann.user)

    portal = client.get("/my/volunteering").text
    assert "Ben" not in portal
    assert client.form(f"/my/volunteering/sign-ups/{bens.id}/cancel").status_code == 404
    assert bens.status == SignupStatus.CONFIRMED
    for url in (f"/volunteers/{ben.id}", f"/volunteers/shifts/{shift.id}", "/volunteers/",
                "/volunteers/hours.csv", f"/contacts/{ben.contact_id}"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    calendar = client.get("/my/volunteering/shifts.ics").text
    assert "Stall at the fair" not in calendar


def test_background_check_details_are_for_admins_only_and_each_view_is_audited(
    client, db, make_volunteer, cleared, coordinator, admin
):
    ann = cleared(make_volunteer("ann"))
    check = next(c for c in ann.credentials if c.type.key == "background_check")
    client.login_as(coordinator)
    page = client.get(f"/volunteers/{ann.id}").text
    assert "Background check" in page and "Acme Screening" not in page
    assert client.get(f"/volunteers/credentials/{check.id}").status_code == 403
    timeline = client.get(f"/contacts/{ann.contact_id}").text
    assert "Safeguarding training: passed" in timeline and "Background check" not in timeline

    client.login_as(admin)
    assert "Acme Screening" in client.get(f"/volunteers/credentials/{check.id}").text
    client.get(f"/volunteers/credentials/{check.id}")
    views = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "credential_viewed")
    ).all()
    assert [(v.actor_id, v.entity_id) for v in views] == [(admin.id, check.id)] * 2
    assert "Background check: passed" in client.get(f"/contacts/{ann.contact_id}").text


def test_unknown_ids_are_not_found(client, coordinator):
    client.login_as(coordinator)
    for url in ("/volunteers/987654", "/volunteers/shifts/987654", "/volunteers/kiosk/987654",
                "/volunteers/applications/987654", "/volunteers/99999999999999"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    assert client.form("/volunteers/applications/987654/approve").status_code == 404


# --- the portal ---------------------------------------------------------------------------


def test_open_shifts_show_the_reason_a_volunteer_cannot_take_them(
    client, db, make_volunteer, make_shift, count
):
    ann = make_volunteer("ann")
    shift = make_shift(youth_facing=True, title="School assembly")
    services.ensure_default_credential_types()
    db.session.commit()
    client.login_as(ann.user)
    page = client.get("/my/volunteering").text
    assert "Your background check is not on record yet." in page
    response = client.form(f"/my/volunteering/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "You are not signed up. Your background check is not on record yet." in response.text
    assert count(Signup) == 0


def test_sign_up_and_cancel_from_the_portal(client, db, make_volunteer, make_shift):
    ann = make_volunteer("ann")
    shift = make_shift(title="Stall at the fair")
    client.login_as(ann.user)
    response = client.form(f"/my/volunteering/shifts/{shift.id}/sign-up", follow_redirects=True)
    assert "You are on the shift “Stall at the fair”" in response.text
    assert "BEGIN:VEVENT" in client.get("/my/volunteering/shifts.ics").text
    signup = db.session.scalar(select(Signup))
    response = client.form(f"/my/volunteering/sign-ups/{signup.id}/cancel", follow_redirects=True)
    assert "You are no longer on “Stall at the fair”" in response.text
    assert signup.status == SignupStatus.CANCELLED


def test_a_volunteer_signs_in_to_the_portal_and_every_portal_page_offers_it(
    client, make_volunteer, make_shift
):
    ann = make_volunteer("ann")
    make_shift(title="Stall at the fair")
    response = client.login(ann.user)
    assert response.location == "/my/volunteering"
    portal = client.get(response.location).text
    assert "Stall at the fair" in portal and "will be here" not in portal
    for path in ("", "/credentials", "/hours", "/profile", "/calendar"):
        page = client.get(f"/my/volunteering{path}")
        assert page.status_code == 200, path
        navigation = page.text.split("</nav>")[0]
        assert 'href="/my/volunteering"' in navigation, path
        assert 'class="navbar-toggler"' in navigation, path  # the phone's menu button
        assert "CRM" not in page.text, path


def test_private_calendar_feed(client, db, make_volunteer, make_shift):
    ann = make_volunteer("ann")
    services.sign_up(make_shift(title="Stall at the fair").id, ann)
    db.session.commit()
    client.login_as(ann.user)
    page = client.form("/my/volunteering/calendar").text
    url = re.search(r"http://localhost(/volunteer/calendar/[\w-]+\.ics)", page).group(1)
    assert ann.feed_token_hash is not None and ann.feed_token_hash not in url
    anonymous = client.application.test_client()
    assert "Stall at the fair" in anonymous.get(url).text
    client.form("/my/volunteering/calendar")  # a new address stops the old one
    assert anonymous.get(url).status_code == 404
    assert anonymous.get("/volunteer/calendar/guess.ics").status_code == 404


def test_logging_hours_and_bulk_review(client, db, make_volunteer, coordinator, count):
    ann = make_volunteer("ann")
    client.login_as(ann.user)
    data = {"day": today().isoformat(), "hours": "1.5", "role": "office",
            "description": "Folded leaflets"}  # fmt: skip
    assert client.form("/my/volunteering/hours", data).status_code == 302
    future = {**data, "day": (today() + timedelta(days=2)).isoformat()}
    response = client.form("/my/volunteering/hours", future)
    assert response.status_code == 422 and "only for today or earlier" in response.text
    assert count(HoursEntry) == 1

    client.login_as(coordinator)
    entry = db.session.scalar(select(HoursEntry))
    assert "Folded leaflets" in client.get("/volunteers/hours/").text
    client.form("/volunteers/hours/review", {"entry_ids": [str(entry.id)], "decision": "approve"})
    assert entry.status == HoursStatus.APPROVED and entry.minutes == 90
    csv = client.get("/volunteers/hours.csv").text
    assert f"Ann Helper,ann@example.org,{today():%Y-%m}" in csv.replace('"', "")


def test_kiosk_checks_in_and_out_and_hours_add_up(
    client, db, make_volunteer, make_shift, coordinator
):
    shift = make_shift(starts_at=utcnow() + timedelta(minutes=20), title="Parent night")
    signup = services.sign_up(shift.id, make_volunteer("ann"))
    db.session.commit()
    client.login_as(coordinator)
    assert "Parent night" in client.get("/volunteers/kiosk/").text
    url = f"/volunteers/kiosk/{shift.id}/signups/{signup.id}"
    assert "checked in" in client.form(url, follow_redirects=True).text
    entry = db.session.scalar(select(HoursEntry))
    assert entry.status == HoursStatus.OPEN
    assert "checked out" in client.form(url, follow_redirects=True).text
    assert entry.status == HoursStatus.APPROVED and entry.minutes >= 1
    assert hours.totals(signup.volunteer_id)[0].minutes == entry.minutes


def test_a_shift_that_ends_before_it_starts_is_refused(client, coordinator, count):
    client.login_as(coordinator)
    response = client.form("/volunteers/shifts/new", {
        "title": "Stall", "role": "outreach", "starts_at": "2030-05-01T10:00",
        "ends_at": "2030-05-01T09:00", "capacity": "2",
    })  # fmt: skip
    assert response.status_code == 422
    assert "The shift must end after it starts." in response.text
    assert count(Shift) == 0


def test_event_page_shows_its_shifts_and_unfilled_places(client, db, coordinator, make_shift):
    from crm.events import services as events

    event_type = events.create_event_type("Presentation", None, 60)
    start = utcnow() + timedelta(days=9)
    event = events.create_event(
        {"title": "Parent night", "type_id": event_type.id, "starts_at": start,
         "ends_at": start + timedelta(hours=2)}
    )  # fmt: skip
    db.session.commit()
    make_shift(event_id=event.id, capacity=3, title="Welcome desk")
    client.login_as(coordinator)
    page = client.get(f"/manage/events/{event.id}").text
    assert "Welcome desk" in page and "0 of 3 filled" in page and "3 unfilled" in page


def test_a_volunteer_contact_cannot_be_deleted_and_two_profiles_are_not_merged(
    client, make_user, make_contact, db
):
    from sqlalchemy import select

    from crm.contacts.models import Contact
    from crm.volunteers.models import Volunteer

    first, second = make_contact(email="v1@example.org"), make_contact(email="v2@example.org")
    db.session.add_all([Volunteer(contact=first), Volunteer(contact=second)])
    db.session.commit()
    client.login(make_user("admin"))
    page = client.form(f"/contacts/{first.id}/delete", follow_redirects=True)
    assert "cannot be deleted" in page.text
    page = client.form(
        f"/contacts/{first.id}/merge?other_id={second.id}",
        {"other_id": str(second.id)},
        follow_redirects=True,
    )
    assert "merging would lose one" in page.text
    assert len(db.session.scalars(select(Contact)).all()) == 2
    assert len(db.session.scalars(select(Volunteer)).all()) == 2
