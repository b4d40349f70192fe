"""A fundraiser builds a segment (the count follows the conditions without leaving the page),
writes and sends a mailing, a mailbox provider unsubscribes someone with one click, a link
is followed, and the mailing's figures move. Then the public pages pass axe."""

import re

import pytest

from tests.browser.test_axe import violations
from tests.browser.test_journeys import csp_violations, expect, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def people(db, make_contact, make_campaign_row):
    from crm.outreach import preparing

    preparing.settings().postal_address = "100 Main Street, Springfield, IL 62701"
    for first, email, opt_in in (("Ada", "ada@example.org", True), ("Bob", "bob@example.org", True),
                                 ("Cy", "cy@example.org", False)):  # fmt: skip
        make_contact(first_name=first, last_name="Parent", email=email, email_opt_in=opt_in,
                     tags=["parents"])  # fmt: skip
    make_contact(first_name="Dee", email="dee@example.org", email_opt_in=True, tags=["teachers"])
    db.session.commit()
    return make_campaign_row


@pytest.fixture
def make_campaign_row(db):
    from crm.donations.models import Campaign, CampaignStatus

    campaign = Campaign(name="Spring appeal", slug="spring", goal_cents=500_000, currency="USD",
                        status=CampaignStatus.ACTIVE)  # fmt: skip
    db.session.add(campaign)
    db.session.commit()
    return campaign


def settle(page) -> None:
    """The builder's script listens once its page has loaded: a change made before is lost,
    as it would be for someone faster than the network."""
    page.wait_for_load_state("load")


def _figure(page, label: str):
    return page.locator("dl.totals div", has=page.locator(f"dt:text-is('{label}')")).locator("dd")


def test_build_a_segment_send_unsubscribe_and_see_the_figures_move(
    page, browser, live_server, make_user, people, mail, console_messages
):
    user = make_user("fundraiser")
    sign_in(page, user)
    page.goto("/outreach/segments/new")
    page.get_by_label("Name").fill("Parents")
    page.get_by_label("Condition 1", exact=True).select_option(label="Has the tag")
    which = page.get_by_label("Which")  # the page came back with the tag list
    expect(which).to_be_visible()
    settle(page)
    expect(page.get_by_label("Condition 1", exact=True)).to_be_focused()
    which.select_option(label="parents")
    count = page.locator("[data-segment-count]")
    expect(count).to_have_text("3 contacts match now.")  # live, without a reload
    page.get_by_role("button", name="Add a condition to group 1").click()
    expect(page.get_by_label("Condition 2", exact=True)).to_be_visible()
    settle(page)
    page.get_by_label("Condition 2", exact=True).select_option(label="Has the tag")
    second = page.locator("select[name='groups-0-conditions-1-value']")
    expect(second).to_be_visible()
    settle(page)
    second.select_option(label="teachers")
    expect(count).to_have_text("0 contacts match now.")
    page.get_by_label("Match", exact=True).select_option("any")
    expect(count).to_have_text("4 contacts match now.")
    page.get_by_role("button", name="Remove condition 2 of group 1").click()
    expect(second).to_have_count(0)
    expect(count).to_have_text("3 contacts match now.")
    page.get_by_role("button", name="Save segment").click()
    expect(page.get_by_role("heading", name="Parents", level=1)).to_be_visible()

    page.get_by_role("link", name="Write a mailing to it").click()
    page.get_by_label("Topic").select_option(label="Appeals for support")
    page.get_by_label("Subject").fill("Spring appeal")
    page.get_by_label("Campaign").select_option(label="Spring appeal")
    page.get_by_label("Message").fill("Dear {{ first_name | friend }},\n\n[Give now](/give/spring)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("2 messages would go now.")).to_be_visible()
    expect(page.get_by_role("cell", name="Never subscribed to the topic")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Send now to 2 people").click()
    expect(page.get_by_role("heading", name="What it did")).to_be_visible()
    expect(_figure(page, "Delivered")).to_have_text("2")
    expect(_figure(page, "Unsubscribed")).to_have_text("0")

    (message,) = mail.to("ada@example.org")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = re.findall(r"<(http[^>]+)>", message["List-Unsubscribe"])[0]
    link = re.search(
        r"(http://localhost/email/c/\S+?)\)", message.get_body(("plain",)).get_content()
    )
    with browser.new_context() as provider:  # no cookie, no form: what a mailbox provider sends
        url = one_click.replace("http://localhost", live_server.url)
        response = provider.request.post(url, form={"List-Unsubscribe": "One-Click"})
        assert response.status == 200
        clicked = provider.request.get(link.group(1).replace("http://localhost", live_server.url),
                                       max_redirects=0)  # fmt: skip
        assert clicked.status == 302 and "/give/spring?source=" in clicked.headers["location"]
    page.reload()
    expect(_figure(page, "Unsubscribed")).to_have_text("1")
    expect(_figure(page, "Clicked (people)")).to_contain_text("1")
    assert csp_violations(console_messages) == []


def test_the_pages_behind_the_links_pass_axe(browser, live_server, db, make_contact, people):
    from crm.outreach import tokens

    contact = make_contact(email="eve@example.org", email_opt_in=True)
    token = tokens.sign("preferences", [contact.id, 0])
    found = []
    for width in (360, 1280):
        with browser.new_context(base_url=live_server.url,
                                 viewport={"width": width, "height": 900}) as context:  # fmt: skip
            tab = context.new_page()
            for path in (f"/email/preferences/{token}", "/email/unsubscribe/test",
                         "/email/unsubscribe/not-a-token"):  # fmt: skip
                tab.goto(path)
                found += violations(tab)
    assert not found, "\n".join(found)
