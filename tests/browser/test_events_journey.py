"""In a real browser: a school requests a training, a coordinator accepts it, the event
appears, a member of the public registers and cancels, a waitlisted person is promoted."""

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import select

from crm.events.models import Registration, RegistrationStatus
from crm.modelbase import utcnow
from tests.browser.test_journeys import csp_violations, expect
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def register(page, first, last, email):
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name=re.compile(r"^(Register|Join the waitlist)$")).click()


def cancel_path(mail, address) -> str:
    (message,) = [m for m in mail.to(address) if "cancel" in m.get_body(("plain",)).get_content()]
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/events/cancel/\S+)", text).group(1)


def statuses(db) -> dict:
    rows = db.session.scalars(select(Registration)).all()
    result = {r.contact.email: r.status for r in rows}
    db.session.rollback()  # hold no lock the live server might wait for
    return result


def test_training_request_to_registration_cancel_and_promotion(
    page, db, make_user, mail, console_messages, live_server
):
    from crm.events import services as events

    events.create_event_type("School presentation", None, 45)
    db.session.commit()
    coordinator = make_user("coordinator", name="Cora Coordinator")
    day = (utcnow() + timedelta(days=21)).astimezone(ZoneInfo("America/New_York"))
    when = day.strftime("%Y-%m-%dT10:00")

    # 1. a school asks for a training
    page.goto("/trainings/request")
    expect(page.get_by_role("heading", name="Request a training", level=1)).to_be_visible()
    page.get_by_label("Organisation name").fill("Lincoln High School")
    page.get_by_label("Type of organisation").select_option("school")
    page.get_by_label("Your first name").fill("Pat")
    page.get_by_label("Your last name").fill("Principal")
    page.get_by_label("Your email").fill("pat@lincoln.example.org")
    page.get_by_label("Audience").select_option("parents")
    page.get_by_label("About how many people?").fill("1")
    page.get_by_label("First choice of date and time").fill(when)
    page.get_by_label("Where").fill("Lincoln High School, 1 School Rd, Springfield")
    page.get_by_role("button", name="Send the request").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("we received"))

    # 2. a coordinator accepts it, lists it publicly with one seat
    sign_in_to(page, coordinator)
    page.goto("/manage/trainings/")
    page.get_by_role("link", name="Lincoln High School").click()
    expect(page.get_by_label("Title")).to_have_value("Training for Lincoln High School")
    page.get_by_label("Title").fill("Parent night at Lincoln High")
    page.get_by_label("List on the public events page and calendar feed").check()
    page.get_by_role("checkbox", name="Cora Coordinator").check()
    page.get_by_role("button", name="Accept and schedule").click()
    expect(page.get_by_role("status")).to_contain_text("Training scheduled")
    expect(page.get_by_role("heading", name="Parent night at Lincoln High")).to_be_visible()
    assert len(mail.to("pat@lincoln.example.org")) == 2  # received, then scheduled
    page.get_by_role("button", name="Sign out").click()

    # 3. the event appears on the public list with its seats; two people register for its
    #    one seat. The first gets a confirmation page with calendar links instead of the form.
    page.goto("/events")
    expect(page.get_by_text("1 seat left")).to_be_visible()
    page.get_by_role("link", name="Parent night at Lincoln High").click()
    expect(page.get_by_text("1 seat left.")).to_be_visible()
    register(page, "Ann", "Early", "ann@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are registered")
    expect(page.get_by_role("status")).to_contain_text("confirmation to ann@example.org")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile(r"Add to your calendar \(\.ics")).click()
    (vevent,) = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes()).events
    assert str(vevent["summary"]) == "Parent night at Lincoln High"
    google = page.get_by_role("link", name=re.compile("Add to Google Calendar"))
    expect(google).to_have_attribute("href", re.compile(r"^https://calendar\.google\.com/"))
    page.get_by_role("link", name="← Parent night at Lincoln High").click()
    expect(page.get_by_role("heading", name="You are registered")).to_be_visible()
    expect(page.get_by_label("First name")).to_have_count(0)  # not offered the form again
    page.get_by_role("link", name="Register someone else").click()
    register(page, "Ben", "Later", "ben@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("You are on the waitlist")
    assert statuses(db) == {"ann@example.org": RegistrationStatus.CONFIRMED,
                            "ben@example.org": RegistrationStatus.WAITLISTED}  # fmt: skip

    # 4. the first cancels with the private link from her email; the second is promoted
    page.goto(cancel_path(mail, "ann@example.org"))
    expect(page.get_by_role("heading", name="Cancel your registration?")).to_be_visible()
    page.get_by_role("button", name="Yes, cancel my registration").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your registration is cancelled")
    assert statuses(db) == {"ann@example.org": RegistrationStatus.CANCELLED,
                            "ben@example.org": RegistrationStatus.CONFIRMED}  # fmt: skip
    promoted = [m for m in mail.to("ben@example.org") if "A seat is yours" in m["Subject"]]
    assert len(promoted) == 1
    assert csp_violations(console_messages) == []


def sign_in_to(page, user) -> None:
    page.goto("/auth/login")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name=re.compile(re.escape(user.name)))).to_be_visible()
