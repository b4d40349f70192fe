"""A fundraiser imports a Little Green Light gift export whose refunds name no gift, in a
real browser: the refunds find their donors' gifts, one that finds none is counted and
listed to link, and the fundraiser links it to the donor's gift. The list passes axe at
phone and desktop widths. SCREENSHOTS=/some/dir saves the pages."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.browser.test_axe import violations
from tests.browser.test_gift_import_journey import _shoot, upload_gifts
from tests.browser.test_journeys import expect, sign_in

pytestmark = pytest.mark.browser
EXPORT = (
    Path(__file__).parents[1] / "dataio" / "corpus" / "gifts" / "lgl_gifts_with_adjustments.csv"
)


def test_a_refund_without_its_gift_is_listed_and_linked(page, make_user, make_contact, db):
    from crm.donations.models import Campaign, Donation, DonationStatus, Fund, PaymentMethod

    mo = make_contact(first_name="Mo", last_name="Reed", email="mo@example.org")
    cash = Donation(contact=mo, amount_cents=4000, currency="USD", method=PaymentMethod.CASH,
                    status=DonationStatus.SUCCEEDED,
                    received_at=datetime(2024, 3, 1, 17, tzinfo=UTC))  # fmt: skip
    db.session.add_all([cash, Campaign(name="Spring Gala", slug="spring-gala", currency="USD"),
                        Fund(name="General Fund")])  # fmt: skip
    db.session.commit()
    sign_in(page, make_user("fundraiser"))
    upload_gifts(page, EXPORT)
    expect(page.get_by_label("Received Date")).to_have_value("date")
    page.get_by_label("Name of the other system").fill("lgl")
    page.get_by_role("button", name="Dry run").click()

    money = page.get_by_role("region", name="Money the import would add")
    expect(money).to_contain_text("$580.00")  # the gifts
    expect(money).to_contain_text("$150.00")  # refunded: two on their gifts, one to link
    expect(money).to_contain_text("$430.00")  # LGL's own total
    expect(money).to_contain_text("1 refund matching no gift")
    page.get_by_role("button", name="Import now").click()
    expect(page.get_by_text("Status: Imported")).to_be_visible()
    _shoot(page, "refund-batch")
    page.get_by_role("link", name="link it to its gift").click()

    expect(page.get_by_role("heading", name="Refunds to link")).to_be_visible()
    expect(page.get_by_text("1 refund to link, $20.00 in all.")).to_be_visible()
    gift = page.get_by_label("Gift of this donor")
    expect(gift).to_contain_text(f"Gift {cash.id} · $40.00")
    _shoot(page, "refunds-to-link")
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        assert violations(page) == []
    page.get_by_role("button", name="Link").click()
    expect(page.get_by_text(f"Recorded the refund of $20.00 on gift {cash.id}.")).to_be_visible()
    expect(
        page.get_by_text("Nothing to link: every imported refund is on its gift.")
    ).to_be_visible()
    db.session.expire_all()
    assert db.session.get(Donation, cash.id).refunded_cents == 2000
