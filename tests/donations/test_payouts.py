"""Payouts reconcile: `payout.paid` is recorded with every balance transaction it carried,
each tied to its gift, refund or dispute; the page and the CSV show them with each gift's fund,
their sum against the amount that reached the bank, and every difference; a payout whose
transactions cannot all be fetched is incomplete, never balanced."""

import csv
import io
from decimal import Decimal

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import payouts, services
from crm.donations.ledger_models import LineKind, Payout, PayoutLine, PayoutStatus
from crm.donations.models import Donation, Frequency, Refund
from crm.extensions import db as _db
from tests import stripe_support as ss

PAYOUT = "po_test_1"


def transaction(amount: int, fee: int, kind: str, source: str | None, **fields) -> dict:
    row = {**ss.balance_transaction(amount, fee), "type": kind, "reporting_category": kind,
           "source": source, "payout": PAYOUT, **fields}  # fmt: skip
    row["net"] = amount - fee
    return row


@pytest.fixture
def month(client, db, fake_stripe, make_campaign, make_fund):
    """Three card gifts (two funds and none), a refund, a lost dispute's withdrawal with its
    fee, and a Radar fee: what one payout carries. Returns the gifts and their transactions."""
    schools, general = make_fund("Schools"), make_fund("General fund")
    campaign = make_campaign(default_fund=schools)
    gifts, rows = [], []
    for amount, fee, fund in ((5000, 175, schools), (12000, 378, general), (2500, 103, None)):
        pi, charge, txn = fake_stripe.payment(amount, fee=fee)
        fake_stripe.objects[txn]["payout"] = PAYOUT
        data = {"frequency": Frequency.ONE_TIME, "amount_cents": amount, "first_name": "Pat",
                "last_name": f"Payer{amount}", "email": f"pat{amount}@example.org",
                "fund_id": fund.id if fund else None}  # fmt: skip
        intent = services.create_intent(campaign, data)
        if fund is None:
            intent.fund_id = None
        db.session.commit()
        session = ss.checkout_session(intent, payment_intent=pi)
        ss.deliver(client, ss.event("checkout.session.completed", session))
        gifts.append(
            _db.session.scalars(select(Donation).filter_by(stripe_payment_intent_id=pi)).one()
        )
        rows.append(fake_stripe.objects[txn])
    refund = ss.refund(
        gifts[0].stripe_charge_id, gifts[0].stripe_payment_intent_id, 2000, id="re_po"
    )
    charge = {**ss.charge(gifts[0].stripe_payment_intent_id, 5000, amount_refunded=2000,
                          refunds=[refund], id=gifts[0].stripe_charge_id)}  # fmt: skip
    ss.deliver(client, ss.event("charge.refunded", charge))
    dispute = ss.dispute(gifts[1].stripe_charge_id, gifts[1].stripe_payment_intent_id, 12000,
                         "needs_response", id="dp_po")  # fmt: skip
    ss.deliver(client, ss.event("charge.dispute.created", dispute))
    fake_stripe.add(refund, dispute)
    rows += [
        transaction(-2000, 0, "refund", "re_po"),
        transaction(-12000, 1500, "adjustment", "dp_po", reporting_category="dispute"),
        transaction(-500, 0, "stripe_fee", None, description="Radar for Fraud Teams"),
    ]
    fake_stripe.add(*rows[3:])
    return gifts, rows


def pay_out(client, fake_stripe, amount: int):
    payout = {"id": PAYOUT, "object": "payout", "amount": amount, "currency": "usd",
              "arrival_date": 1_790_000_000, "status": "paid", "type": "bank_account"}  # fmt: skip
    fake_stripe.add({**transaction(-amount, 0, "payout", PAYOUT), "id": "txn_payout"})
    assert ss.deliver(client, ss.event("payout.paid", payout)).status_code == 200
    _db.session.expire_all()
    return _db.session.scalars(select(Payout)).one()


