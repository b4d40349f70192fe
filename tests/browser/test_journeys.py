"""What a fundraiser does every day, in a real browser: sign in, add a person, find them again."""

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def expect(target):
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)


def sign_in(page, user) -> None:
    page.goto("/contacts/")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The sign-in form sends people back where they were going.
    expect(page).to_have_url(re.compile(r"/contacts/$"))
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(re.escape(user.name)))).to_be_visible()


def fill_new_contact(page, first: str, last: str, email: str, phone: str = "") -> None:
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", name="New contact", level=1)).to_be_visible()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Email", exact=True).fill(email)
    if phone:
        page.get_by_label("Phone").fill(phone)
    page.get_by_role("button", name="Save").click()


def contact_count(db) -> int:
    from crm.contacts.models import Contact

    count = db.session.scalar(select(func.count()).select_from(Contact))
    db.session.rollback()  # hold no lock the live server might wait for
    return count


def csp_violations(console_messages: list[str]) -> list[str]:
    return [m for m in console_messages if "Content Security Policy" in m]


def test_sign_in_create_a_contact_and_find_it_again(page, make_user, db, console_messages):
    user = make_user("fundraiser")
    sign_in(page, user)

    fill_new_contact(page, "José", "Núñez", "jose.nunez@example.org", "(202) 555-0143")

    expect(page).to_have_url(re.compile(r"/contacts/\d+$"))
    expect(page.get_by_role("status")).to_have_text("Contact José Núñez created.")
    expect(page.get_by_role("heading", name="José Núñez", level=1)).to_be_visible()
    details = page.locator("dl.details")
    expect(details.get_by_role("link", name="jose.nunez@example.org")).to_be_visible()
    expect(details.get_by_role("link", name="+1 202-555-0143")).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    search = page.get_by_role("searchbox", name="Search")
    search.press_sequentially("nunez")
    search.press("Enter")

    expect(page).to_have_url(re.compile(r"[?&]q=nunez"))
    rows = page.get_by_role("table").locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("jose.nunez@example.org")
    expect(rows.first).to_contain_text("+1 202-555-0143")
    rows.first.get_by_role("link", name="Núñez, José").click()
    expect(page.get_by_role("heading", name="José Núñez", level=1)).to_be_visible()
    assert contact_count(db) == 1
    assert csp_violations(console_messages) == []


def test_duplicate_warning_before_a_second_contact_with_the_same_email(
    page, make_user, make_contact, db, console_messages
):
    existing = make_contact(first_name="Maria", last_name="Lopez", email="maria@example.org")
    sign_in(page, make_user("fundraiser"))

    fill_new_contact(page, "María", "López", "Maria@Example.org")

    warning = page.locator("#duplicates")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("This may be someone we already have")
    expect(warning.get_by_role("link", name="Maria Lopez")).to_have_attribute(
        "href", f"/contacts/{existing.id}"
    )
    expect(warning).to_contain_text("maria@example.org")
    expect(page.get_by_role("heading", name="New contact", level=1)).to_be_visible()
    assert contact_count(db) == 1, "nothing is saved until the user confirms"

    page.get_by_label("This is a different person; create the contact anyway").check()
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_have_text("Contact María López created.")
    expect(page.get_by_role("heading", name="María López", level=1)).to_be_visible()
    assert contact_count(db) == 2
    assert csp_violations(console_messages) == []
