"""Reading Stripe's objects in the current API's shapes and the older ones."""

import pytest

from crm.payments import payloads


def test_invoice_subscription_in_current_and_older_shapes():
    current = {"parent": {"subscription_details": {"subscription": "sub_new"}}}
    older = {"parent": None, "subscription": "sub_old"}
    on_a_line = {"lines": {"data": [{"parent": {"subscription_item_details":
                                                {"subscription": "sub_line"}}}]}}  # fmt: skip
    expanded = {"subscription": {"id": "sub_expanded", "object": "subscription"}}
    assert payloads.invoice_subscription_id(current) == "sub_new"
    assert payloads.invoice_subscription_id(older) == "sub_old"
    assert payloads.invoice_subscription_id(on_a_line) == "sub_line"
    assert payloads.invoice_subscription_id(expanded) == "sub_expanded"
    assert payloads.invoice_subscription_id({"id": "in_1"}) is None


def test_invoice_payment_ids():
    assert payloads.invoice_payment_ids({"payment_intent": "pi_1", "charge": "ch_1"}) == (
        "pi_1", "ch_1",
    )  # fmt: skip
    listed = {"payments": {"data": [{"payment": {"type": "payment_intent",
                                                 "payment_intent": "pi_2"}}]}}  # fmt: skip
    assert payloads.invoice_payment_ids(listed) == ("pi_2", None)
    assert payloads.invoice_payment_ids({}) == (None, None)


def test_processor_fee_only_when_expanded():
    expanded = {"object": "charge", "balance_transaction": {"fee": 175, "net": 4825}}
    assert payloads.processor_fee(expanded, "USD") == 175
    assert payloads.processor_fee({"balance_transaction": "txn_1"}, "USD") is None
    intent = {"object": "payment_intent", "latest_charge": expanded}
    assert payloads.processor_fee(intent, "USD") == 175
    assert payloads.processor_fee("pi_1", "USD") is None


def test_charge_refunds_skip_failed_and_sort_oldest_first():
    charge = {"refunds": {"data": [
        {"id": "re_2", "amount": 300, "created": 20, "status": "succeeded", "reason": None},
        {"id": "re_x", "amount": 900, "created": 15, "status": "failed"},
        {"id": "re_1", "amount": 200, "created": 10, "status": "pending", "reason": "duplicate"},
    ]}}  # fmt: skip
    assert payloads.charge_refunds(charge, "USD") == [
        ("re_1", 200, "duplicate"), ("re_2", 300, None),
    ]  # fmt: skip
    assert payloads.charge_refunds({"id": "ch_1"}, "USD") == []


def test_amounts_in_a_currency_stripe_counts_differently():
    assert payloads.amount({"amount_paid": 50000}, "amount_paid", "ISK") == 500
    assert payloads.amount({"amount_paid": 500}, "amount_paid", "JPY") == 500
    assert payloads.amount({}, "amount_paid", "USD") is None


@pytest.mark.parametrize(
    ("status", "outcome"),
    [("warning_needs_response", "open"), ("needs_response", "open"), ("under_review", "open"),
     ("won", "won"), ("warning_closed", "won"), ("lost", "lost")],
)  # fmt: skip
def test_dispute_outcome(status, outcome):
    assert payloads.dispute_outcome(status) == outcome


def test_subscription_state_and_amount():
    assert payloads.subscription_state("trialing") == "active"
    assert payloads.subscription_state("unpaid") == "past_due"
    assert payloads.subscription_state("incomplete_expired") == "cancelled"
    assert payloads.subscription_state("paused") is None
    sub = {"items": {"data": [{"price": {"unit_amount": 1500}, "quantity": 2}]}}
    assert payloads.subscription_amount(sub, "USD") == 3000
    legacy = {"items": {"data": [{"plan": {"amount": 2500}, "quantity": 1}]}}
    assert payloads.subscription_amount(legacy, "USD") == 2500


def test_intent_reference():
    assert payloads.intent_public_id({"metadata": {"intent": "abc"}}) == "abc"
    assert payloads.intent_public_id({"metadata": {}, "client_reference_id": "def"}) == "def"
    assert payloads.intent_public_id({"metadata": None}) is None
    invoice = {"parent": {"subscription_details": {"metadata": {"intent": "ghi"}}}}
    assert payloads.invoice_intent_public_id(invoice) == "ghi"
    assert payloads.invoice_intent_public_id({"parent": None}) is None
