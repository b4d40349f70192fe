"""A fundraiser brings in last year's spreadsheet, in a real browser: upload, map the columns,
a dry run, the import, the rows left out, and the undo."""

import re

import pytest
from sqlalchemy import select

from tests.browser.test_journeys import contact_count, csp_violations, expect, sign_in

pytestmark = pytest.mark.browser

SPREADSHEET = (
    "First Name,Last Name,E-mail Address,Home Phone,Zip\r\n"
    "José,Núñez,jose@example.org,(312) 555-0101,60601\r\n"
    "Zoë,O'Brien,zoe@example.org,,60602\r\n"
    "Bad,Email,not-an-email,,\r\n"
    "JOSE,NUNEZ,JOSE@example.org,,60601\r\n"
).encode("utf-8-sig")


def test_import_a_spreadsheet_then_undo_it(page, make_user, db, tmp_path, console_messages):
    from crm.contacts.models import Contact

    sign_in(page, make_user("fundraiser"))
    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_role("button", name="Admin").click()
    menu.get_by_role("link", name="Imports").click()
    expect(page.get_by_role("heading", name="Import contacts or gifts", level=1)).to_be_visible()
    file = tmp_path / "last-year.csv"
    file.write_bytes(SPREADSHEET)
    page.get_by_label("What the file holds").select_option(label="Contacts")
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Upload and map columns").click()

    expect(page.get_by_role("heading", name="Map the columns of last-year.csv")).to_be_visible()
    expect(page.get_by_text("UTF-8 with BOM")).to_be_visible()
    # The headers of other systems' exports are recognised; the first rows show their problems.
    expect(page.get_by_label("E-mail Address")).to_have_value("email")
    expect(page.get_by_label("Home Phone")).to_have_value("phone")
    expect(page.get_by_text("is not an email address")).to_be_visible()
    # Beside each dropdown, what the column holds.
    expect(page.get_by_label("E-mail Address")).to_have_accessible_description(
        "In the file: “jose@example.org”, “zoe@example.org”, “not-an-email”"
    )
    check_the_preview_on_a_phone(page)
    page.get_by_role("button", name="Dry run").click()

    expect(page.get_by_text("Status: Dry run finished")).to_be_visible()
    counts = page.locator("dl.counts")
    expect(counts).to_contain_text("New2")
    expect(counts).to_contain_text("Repeated in the file1")
    expect(counts).to_contain_text("Invalid (left out)1")
    assert contact_count(db) == 0  # a dry run writes nothing
    page.get_by_role("button", name="Import now").click()

    expect(page.get_by_text("Status: Imported")).to_be_visible()
    expect(page.get_by_role("progressbar")).to_have_attribute("value", "100")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Download the rows left out")).click()
    rejected = download.value.path().read_text(encoding="utf-8-sig")
    assert "not-an-email" in rejected and "is not an email address" in rejected
    jose = db.session.scalar(select(Contact).where(Contact.email_key == "jose@example.org"))
    # The repeated row fills the empty phone; its capitals are the same name, kept as it was.
    assert (jose.first_name, jose.last_name, jose.phone) == ("José", "Núñez", "+13125550101")
    db.session.rollback()
    assert contact_count(db) == 2

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Undo this import").click()
    expect(page.get_by_text("Status: Undone")).to_be_visible()
    assert contact_count(db) == 0

    # A table's scroll box is a tab stop only while the table is wider than the screen.
    page.get_by_role("link", name="All imports").click()
    recent = page.get_by_role("region", name="Recent imports")
    expect(recent).not_to_have_attribute("tabindex", "0")
    page.set_viewport_size({"width": 360, "height": 800})
    expect(recent).to_have_attribute("tabindex", "0")
    assert csp_violations(console_messages) == []


