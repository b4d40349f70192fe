"""Every online gift gets Stripe's fee and net from its charge's balance transaction, read
through the SDK when the gift is recorded, whichever events arrive and in whatever order —
one-time gifts, monthly instalments (the current API names their payment only under the
invoice's payments), and gifts recorded while Stripe could not be reached. Disputes add their
fee, and give it back when won."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from crm.dashboard import metrics
from crm.dashboard.calendar import Period, today
from crm.donations import fees, services
from crm.donations.models import (
    Dispute,
    Donation,
    Frequency,
    RecurringPlan,
    StripeEvent,
    StripeEventStatus,
)
from crm.extensions import db as _db
from crm.modelbase import utcnow
from tests import stripe_support as ss


@pytest.fixture
def make_intent(db, make_campaign, make_fund):
    campaign = make_campaign(slug="fees", default_fund=make_fund("Prevention"))

    def factory(amount_cents=5000, frequency=Frequency.ONE_TIME, email="dana@example.org"):
        data = {"frequency": frequency, "amount_cents": amount_cents, "first_name": "Dana",
                "last_name": "Donor", "email": email}  # fmt: skip
        intent = services.create_intent(campaign, data)
        db.session.commit()
        return intent

    return factory


def gift_of(**where) -> Donation:
    _db.session.expire_all()
    return _db.session.scalars(select(Donation).filter_by(**where)).one()


def test_a_checkout_gift_gets_its_fee_and_net_when_recorded(client, fake_stripe, make_intent):
    pi, charge, txn = fake_stripe.payment(5000, fee=175)
    session = ss.checkout_session(make_intent(), payment_intent=pi)
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    gift = gift_of(stripe_payment_intent_id=pi)
    assert (gift.amount_cents, gift.processing_fee_cents, gift.fee_cents) == (5000, 175, 175)
    assert gift.net_cents == 4825 and gift.stripe_charge_id == charge
    # What the SDK asked Stripe: the payment, then its charge with the balance transaction.
    assert fake_stripe.requests[0][:2] == ("GET", f"/v1/payment_intents/{pi}")
    method, path, params = fake_stripe.requests[1]
    assert (path, params["expand[]"]) == (f"/v1/charges/{charge}", ["balance_transaction"])


def test_monthly_instalments_get_their_fees_through_the_invoice_payments(
    client, fake_stripe, make_intent
):
    intent = make_intent(2500, Frequency.MONTHLY)
    session = ss.checkout_session(intent, subscription="sub_fees", customer="cus_fees")
    ss.deliver(client, ss.event("checkout.session.completed", session))
    fees_taken = [103, 103, 104]
    for fee in fees_taken:
        pi, _, _ = fake_stripe.payment(2500, fee=fee)
        invoice = ss.invoice("sub_fees", 2500, customer="cus_fees")
        fake_stripe.add(ss.invoice_payment(invoice["id"], pi, 2500))
        assert ss.deliver(client, ss.event("invoice.paid", invoice)).status_code == 200
    plan = _db.session.scalars(select(RecurringPlan)).one()
    gifts = _db.session.scalars(
        select(Donation).where(Donation.recurring_plan_id == plan.id).order_by(Donation.id)
    ).all()
    assert [g.fee_cents for g in gifts] == fees_taken
    assert sum(g.net_cents for g in gifts) == 3 * 2500 - sum(fees_taken) == 7190
    assert all(g.stripe_payment_intent_id and g.stripe_charge_id for g in gifts)


def test_a_gift_recorded_while_stripe_is_unreachable_gets_its_fee_from_the_sweep(
    client, fake_stripe, make_intent
):
    pi, _, _ = fake_stripe.payment(10000, fee=320)
    fake_stripe.fail_after = 0  # Stripe answers 500 to everything for now
    session = ss.checkout_session(make_intent(10000), payment_intent=pi)
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    gift = gift_of(stripe_payment_intent_id=pi)
    assert gift.fee_cents is None and gift.receipt is not None  # recorded all the same
    fake_stripe.fail_after = None
    assert fees.fill_missing() == 0  # too soon: the gift's own events get a moment first
    with time_machine.travel(utcnow() + timedelta(minutes=3)):
        assert fees.fill_missing() == 1
        assert fees.fill_missing() == 0  # nothing left to fill
    gift = gift_of(id=gift.id)
    assert (gift.fee_cents, gift.net_cents) == (320, 9680)


def test_a_charge_event_before_its_gift_waits_and_brings_the_fee(client, fake_stripe, make_intent):
    """charge.succeeded (here with its balance transaction expanded, as an endpoint on an
    older API version gets it) comes first and waits; the checkout event records the gift
    while Stripe cannot be reached, and the replayed charge event brings the fee."""
    pi, charge_id, txn = fake_stripe.payment(5000, fee=175)
    charge = {**fake_stripe.objects[charge_id], "balance_transaction": fake_stripe.objects[txn]}
    early = ss.event("charge.succeeded", charge)
    fake_stripe.fail_after = 0
    assert ss.deliver(client, early).status_code == 200
    row = _db.session.get(StripeEvent, early["id"])
    assert row.status == StripeEventStatus.WAITING and row.waiting_for == f"payment_intent {pi}"
    session = ss.checkout_session(make_intent(), payment_intent=pi)
    ss.deliver(client, ss.event("checkout.session.completed", session))
    _db.session.expire_all()
    assert _db.session.get(StripeEvent, early["id"]).status == StripeEventStatus.PROCESSED
    gift = gift_of(stripe_payment_intent_id=pi)
    assert (gift.stripe_charge_id, gift.fee_cents, gift.net_cents) == (charge_id, 175, 4825)


def dispute_transactions(amount: int, fee: int, won: bool) -> list[dict]:
    """The balance transactions Stripe lists on a dispute: the withdrawal with its fee, and
    when won the reinstatement, which gives the fee back."""
    rows = [{**ss.balance_transaction(-amount, fee), "type": "adjustment",
             "reporting_category": "dispute", "net": -amount - fee}]  # fmt: skip
    if won:
        rows.append({**ss.balance_transaction(amount, -fee), "type": "adjustment",
                     "reporting_category": "dispute_reversal", "net": amount + fee})  # fmt: skip
    return rows


@pytest.mark.parametrize("outcome", ["won", "lost"])
def test_a_dispute_fee_counts_in_the_gift_fees_and_is_given_back_when_won(
    client, fake_stripe, make_intent, outcome
):
    pi, charge, _ = fake_stripe.payment(5000, fee=175)
    session = ss.checkout_session(make_intent(), payment_intent=pi)
    ss.deliver(client, ss.event("checkout.session.completed", session))
    opened = ss.dispute(charge, pi, 5000, "needs_response", id=f"dp_fee_{outcome}")
    opened["balance_transactions"] = dispute_transactions(5000, 1500, won=False)
    ss.deliver(client, ss.event("charge.dispute.created", opened))
    ss.deliver(client, ss.event("charge.dispute.funds_withdrawn", opened))  # same list again
    gift = gift_of(stripe_payment_intent_id=pi)
    assert (gift.processing_fee_cents, gift.fee_cents) == (175, 175 + 1500)
    closed = {**opened, "status": outcome}
    closed["balance_transactions"] = dispute_transactions(5000, 1500, won=outcome == "won")
    ss.deliver(client, ss.event("charge.dispute.closed", closed))
    gift = gift_of(stripe_payment_intent_id=pi)
    dispute = _db.session.scalars(select(Dispute)).one()
    if outcome == "won":
        assert (dispute.fee_cents, dispute.fee_returned_cents) == (1500, 1500)
        assert (gift.fee_cents, gift.refunded_cents, gift.net_cents) == (175, 0, 4825)
    else:
        assert (dispute.fee_cents, dispute.fee_returned_cents) == (1500, 0)
        assert (gift.fee_cents, gift.refunded_cents) == (1675, 5000)
        assert gift.net_cents == 5000 - 5000 - 1675  # the chargeback cost us its fee


@pytest.mark.clock
def test_the_dashboard_net_of_fees_counts_what_stripe_took(client, fake_stripe, make_intent):
    taken = []
    for amount, fee in ((5000, 175), (12000, 378), (2500, 103)):
        pi, _, _ = fake_stripe.payment(amount, fee=fee)
        session = ss.checkout_session(make_intent(amount), payment_intent=pi)
        ss.deliver(client, ss.event("checkout.session.completed", session))
        taken.append((amount, fee))
    totals = metrics.money(Period("month", today(), today()), None, "month").totals
    gross = sum(a for a, _ in taken)
    assert totals.fee_cents == sum(f for _, f in taken) == 656
    assert totals.net_cents == gross - 656 == 18844
    sums = _db.session.execute(
        select(func.sum(Donation.amount_cents - Donation.refunded_cents - Donation.fee_cents))
    ).scalar_one()
    assert sums == totals.net_cents
