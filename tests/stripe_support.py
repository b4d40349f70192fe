"""Stripe for the tests: payload builders in the current API's shapes (field names as in
Stripe's fixtures3.json), a signer, webhook delivery, and localstripe on loopback.

Run localstripe by itself (in-memory, 127.0.0.1 only): python -m tests.stripe_support PORT
"""

import hashlib
import hmac
import itertools
import json
import os
import sys
import time
from pathlib import Path

import pytest

from tests.servers import ServerProcess, free_port, start_app_server

SECRET = "whsec_test_secret"  # TestingConfig.STRIPE_WEBHOOK_SECRET
API_VERSION = "2025-08-27.basil"
ROOT = Path(__file__).resolve().parents[1]
_serial = itertools.count(1)


def _id(prefix: str) -> str:
    return f"{prefix}_test{os.getpid()}x{next(_serial):06d}"


# --- signing and delivery ------------------------------------------------------------------


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: HMAC-SHA256 of "{t}.{body}"."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def encode(event: dict) -> bytes:
    return json.dumps(event, indent=2).encode()


def deliver(client, event: dict, secret: str = SECRET, timestamp: int | None = None, body=None):
    """POST an event to the webhook the way Stripe does (test client or requests-like)."""
    body = encode(event) if body is None else body
    headers = {
        "Stripe-Signature": sign(body, secret, timestamp),
        "Content-Type": "application/json",
    }
    return client.post("/webhooks/stripe", data=body, headers=headers)


def deliver_to(base_url: str, event: dict, secret: str = SECRET):
    """POST an event to the webhook of an app served by its own process."""
    import requests

    body = encode(event)
    headers = {"Stripe-Signature": sign(body, secret), "Content-Type": "application/json"}
    return requests.post(f"{base_url}/webhooks/stripe", data=body, headers=headers, timeout=30)


# --- payload builders ----------------------------------------------------------------------


def event(type: str, obj: dict, id: str | None = None, created: int | None = None) -> dict:
    return {
        "id": id or _id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }


def checkout_session(
    intent,
    *,
    payment_status: str = "paid",
    customer: str | None = None,
    payment_intent: str | None = None,
    subscription: str | None = None,
    id: str | None = None,
) -> dict:
    """A completed Checkout Session for one of our DonationIntents."""
    monthly = intent.frequency.value == "monthly"
    metadata = {"intent": intent.public_id, "campaign": intent.campaign.slug}
    return {
        "id": id or intent.stripe_checkout_session_id or _id("cs"),
        "object": "checkout.session",
        "mode": "subscription" if monthly else "payment",
        "submit_type": None if monthly else "donate",
        "status": "complete",
        "payment_status": payment_status,
        "amount_subtotal": intent.total_cents,
        "amount_total": intent.total_cents,
        "currency": intent.currency.lower(),
        "client_reference_id": intent.public_id,
        "metadata": metadata,
        "customer": customer or _id("cus"),
        "customer_creation": "always",
        "customer_email": intent.email,
        "customer_details": {
            "email": intent.email,
            "name": f"{intent.first_name} {intent.last_name}",
            "address": None,
            "phone": None,
            "tax_exempt": "none",
            "tax_ids": [],
        },
        "payment_intent": None if monthly else (payment_intent or _id("pi")),
        "subscription": (subscription or _id("sub")) if monthly else None,
        "invoice": None,
        "livemode": False,
        "created": int(time.time()) - 60,
        "expires_at": int(time.time()) + 3600,
        "success_url": "http://localhost/give/thanks",
        "cancel_url": "http://localhost/give",
        "url": None,
    }


def invoice(
    subscription: str,
    amount: int,
    *,
    customer: str = "cus_unknown",
    intent_public_id: str | None = None,
    currency: str = "usd",
    id: str | None = None,
    status: str = "paid",
    billing_reason: str = "subscription_cycle",
) -> dict:
    """An invoice of a subscription, current API: the subscription lives under
    parent.subscription_details, and there is no top-level subscription/payment_intent."""
    invoice_id = id or _id("in")
    paid = status == "paid"
    now = int(time.time())
    return {
        "id": invoice_id,
        "object": "invoice",
        "billing_reason": billing_reason,
        "collection_method": "charge_automatically",
        "currency": currency,
        "customer": customer,
        "amount_due": amount,
        "amount_paid": amount if paid else 0,
        "amount_remaining": 0 if paid else amount,
        "attempt_count": 1,
        "attempted": True,
        "status": status,
        "status_transitions": {"paid_at": now if paid else None, "finalized_at": now},
        "total": amount,
        "subtotal": amount,
        "parent": {
            "type": "subscription_details",
            "quote_details": None,
            "subscription_details": {
                "metadata": {"intent": intent_public_id} if intent_public_id else {},
                "subscription": subscription,
            },
        },
        "lines": {
            "object": "list",
            "has_more": False,
            "data": [
                {
                    "id": _id("il"),
                    "object": "line_item",
                    "amount": amount,
                    "currency": currency,
                    "invoice": invoice_id,
                    "parent": {
                        "type": "subscription_item_details",
                        "invoice_item_details": None,
                        "subscription_item_details": {
                            "subscription": subscription,
                            "subscription_item": _id("si"),
                            "proration": False,
                        },
                    },
                    "period": {"start": now, "end": now + 30 * 86400},
                    "quantity": 1,
                }
            ],
        },
        "livemode": False,
        "created": now,
    }


def invoice_payment(invoice_id: str, payment_intent: str, amount: int) -> dict:
    return {
        "id": _id("inpay"),
        "object": "invoice_payment",
        "invoice": invoice_id,
        "amount_paid": amount,
        "amount_requested": amount,
        "currency": "usd",
        "is_default": True,
        "status": "paid",
        "payment": {"type": "payment_intent", "payment_intent": payment_intent},
        "status_transitions": {"paid_at": int(time.time()), "canceled_at": None},
        "livemode": False,
        "created": int(time.time()),
    }


