"""In a real browser: someone applies to volunteer, a coordinator approves them, they set a
password from the invitation, an admin records their background check and safeguarding
training, they sign up for a shift with young people, are checked in and out at the kiosk,
and see their hours."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.modelbase import utcnow
from tests.browser.test_events_journey import sign_in_to
from tests.browser.test_journeys import csp_violations, expect
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def invite_path(mail, address) -> str:
    (message,) = [m for m in mail.to(address) if "invited" in m["Subject"]]
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/auth/invite/\S+)", text).group(1)


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_apply_approve_credentials_sign_up_check_in_and_hours(
    page, db, make_user, mail, console_messages
):
    from crm.volunteers import services
    from crm.volunteers.models import HoursEntry, VolunteerRole

    coordinator = make_user("coordinator", name="Cora Coordinator")
    admin = make_user("admin", name="Ada Admin")
    services.ensure_default_credential_types()
    start = utcnow() + timedelta(minutes=45)
    services.create_shift(
        {"title": "Assembly at Lincoln High", "role": VolunteerRole.PRESENTER,
         "starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 2,
         "youth_facing": True, "place": "Lincoln High School"}, [], coordinator,
    )  # fmt: skip
    db.session.commit()

    # 1. someone applies; an under-18 answer would be refused, so they confirm they are adult
    page.goto("/volunteer/apply")
    expect(page.get_by_role("heading", name="Volunteer with us", level=1)).to_be_visible()
    page.get_by_label("First name").fill("Vera")
    page.get_by_label("Last name").fill("Volunteer")
    page.get_by_label("Email", exact=True).fill("vera@example.org")
    page.get_by_role("radio", name="No").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("alert")).to_contain_text("must be 18 or over")
    page.get_by_role("radio", name="Yes").check()
    page.get_by_role("checkbox", name="Presenter").check()
    page.get_by_label("Emergency contact: name").fill("Victor Volunteer")
    page.get_by_label("Emergency contact: phone").fill("(202) 555-0143")
    page.get_by_label("I have read the code of conduct and agree to follow it").check()
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("we received"))

    # 2. the coordinator approves; Vera is invited and sets her password
    sign_in_to(page, coordinator)
    page.get_by_role("link", name="Volunteers", exact=True).click()
    page.get_by_role("link", name=re.compile("1 application")).click()
    page.get_by_role("link", name="Vera Volunteer").click()
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_role("status")).to_contain_text("is a volunteer now")
    sign_out(page)
    page.goto(invite_path(mail, "vera@example.org"))
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the new password").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set")

    # 3. before her checks are recorded she is told why she cannot take the school shift
    from crm.auth.models import User

    vera = db.session.scalar(select(User).where(User.email == "vera@example.org"))
    db.session.rollback()
    sign_in_to(page, vera)
    page.get_by_role("link", name="My volunteering").click()
    expect(page.get_by_text("Your background check is not on record yet.")).to_be_visible()
    sign_out(page)

    # 4. an admin records her background check and safeguarding training
    sign_in_to(page, admin)
    page.goto("/volunteers/")
    page.get_by_role("link", name="Vera Volunteer").click()
    for credential in ("Background check", "Safeguarding training"):
        page.get_by_label("Credential", exact=True).select_option(label=credential)
        page.get_by_label("Status", exact=True).select_option("passed")
        page.get_by_label("Date passed", exact=True).fill(
            f"{utcnow() - timedelta(days=3):%Y-%m-%d}"
        )
        page.get_by_role("button", name="Record").click()
        expect(page.get_by_role("status")).to_contain_text(f"{credential} recorded: passed")
    sign_out(page)

    # 5. Vera signs up for the shift with young people
    sign_in_to(page, vera)
    page.get_by_role("link", name="My volunteering").click()
    page.get_by_role("button", name="Sign up Assembly at Lincoln High").click()
    expect(page.get_by_role("status")).to_contain_text("You are on the shift")
    expect(page.get_by_role("heading", name=re.compile("Assembly at Lincoln High"))).to_have_count(
        1
    )
    sign_out(page)

    # 6. at the school the coordinator's tablet checks her in and out
    sign_in_to(page, coordinator)
    page.goto("/volunteers/kiosk/")
    page.get_by_role("link", name=re.compile("Assembly at Lincoln High")).click()
    page.get_by_role("button", name=re.compile("Vera Volunteer.*Tap to check in")).click()
    expect(page.get_by_role("status")).to_contain_text("Vera Volunteer checked in")
    page.get_by_role("button", name=re.compile("Vera Volunteer.*tap to check out")).click()
    expect(page.get_by_role("status")).to_contain_text("Vera Volunteer checked out")
    sign_out(page)

    # 7. she sees her hours
    sign_in_to(page, vera)
    page.goto("/my/volunteering/hours")
    expect(page.get_by_role("cell", name="Assembly at Lincoln High")).to_be_visible()
    entries = db.session.scalars(select(HoursEntry)).all()
    assert [(e.status.value, e.minutes is not None) for e in entries] == [("approved", True)]
    db.session.rollback()
    assert csp_violations(console_messages) == []


def test_a_volunteer_on_a_phone_signs_in_from_a_public_page_and_finds_the_portal(
    page, db, make_user, console_messages
):
    """At 360 px: the footer's sign-in link, straight to the portal, and the menu button
    that opens the navigation with the portal in it."""
    from crm.auth.models import User
    from crm.auth.passwords import hash_password
    from crm.volunteers import applications

    admin = make_user("admin")
    details = applications.ApplicationDetails(
        first_name="Vera", last_name="Volunteer", email="vera@example.org",
        emergency_name="Victor", emergency_phone="+12025550143", adult=True,
        conduct_agreed=True,
    )  # fmt: skip
    applications.approve(applications.submit(details), admin)
    vera = db.session.scalar(select(User).where(User.email == "vera@example.org"))
    vera.password_hash = hash_password(PASSWORD)
    db.session.commit()

    page.set_viewport_size({"width": 360, "height": 780})
    page.goto("/events")
    page.get_by_role("link", name="Volunteer and staff sign-in").click()
    page.get_by_label("Email", exact=True).fill("vera@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/my/volunteering$"))
    expect(page.get_by_role("heading", name="My volunteering", level=1)).to_be_visible()

    page.goto("/my/volunteering/hours")
    menu = page.get_by_role("button", name="Show or hide the menu")
    portal_link = page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="My volunteering"
    )
    expect(portal_link).to_be_hidden()
    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    portal_link.click()
    expect(page).to_have_url(re.compile(r"/my/volunteering$"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert csp_violations(console_messages) == []
