"""Concurrent deliveries on PostgreSQL, where requests really run in parallel: Stripe may
send the same event more than once at the same moment, and related events race each other."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from crm.donations import services
from crm.donations.models import Donation, Frequency, Receipt, Refund, StripeEvent
from crm.extensions import db as _db
from tests import stripe_support as ss

# Only the PostgreSQL instance of the session's databases (SQLite serialises every writer).
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def count(model) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count()).select_from(model))


def deliver_together(app, events: list[dict]) -> list[int]:
    """Each delivery from its own thread and test client (each request has its own app
    context, session and database connection), released at the same instant."""
    bodies = [ss.encode(e) for e in events]
    barrier = threading.Barrier(len(bodies))

    def send(body: bytes) -> int:
        client = app.test_client()
        headers = {"Stripe-Signature": ss.sign(body), "Content-Type": "application/json"}
        barrier.wait(timeout=30)
        return client.post("/webhooks/stripe", data=body, headers=headers).status_code

    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        return list(pool.map(send, bodies))


@pytest.fixture
def intent(db, make_campaign):
    campaign = make_campaign()
    data = {"frequency": Frequency.ONE_TIME, "amount_cents": 5000, "first_name": "Dana",
            "last_name": "Donor", "email": "dana@example.org"}  # fmt: skip
    made = services.create_intent(campaign, data)
    db.session.commit()
    return made


def test_the_same_event_delivered_20_times_at_once_makes_one_gift(app, intent, mail):
    event = ss.event("checkout.session.completed", ss.checkout_session(intent))
    statuses = deliver_together(app, [event] * 20)
    assert statuses == [200] * 20
    assert count(Donation) == 1 and count(Receipt) == 1 and count(StripeEvent) == 1
    assert _db.session.get(StripeEvent, event["id"]).attempts == 1
    assert len(mail.to("dana@example.org")) == 1


def test_different_events_for_one_session_at_once_make_one_gift(app, intent):
    session = ss.checkout_session(intent)
    kinds = ["checkout.session.completed", "checkout.session.async_payment_succeeded"] * 5
    statuses = deliver_together(app, [ss.event(kind, session) for kind in kinds])
    assert statuses == [200] * 10
    assert count(Donation) == 1 and count(Receipt) == 1 and count(StripeEvent) == 10


def test_the_same_refund_delivered_at_once_is_applied_once(app, client, intent):
    session = ss.checkout_session(intent)
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    pi = session["payment_intent"]
    listed = ss.charge(pi, 5000, amount_refunded=2000, refunds=[ss.refund("ch", pi, 2000)])
    unlisted = ss.charge(pi, 5000, amount_refunded=2000)
    events = [ss.event("charge.refunded", c) for c in [listed, unlisted] * 5]
    assert deliver_together(app, events) == [200] * 10
    assert count(Refund) == 1
    assert _db.session.scalars(select(Donation)).one().refunded_cents == 2000


def test_first_gifts_of_a_new_donor_at_once_make_one_contact(app, db, make_campaign):
    """She gives twice within a second (two tabs): both gifts arrive together and land on
    one new contact, not two."""
    from crm.contacts.models import Contact

    campaign = make_campaign()
    data = {"frequency": Frequency.ONE_TIME, "amount_cents": 5000, "first_name": "Nia",
            "last_name": "New", "email": "nia.new@example.org"}  # fmt: skip
    intents = [services.create_intent(campaign, dict(data)) for _ in range(6)]
    db.session.commit()
    events = [ss.event("checkout.session.completed", ss.checkout_session(i)) for i in intents]
    assert deliver_together(app, events) == [200] * 6
    assert count(Donation) == 6
    assert count(Contact) == 1
    assert {d.contact.email for d in _db.session.scalars(select(Donation))} == {
        "nia.new@example.org"
    }