def test_a_payout_is_recorded_with_its_transactions_and_balances(client, fake_stripe, month):
    gifts, rows = month
    expected = (5000 - 175) + (12000 - 378) + (2500 - 103) - 2000 - 13500 - 500
    assert expected == 2844
    payout = pay_out(client, fake_stripe, expected)
    assert payout.status == PayoutStatus.BALANCED and payout.amount_cents == 2844
    report = payouts.reconciliation(payout)
    sections = {s.kind: s for s in report.sections}
    assert (sections[LineKind.GIFT].amount_cents, sections[LineKind.GIFT].fee_cents) == (19500, 656)
    assert sections[LineKind.GIFT].net_cents == 18844
    assert sections[LineKind.REFUND].net_cents == -2000
    assert (sections[LineKind.DISPUTE].amount_cents, sections[LineKind.DISPUTE].fee_cents) == (
        -12000, 1500,
    )  # fmt: skip
    assert sections[LineKind.FEE].net_cents == -500
    assert report.total_cents == payout.amount_cents and report.difference_cents == 0
    assert report.differences == []
    lines = {line.source_id: line for line in _db.session.scalars(select(PayoutLine))}
    assert [lines[g.stripe_charge_id].donation_id for g in gifts] == [g.id for g in gifts]
    assert lines["re_po"].refund_id == _db.session.scalars(select(Refund.id)).one()
    assert lines["dp_po"].dispute.donation_id == gifts[1].id


