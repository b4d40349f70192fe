"""A fundraiser brings in a Givebutter export in a real browser: the suggested columns, an
unknown campaign created from the mapping page, the dry run's money, the import and its
undo. SCREENSHOTS=/some/dir saves the pages at phone and desktop widths."""

import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.browser.test_journeys import csp_violations, expect, sign_in

pytestmark = pytest.mark.browser
EXPORT = Path(__file__).parents[1] / "dataio" / "corpus" / "gifts" / "givebutter_transactions.csv"


def _shoot(page, name: str) -> None:
    folder = os.environ.get("SCREENSHOTS")
    if not folder:
        return
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=f"{folder}/{name}-{width}.png", full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def upload_gifts(page, path: Path) -> None:
    page.goto("/imports/")
    page.get_by_label("What the file holds").select_option(label="Gifts")
    page.get_by_label("CSV file").set_input_files(str(path))
    page.get_by_role("button", name="Upload and map columns").click()


def test_import_a_givebutter_export_with_a_new_campaign(page, make_user, db,
                                                         console_messages):  # fmt: skip
    from crm.donations.models import Campaign, Donation

    db.session.add(Campaign(name="Spring Gala", slug="spring-gala", currency="USD"))
    db.session.commit()
    sign_in(page, make_user("fundraiser"))
    upload_gifts(page, EXPORT)

    expect(page.get_by_label("Transaction Date (UTC)")).to_have_value("date")
    expect(page.get_by_label("Status", exact=True)).to_have_value("status")
    expect(page.get_by_label("Fee", exact=True)).to_have_value("fee")
    names = page.get_by_role("group", name="Campaigns and funds not found")
    expect(names).to_be_visible()
    names.get_by_label("“Back to School Drive”").select_option(label="Create it as a new campaign")
    _shoot(page, "gift-map")
    page.get_by_role("button", name="Dry run").click()

    expect(page.get_by_text("Status: Dry run finished")).to_be_visible()
    money = page.get_by_role("region", name="Money the import would add")
    expect(money).to_contain_text("$260.00")  # received, of which
    expect(money).to_contain_text("$50.00")  # refunded
    expect(money).to_contain_text("$210.00")  # net
    expect(money).to_contain_text("1 failed or cancelled payment")
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1  # nothing yet
    db.session.rollback()
    _shoot(page, "gift-dry-run")
    page.get_by_role("button", name="Import now").click()

    expect(page.get_by_text("Status: Imported")).to_be_visible()
    expect(page.get_by_role("region", name="Money the import added")).to_contain_text("$210.00")
    net = db.session.scalar(select(func.sum(Donation.amount_cents - Donation.refunded_cents)))
    assert net == 21000
    db.session.rollback()
    _shoot(page, "gift-done")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()
    expect(page.get_by_text("Status: Undone")).to_be_visible()
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    assert csp_violations(console_messages) == []
