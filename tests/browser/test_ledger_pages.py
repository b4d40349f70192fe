"""The bookkeeper's pages in a real browser: Needs attention, a reconciled payout and a gift
with a chargeback and corrected receipts pass axe (WCAG 2.2 AA) at 360 and 1280 px, and a
staff member resolves an event with the keyboard-reachable form."""

import os

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import services
from crm.donations.ledger_models import LineKind, Payout, PayoutLine, PayoutStatus
from crm.donations.models import (
    Donation,
    DonationStatus,
    PaymentMethod,
    StripeEvent,
    StripeEventStatus,
)
from crm.donations.receipts import send_receipt
from crm.modelbase import utcnow
from tests.browser.test_axe import WIDTHS, sign_in, violations
from tests.browser.test_journeys import expect
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("CRM_SCREENSHOTS")  # a folder to keep the screenshots in, if set


@pytest.fixture
def ledger(db, make_user, make_contact):
    from crm.donations.models import Fund

    def make_fund(name):
        fund = Fund(name=name)
        db.session.add(fund)
        return fund

    admin = make_user(Role.ADMIN)
    donor = make_contact(
        first_name="Ana", last_name="Ruiz", email="ana@example.org", address_line1="1 Elm St",
        city="Peoria", region="IL", postcode="61602",
    )  # fmt: skip
    gift = Donation(contact=donor, amount_cents=12000, currency="USD", method=PaymentMethod.CARD,
                    status=DonationStatus.SUCCEEDED, received_at=utcnow(),
                    fund=make_fund("Schools programme"), fee_cents=378,
                    processing_fee_cents=378, stripe_payment_intent_id="pi_browser",
                    stripe_charge_id="ch_browser")  # fmt: skip
    db.session.add(gift)
    send_receipt(gift)
    services.apply_refund(gift, 2000, stripe_refund_id="re_browser")
    db.session.commit()
    payout = Payout(stripe_payout_id="po_browser", amount_cents=9622, currency="USD",
                    arrival_at=utcnow(), status=PayoutStatus.BALANCED)  # fmt: skip
    db.session.add(payout)
    lines = [
        (LineKind.GIFT, 12000, 378, "ch_browser"), (LineKind.REFUND, -2000, 0, "re_browser"),
        (LineKind.PAYOUT, -9622, 0, "po_browser"),
    ]  # fmt: skip
    refund = gift.refunds[0]
    for n, (kind, amount, fee, source) in enumerate(lines):
        line = PayoutLine(balance_transaction_id=f"txn_browser{n}", kind=kind,
                          stripe_type=kind.value, source_id=source, amount_cents=amount,
                          fee_cents=fee, net_cents=amount - fee, currency="USD",
                          created_at=utcnow())  # fmt: skip
        line.donation = gift if kind != LineKind.PAYOUT else None
        line.refund = refund if kind == LineKind.REFUND else None
        line.payout = payout
        db.session.add(line)
    failed = Payout(stripe_payout_id="po_failed", amount_cents=5000, currency="USD",
                    arrival_at=utcnow(), status=PayoutStatus.BALANCED, failed_at=utcnow(),
                    failure="account_closed: The bank account has been closed.")  # fmt: skip
    db.session.add(failed)
    event = {"id": "evt_browser", "type": "checkout.session.completed", "created": 1,
             "data": {"object": {"id": "cs_browser", "object": "checkout.session",
                                 "amount_total": 2500, "currency": "usd",
                                 "customer_details": {"email": None, "name": None}}}}  # fmt: skip
    db.session.add(StripeEvent(id="evt_browser", type=event["type"], payload=event,
                               received_at=utcnow(), status=StripeEventStatus.ATTENTION,
                               attempts=1, error="Stripe gave no email address for this "
                               "payment, so no donor could be found or created. Link it to a "
                               "contact."))  # fmt: skip
    db.session.commit()
    return admin, gift, payout, failed


def test_ledger_pages_pass_axe_and_an_event_is_dismissed(browser, live_server, ledger, db):
    admin, gift, payout, failed = ledger
    paths = ["/donations/attention", f"/donations/payouts/{payout.id}", "/donations/payouts/",
             f"/donations/payouts/{failed.id}",
             f"/donations/{gift.id}", "/donations/"]  # fmt: skip
    found = []
    for width in WIDTHS:
        context = browser.new_context(base_url=live_server.url,
                                      viewport={"width": width, "height": 900})  # fmt: skip
        tab = context.new_page()
        try:
            sign_in(tab, admin.email, PASSWORD)
            for path in paths:
                assert tab.goto(path).ok, path
                found += violations(tab)
                if SHOTS:
                    name = path.strip("/").replace("/", "-") or "home"
                    tab.screenshot(path=f"{SHOTS}/{name}-{width}.png", full_page=True)
            if width == WIDTHS[-1]:
                tab.goto("/donations/attention")
                tab.get_by_text("Dismiss…").click()
                tab.get_by_label("Why nothing is to be recorded").fill("A test payment")
                tab.get_by_role("button", name="Dismiss with this note").click()
                expect(tab.get_by_text("Dismissed, with your note.")).to_be_visible()
                expect(tab.get_by_text("Nothing needs attention")).to_be_visible()
        finally:
            context.close()
    assert not found, "\n".join(found)
    db.session.expire_all()
    row = db.session.get(StripeEvent, "evt_browser")
    assert (row.status, row.note) == (StripeEventStatus.DISMISSED, "A test payment")
    assert db.session.scalars(select(Donation)).one().receipt.kind.value == "corrected"