def refund(charge_id: str, payment_intent: str | None, amount: int, id: str | None = None):
    return {
        "id": id or _id("re"),
        "object": "refund",
        "amount": amount,
        "charge": charge_id,
        "payment_intent": payment_intent,
        "currency": "usd",
        "reason": "requested_by_customer",
        "status": "succeeded",
        "balance_transaction": _id("txn"),
        "created": int(time.time()),
        "metadata": {},
    }


def charge(
    payment_intent: str | None,
    amount: int,
    *,
    amount_refunded: int = 0,
    refunds: list[dict] | None = None,
    id: str | None = None,
    balance_transaction=None,
) -> dict:
    """A charge. `refunds=None` leaves the list out, as the current API does unless expanded."""
    body = {
        "id": id or _id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "refunded": amount_refunded >= amount,
        "captured": True,
        "paid": True,
        "status": "succeeded",
        "currency": "usd",
        "customer": None,
        "disputed": False,
        "payment_intent": payment_intent,
        "balance_transaction": balance_transaction or _id("txn"),
        "billing_details": {"email": None, "name": "Jenny Rosen"},
        "metadata": {},
        "livemode": False,
        "created": int(time.time()),
    }
    if refunds is not None:
        body["refunds"] = {"object": "list", "data": refunds, "has_more": False}
    return body


def balance_transaction(amount: int, fee: int) -> dict:
    return {
        "id": _id("txn"),
        "object": "balance_transaction",
        "amount": amount,
        "fee": fee,
        "net": amount - fee,
        "currency": "usd",
        "type": "charge",
        "status": "available",
    }


def dispute(charge_id: str, payment_intent: str | None, amount: int, status: str, id=None):
    return {
        "id": id or _id("dp"),
        "object": "dispute",
        "amount": amount,
        "charge": charge_id,
        "payment_intent": payment_intent,
        "currency": "usd",
        "reason": "fraudulent",
        "status": status,
        "is_charge_refundable": False,
        "balance_transactions": [],
        "evidence_details": {"due_by": int(time.time()) + 7 * 86400, "has_evidence": False},
        "livemode": False,
        "created": int(time.time()),
        "metadata": {},
    }


def subscription(id: str, status: str, *, customer: str = "cus_unknown", amount: int = 2500):
    return {
        "id": id,
        "object": "subscription",
        "status": status,
        "customer": customer,
        "currency": "usd",
        "cancel_at_period_end": False,
        "canceled_at": int(time.time()) if status == "canceled" else None,
        "ended_at": int(time.time()) if status == "canceled" else None,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": _id("si"),
                    "object": "subscription_item",
                    "price": {
                        "id": _id("price"),
                        "object": "price",
                        "unit_amount": amount,
                        "currency": "usd",
                        "recurring": {"interval": "month", "interval_count": 1},
                    },
                    "quantity": 1,
                }
            ],
        },
        "metadata": {},
        "livemode": False,
        "created": int(time.time()),
    }


# --- localstripe and a live app --------------------------------------------------------------


def start_localstripe(log: Path) -> ServerProcess:
    port = free_port()
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    args = [sys.executable, "-m", "tests.stripe_support", str(port)]
    server = ServerProcess(args, port, env=env, log=log)
    server.url = f"http://127.0.0.1:{port}"
    return server


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe on 127.0.0.1 in its own process, state in memory only."""
    server = start_localstripe(tmp_path_factory.mktemp("localstripe") / "localstripe.log")
    yield server
    server.stop()


@pytest.fixture
def stripe_api(app, localstripe, monkeypatch):
    """Point the app's Stripe client at localstripe for one test."""
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", localstripe.url)
    app.extensions.pop("crm.stripe_client", None)
    yield localstripe
    app.extensions.pop("crm.stripe_client", None)


@pytest.fixture(scope="session")
def webhook_app_server(app, smtp_server, localstripe, tmp_path_factory):
    """The CRM in its own process on this engine's test database, to receive webhooks; its
    Stripe SDK talks to localstripe."""
    log = tmp_path_factory.mktemp("webhook-app") / "server.log"
    env = {
        "TEST_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "STRIPE_API_BASE": localstripe.url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server[0].port),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    server = start_app_server(env, log)
    server.url = f"http://127.0.0.1:{server.port}"
    yield server
    server.stop()


def wait_until(check, timeout: float = 15.0, interval: float = 0.1):
    """Poll `check()` until it returns something truthy; returns it, or fails."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


def _serve_localstripe(port: int) -> None:
    from aiohttp import web
    from localstripe import resources, server

    # Keep the store in memory: localstripe otherwise pickles it to a fixed /tmp file that
    # every concurrent run on the machine would share.
    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    _charge_fees(resources)
    web.run_app(server.app, host="127.0.0.1", port=port, print=None)


def card_fee(amount: int) -> int:
    """Stripe's standard US card pricing, 2.9 % + 30 cents, which our localstripe charges."""
    return round(amount * 29 / 1000) + 30


def _charge_fees(resources) -> None:
    """localstripe books every charge with no fee; ours books Stripe's, so that a fee read
    through the SDK is a real figure a test can get wrong."""
    original = resources.BalanceTransaction.__init__

    def with_fee(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.type == "charge":
            self.fee = card_fee(self.amount)
            self.fee_details = [
                {"amount": self.fee, "currency": self.currency, "type": "stripe_fee"}
            ]

    resources.BalanceTransaction.__init__ = with_fee


if __name__ == "__main__":
    _serve_localstripe(int(sys.argv[1]))
