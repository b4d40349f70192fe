"""Keyboard journeys the tour found hurting, in a real Chromium on the demo data: the Admin
menu's focus ring, "Other" on the giving page, a page-level error at load, the phone menu
and Escape, a corrected field's old error, "Tick all" for hours, and the contacts filters
applying as they change."""

import re

import pytest

from tests.browser.test_axe import demo, sign_in  # noqa: F401 - the demo data fixture
from tests.browser.test_journeys import expect

pytestmark = pytest.mark.browser


def luminance(css: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(one: str, other: str) -> float:
    a, b = sorted((luminance(one), luminance(other)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def focused(tab, script: str):
    return tab.evaluate(f"(() => {{ const e = document.activeElement; return {script}; }})()")


def test_the_admin_menus_focus_ring_stands_out(page, demo):  # noqa: F811
    admin, password = demo
    sign_in(page, admin, password)
    page.get_by_role("button", name="Admin").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    ring, inside, menu = focused(
        page,
        "[getComputedStyle(e).outlineColor, getComputedStyle(e).backgroundColor,"
        " getComputedStyle(e.closest('.dropdown-menu')).backgroundColor]",
    )
    assert focused(page, "e.textContent.trim()") == "Users"
    assert contrast(ring, inside) >= 3 and contrast(ring, menu) >= 3, (ring, inside, menu)


def test_other_on_the_giving_page_keeps_focus_and_the_typed_amount(page, demo):  # noqa: F811
    page.goto("/give")
    page.get_by_role("radio", name="$25", exact=True).focus()
    page.keyboard.press("Space")
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    assert focused(page, "e.value") == "other"  # still in the group of amounts
    page.keyboard.press("Tab")
    page.keyboard.type("30")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowLeft")  # back to a preset: the typed amount stays
    expect(page.get_by_label("Other amount")).to_have_value("30")
    expect(page.locator("#give-summary")).to_have_text("You give $250.00.")
    page.keyboard.press("ArrowRight")
    expect(page.locator("#give-summary")).to_have_text("You give $30.00.")
    page.get_by_text("Other", exact=True).click()  # a click goes on into the box
    expect(page.get_by_label("Other amount")).to_be_focused()  # (the page's script moves it)


def test_a_page_level_error_at_load_gets_focus(page, demo):  # noqa: F811
    _, password = demo
    sign_in(page, "coordinator@example.org", password)
    page.goto("/volunteers/hours/")
    page.get_by_role("button", name="Approve the ticked").click()
    expect(page.get_by_role("alert")).to_have_text(re.compile("Tick at least one line"))
    expect(page.get_by_role("alert")).to_be_focused()


def test_tick_all_ticks_every_line(page, demo):  # noqa: F811
    _, password = demo
    sign_in(page, "coordinator@example.org", password)
    page.goto("/volunteers/hours/")
    boxes = page.locator('input[name="entry_ids"]')
    page.get_by_label(re.compile(r"^Tick all \d+ lines$")).check()
    assert all(box.is_checked() for box in boxes.all()) and boxes.count() > 1
    boxes.first.uncheck()
    assert page.locator("#select-all-hours").evaluate("e => e.indeterminate")


def test_the_phone_menu_closes_with_escape(page, demo):  # noqa: F811
    _, password = demo
    page.set_viewport_size({"width": 360, "height": 740})
    sign_in(page, "coordinator@example.org", password)
    toggle = page.get_by_role("button", name="Show or hide the menu")
    toggle.click()
    menu_link = page.locator("#main-nav").get_by_role("link", name="Contacts", exact=True)
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # opened
    menu_link.focus()
    page.keyboard.press("Escape")
    expect(page.locator("#main-nav")).not_to_have_class(re.compile(r"\bshow\b"))
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")


def test_a_corrected_field_drops_its_old_error(page, demo):  # noqa: F811
    admin, password = demo
    sign_in(page, admin, password)
    page.goto("/contacts/new")
    page.get_by_label("Email", exact=True).fill("bad@")
    page.get_by_role("button", name="Save").click()
    email = page.get_by_label("Email", exact=True)
    expect(page.locator("#email-error")).to_be_visible()
    expect(email).to_have_attribute("aria-invalid", "true")
    email.fill("ann@example.org")
    expect(page.locator("#email-error")).to_have_count(0)
    expect(email).to_have_attribute("aria-invalid", "false")
    expect(email).not_to_have_class(re.compile("is-invalid"))


def test_contact_filters_apply_as_they_change(page, demo):  # noqa: F811
    admin, password = demo
    sign_in(page, admin, password)
    page.goto("/contacts/")
    expect(page.get_by_role("columnheader", name="Given")).to_be_visible()
    page.get_by_label("Sort by").select_option("-name")
    expect(page).to_have_url(re.compile(r"sort=-name"))
    first = page.locator("#contact-results tbody tr").first.text_content()
    page.get_by_label("Search", exact=True).fill("zzzz-nobody")
    expect(page.locator("#contact-results")).to_have_text(re.compile("No contacts match"))
    expect(page.locator("#contact-count")).to_have_text("0 contacts found")
    assert "q=zzzz-nobody" in page.get_by_role("link", name="Export CSV").get_attribute("href")
    page.get_by_label("Search", exact=True).fill("")
    expect(page.locator("#contact-results tbody tr").first).to_have_text(first)