def check_the_preview_on_a_phone(page) -> None:
    """At 360 px the preview scrolls sideways: a keyboard reaches its box with Tab, sees where
    it is, and scrolls it with the arrow keys; the summary's links lead to the problem rows."""
    page.set_viewport_size({"width": 360, "height": 800})
    summary = page.locator(".preview-summary")
    expect(summary).to_contain_text("1 of these 4 rows has a problem")
    link = summary.get_by_role("link", name="line 4")
    link.focus()
    page.keyboard.press("Tab")
    region = page.get_by_role("region", name="The first rows, scrolling sideways")
    expect(region).to_be_focused()
    ring = region.evaluate("box => getComputedStyle(box).outline")
    assert "solid 3px" in ring
    width, scrolls = region.evaluate("box => [box.clientWidth, box.scrollWidth]")
    assert width <= 360 < scrolls
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    expect(region).not_to_have_js_property("scrollLeft", 0)
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    expect(region).to_have_js_property("scrollLeft", 0)
    # The summary's link leads to the row's problems, for the eye and for screen readers.
    link.click()
    problems = page.locator("#preview-line-4")
    expect(problems).to_be_focused()
    expect(problems).to_contain_text("1 problem; the row would be left out:")
    page.set_viewport_size({"width": 1280, "height": 900})


def test_discard_an_upload_of_the_wrong_file(page, make_user, db, tmp_path, console_messages):
    from crm.dataio.models import ImportBatch

    sign_in(page, make_user("fundraiser"))
    file = tmp_path / "wrong-file.csv"
    file.write_bytes(SPREADSHEET)
    page.goto("/imports/")
    page.get_by_label("CSV file").set_input_files(str(file))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_role("heading", name="Map the columns of wrong-file.csv")).to_be_visible()

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Discard this upload").click()
    expect(page.get_by_role("heading", name="Map the columns of wrong-file.csv")).to_be_visible()
    assert questions and "Its file is deleted" in questions[0]
    assert db.session.scalars(select(ImportBatch)).all() != []
    db.session.rollback()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Discard this upload").click()
    expect(
        page.get_by_text(re.compile(r"Discarded import #\d+ \(wrong-file\.csv\)"))
    ).to_be_visible()
    expect(page.get_by_text("No imports yet.")).to_be_visible()
    assert db.session.scalars(select(ImportBatch)).all() == []
    db.session.rollback()
    assert csp_violations(console_messages) == []


def test_conflicts_with_existing_contacts_are_listed(page, make_user, make_contact, db, tmp_path):
    from pathlib import Path

    price = make_contact(first_name="Anna", last_name="Price", email="price@example.org",
                         city="Evanston")  # fmt: skip
    corpus = Path(__file__).parents[1] / "dataio" / "corpus" / "contacts"
    sign_in(page, make_user("fundraiser"))
    page.goto("/imports/")
    page.get_by_label("What the file holds").select_option(label="Contacts")
    page.get_by_label("CSV file").set_input_files(str(corpus / "salesforce_npsp_contacts.csv"))
    page.get_by_role("button", name="Upload and map columns").click()
    expect(page.get_by_label("Account Name")).to_have_value("organisation")
    expect(page.get_by_label("Mailing Zip/Postal Code")).to_have_value("postcode")
    page.get_by_role("button", name="Dry run").click()
    page.get_by_role("button", name="Import now").click()

    expect(page.get_by_text("Status: Imported")).to_be_visible()
    expect(page.locator("dl.counts")).to_contain_text("New organisations1")
    section = page.get_by_role(
        "region", name=re.compile("2 conflicts with what contacts already had")
    )
    expect(section.get_by_role("row")).to_have_count(3)
    expect(section.get_by_role("row").nth(1)).to_contain_text("First name")
    expect(section.get_by_role("row").nth(1)).to_contain_text("Annabel")
    with page.expect_download() as download:
        section.get_by_role("link", name="Download all the conflicts (CSV)").click()
    assert "Evanston,Chicago" in download.value.path().read_text(encoding="utf-8-sig")
    section.get_by_role("link", name="Anna Price").first.click()
    expect(page.get_by_role("heading", name="Anna Price", level=1)).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Date of birth").fill("1979-03-02")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("March 2, 1979")).to_be_visible()
    db.session.refresh(price)
    assert (price.first_name, price.city, price.postcode) == ("Anna", "Evanston", "60614")
