"""The donor record's pages on the demo data, in Chromium at 360 px and 1280 px: axe finds
nothing against WCAG 2.2 AA, nothing is wider than the screen, and a bulk "mark thanked" and
a task's "Done" work from the keyboard alone. SCREENSHOTS=dir keeps a picture of each page."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.browser.test_axe import WIDTHS, demo, sign_in, violations  # noqa: F401
from tests.browser.test_journeys import expect

pytestmark = pytest.mark.browser


def pages(db) -> dict[str, str]:
    from crm.contacts.models import Contact, Household
    from crm.donations.pledge_models import Pledge
    from crm.work.models import Task

    chloe = db.session.scalar(select(Contact).where(Contact.email == "chloe.dubois@example.com"))
    pledge = db.session.scalar(select(Pledge).where(Pledge.contact_id == chloe.id))
    gift = pledge.payments[0].donation_id
    return {
        "home": "/",
        "contact": f"/contacts/{chloe.id}",
        "contact-gifts": f"/contacts/{chloe.id}?kind=gifts",
        "household": f"/households/{db.session.scalar(select(Household.id).limit(1))}",
        "households": "/households/",
        "gift": f"/donations/{gift}",
        "thanks": "/donations/thanks/",
        "pledges": "/donations/pledges/",
        "pledge": f"/donations/pledges/{pledge.id}",
        "new-pledge": f"/contacts/{chloe.id}/pledges/new",
        "tasks": "/tasks/?who=all",
        "task": f"/tasks/{db.session.scalar(select(Task.id).limit(1))}/edit",
        "new-task": f"/tasks/new?contact_id={chloe.id}",
        "gaps": "/volunteers/staffing-gaps?days=90",
        "expiring": "/volunteers/credentials/expiring?days=90",
        "dashboard": "/dashboard",
    }


def test_donor_record_pages_pass_axe_and_fit(browser, live_server, demo, db):  # noqa: F811
    admin, password = demo
    shots = os.environ.get("SCREENSHOTS")
    found, overflow = [], []
    targets = pages(db)
    for width in WIDTHS:
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": width, "height": 900})  # fmt: skip
        tab = context.new_page()
        try:
            sign_in(tab, admin, password)
            for name, path in targets.items():
                response = tab.goto(path)
                assert response.ok, f"{path} answered {response.status}"
                found += violations(tab)
                wide = tab.evaluate("document.documentElement.scrollWidth")
                if wide > width:
                    overflow.append(f"{path} is {wide} px wide at {width}")
                if shots:
                    Path(shots).mkdir(parents=True, exist_ok=True)
                    tab.screenshot(path=f"{shots}/{name}-{width}.png", full_page=True)
        finally:
            context.close()
    assert not found, "\n".join(found)
    assert not overflow, "\n".join(overflow)


def test_thanking_and_finishing_a_task_by_keyboard(browser, live_server, demo, db):  # noqa: F811
    _, password = demo
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 800})
    tab = context.new_page()
    try:
        sign_in(tab, "fundraiser@example.org", password)
        tab.goto("/donations/thanks/")
        first = tab.locator("input[name=gifts]").first
        gift = first.get_attribute("value")
        tab.get_by_label("Tick every gift on this page").focus()
        tab.keyboard.press("Space")
        expect(first).to_be_checked()
        tab.get_by_label("Thanked by").select_option("call")
        tab.get_by_role("button", name="Mark thanked").focus()
        tab.keyboard.press("Enter")
        expect(tab.get_by_role("status").filter(has_text="marked as thanked")).to_be_visible()
        assert f'name="gifts" value="{gift}"' not in tab.content()
        tab.goto("/")
        done = tab.locator(".work-items").first.get_by_role("button", name="Done").first
        done.focus()
        tab.keyboard.press("Enter")
        expect(tab.get_by_text("Task done.")).to_be_visible()
    finally:
        context.close()