def test_the_page_and_the_csv_show_every_line_with_its_fund(client, fake_stripe, month, make_user):
    gifts, _ = month
    payout = pay_out(client, fake_stripe, 2844)
    client.login(make_user(Role.FUNDRAISER))
    page = client.get(f"/donations/payouts/{payout.id}").text
    for expected in ("Payout of $28.44", "balanced", "$188.44", "-$20.00", "Schools",
                     "Radar for Fraud Teams", "None: every transaction matches",
                     f"Gift #{gifts[0].id}"):  # fmt: skip
        assert expected in page, expected
    assert PAYOUT in client.get("/donations/payouts/").text
    response = client.get(f"/donations/payouts/{payout.id}.csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 7  # six transactions and the payout itself
    by_source = {r["source"]: r for r in rows}
    assert by_source[gifts[0].stripe_charge_id]["fund"] == "Schools"
    assert by_source[gifts[1].stripe_charge_id]["fund"] == "General fund"
    assert by_source[gifts[0].stripe_charge_id]["net"] == "48.25"
    assert by_source["dp_po"]["net"] == "-135.00" and by_source["dp_po"]["dispute"] == "dp_po"
    net = sum(Decimal(r["net"]) for r in rows if r["kind"] != "payout")
    assert net == Decimal("28.44") == -Decimal(by_source[PAYOUT]["amount"])


def test_an_amount_that_does_not_add_up_is_a_difference(client, fake_stripe, month):
    payout = pay_out(client, fake_stripe, 2845)
    assert payout.status == PayoutStatus.UNBALANCED
    [difference] = payouts.reconciliation(payout).differences
    assert "add up to $28.44 but $28.45 reached the bank: $0.01 unexplained" in difference


def test_a_gift_that_differs_from_stripe_is_named(client, fake_stripe, month):
    gifts, rows = month
    gifts[2].amount_cents = 2600  # someone typed over it
    gifts[2].processing_fee_cents = None
    _db.session.commit()
    payout = pay_out(client, fake_stripe, 2844)
    assert payout.status == PayoutStatus.UNBALANCED  # adds up, but the gift differs
    differences = payouts.reconciliation(payout).differences
    assert differences == [
        f"{rows[2]['id']} ({gifts[2].stripe_charge_id}): gift #{gifts[2].id} is $26.00, "
        "Stripe charged $25.00."
    ]
    assert _db.session.get(Donation, gifts[2].id).processing_fee_cents == 103  # filled in


def test_a_payout_whose_transactions_cannot_all_be_fetched_is_incomplete(
    client, fake_stripe, month
):
    for n in range(120):  # more than a page of 100
        fake_stripe.add(transaction(100, 3, "charge", f"ch_small{n}"))
    fake_stripe.fail_after = len(fake_stripe.requests) + 1  # the second page fails
    payout = pay_out(client, fake_stripe, 2844 + 120 * 97)
    assert payout.status == PayoutStatus.INCOMPLETE
    assert payout.error.startswith("Fetched 100 transactions, then Stripe answered")
    assert _db.session.scalars(select(PayoutLine)).all() == []  # nothing half-written
    [difference] = payouts.reconciliation(payout).differences
    assert "Not every transaction could be fetched" in difference
    fake_stripe.fail_after = None
    assert payouts.reconcile_and_commit(payout.id) == PayoutStatus.UNBALANCED  # 120 unknown
    report = payouts.reconciliation(_db.session.get(Payout, payout.id))
    assert report.total_cents == payout.amount_cents
    assert len(report.differences) == 120
    assert "a payment of $1.00 with no gift in the CRM" in report.differences[0]


def fail(client, amount: int, created: int | None = None):
    failed = {"id": PAYOUT, "object": "payout", "amount": amount, "currency": "usd",
              "arrival_date": 1_790_000_000, "status": "failed", "type": "bank_account",
              "failure_code": "account_closed",
              "failure_message": "The bank account has been closed."}  # fmt: skip
    event = ss.event("payout.failed", failed, created=created)
    assert ss.deliver(client, event).status_code == 200
    _db.session.expire_all()
    return event


def test_a_payout_the_bank_refused_is_marked_failed_and_staff_are_told_once(
    client, fake_stripe, month, make_user, mail
):
    fundraiser, coordinator = make_user(Role.FUNDRAISER), make_user(Role.COORDINATOR)
    payout = pay_out(client, fake_stripe, 2844)
    assert payout.status == PayoutStatus.BALANCED and payout.failed_at is None
    event = fail(client, 2844, created=1_790_300_000)
    ss.deliver(client, event)  # Stripe resends
    payout = _db.session.scalars(select(Payout)).one()
    assert payout.failed_at.timestamp() == 1_790_300_000
    assert payout.failure == "account_closed: The bank account has been closed."
    assert payout.status == PayoutStatus.BALANCED  # its transactions still add up
    [alert] = mail.to(fundraiser.email)
    assert alert["Subject"] == "Payout failed: $28.44 did not reach the bank"
    text = alert.get_body(("plain",)).get_content()
    assert f"http://localhost/donations/payouts/{payout.id}" in text
    assert "The bank account has been closed." in text
    assert mail.to(coordinator.email) == []
    client.login(fundraiser)
    page = client.get(f"/donations/payouts/{payout.id}").text
    assert "it did not reach the bank" in page and "account_closed" in page
    assert "Sent to the bank, and returned" in page
    assert "Failed: did not reach the bank" in client.get("/donations/payouts/").text


def test_a_failure_told_before_the_payment_is_kept_when_paid_arrives_late(
    client, fake_stripe, month
):
    fake_stripe.add({**transaction(-2844, 0, "payout", PAYOUT), "id": "txn_payout"})
    fail(client, 2844)
    payout = _db.session.scalars(select(Payout)).one()
    assert payout.failed_at is not None
    assert payout.status == PayoutStatus.BALANCED  # recorded and reconciled all the same
    pay_out(client, fake_stripe, 2844)  # "paid" came first at Stripe, arrives here last
    payout = _db.session.scalars(select(Payout)).one()
    assert payout.failed_at is not None and payout.failure.startswith("account_closed")


def test_the_money_back_from_a_failed_payout_is_an_adjustment_of_the_next(client, fake_stripe):
    returned = transaction(2844, 0, "payout_failure", "po_failed_before",
                           reporting_category="payout_reversal")  # fmt: skip
    fake_stripe.add(returned)
    payout = pay_out(client, fake_stripe, 2844)
    assert payout.status == PayoutStatus.BALANCED
    [section] = payouts.reconciliation(payout).sections
    assert section.kind == LineKind.ADJUSTMENT and section.net_cents == 2844
