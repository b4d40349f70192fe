"""A stand-in for the parts of Stripe's API that localstripe lacks (Checkout Sessions listed by
payment, invoice payments, balance transactions by payout, webhook endpoints, events), plugged
into the real SDK as its HTTP client. The test puts Stripe objects in (built in the shapes of
Stripe's fixtures3.json); the SDK's requests are answered from them the way Stripe answers —
404 with Stripe's error body for an unknown id, lists with `has_more` pages, `expand[]` — and
every request is recorded, so a test can assert what the SDK sent."""

import json
import re
from urllib.parse import parse_qsl, urlsplit

import pytest
import stripe

RETRIEVE = {
    "payment_intents": "payment_intent",
    "charges": "charge",
    "balance_transactions": "balance_transaction",
    "customers": "customer",
    "invoices": "invoice",
    "disputes": "dispute",
    "refunds": "refund",
}


class FakeStripe(stripe.HTTPClient):
    name = "fake"

    def __init__(self):
        super().__init__()
        self.objects: dict[str, dict] = {}
        self.requests: list[tuple[str, str, dict]] = []
        self.fail_after: int | None = None  # answer 500 once this many requests were served

    def add(self, *objects: dict) -> None:
        for obj in objects:
            self.objects[obj["id"]] = obj

    def payment(self, amount: int, fee: int, **charge_fields) -> tuple[str, str, str]:
        """A paid payment intent, its charge and the charge's balance transaction (Stripe's
        fee `fee`); returns their ids."""
        from tests import stripe_support as ss

        transaction = ss.balance_transaction(amount, fee)
        pi = ss._id("pi")
        charge = {**ss.charge(pi, amount, balance_transaction=transaction["id"]), **charge_fields}
        transaction["source"] = charge["id"]
        intent = {"id": pi, "object": "payment_intent", "amount": amount, "currency": "usd",
                  "status": "succeeded", "latest_charge": charge["id"], "metadata": {}}  # fmt: skip
        self.add(transaction, charge, intent)
        return pi, charge["id"], transaction["id"]

    def of(self, kind: str) -> list[dict]:
        return [o for o in self.objects.values() if o.get("object") == kind]

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.requests]

    # --- stripe.HTTPClient ----------------------------------------------------------------

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        query = parse_qsl(parts.query) + parse_qsl(post_data or "")
        params: dict = {}
        for key, value in query:  # the SDK sends lists as expand[0]=..., expand[1]=...
            params.setdefault(re.sub(r"\[\d+\]$", "[]", key), []).append(value)
        method = method.upper()
        self.requests.append((method, parts.path, params))
        if self.fail_after is not None and len(self.requests) > self.fail_after:
            return self._error(500, "api_error", "Stripe is having a bad day")
        self._path = parts.path
        try:
            status, body = self._answer(method, parts.path, params)
        except KeyError as exc:
            return self._error(404, "invalid_request_error", f"No such object: {exc.args[0]}")
        return json.dumps(body), status, {"request-id": f"req_fake{len(self.requests)}"}

    def close(self):
        pass

    # --- the routes ---------------------------------------------------------------------

    def _answer(self, method: str, path: str, params: dict) -> tuple[int, dict]:
        parts = path.strip("/").split("/")[1:]  # without "v1"
        expand = params.get("expand[]", [])
        if len(parts) == 2 and parts[0] in RETRIEVE:
            obj = self._get(parts[1], RETRIEVE[parts[0]])
            return 200, self._expand(obj, expand)
        first = params.get
        if parts == ["checkout", "sessions"]:
            pi = first("payment_intent", [None])[0]
            return 200, self._list(
                [s for s in self.of("checkout.session") if s.get("payment_intent") == pi], params
            )
        if parts == ["invoice_payments"]:
            invoice = first("invoice", [None])[0]
            pi = first("payment[payment_intent]", [None])[0]
            rows = [
                p for p in self.of("invoice_payment")
                if (invoice and p.get("invoice") == invoice)
                or (pi and (p.get("payment") or {}).get("payment_intent") == pi)
            ]  # fmt: skip
            return 200, self._list(rows, params)
        if parts == ["balance_transactions"]:
            payout = first("payout", [None])[0]
            rows = [t for t in self.of("balance_transaction") if t.get("payout") == payout]
            rows = [self._expand(t, [e.removeprefix("data.") for e in expand]) for t in rows]
            return 200, self._list(rows, params)
        if parts == ["webhook_endpoints"]:
            return 200, self._list(self.of("webhook_endpoint"), params)
        if parts == ["events"]:
            types = set(params.get("types[]", []))
            rows = [e for e in self.of("event") if not types or e["type"] in types]
            rows.sort(key=lambda e: e["created"], reverse=True)
            return 200, self._list(rows, params)
        raise KeyError(path)

    def _get(self, object_id: str, kind: str) -> dict:
        obj = self.objects[object_id]
        if obj.get("object") != kind:
            raise KeyError(object_id)
        return obj

    def _expand(self, obj: dict, paths: list[str]) -> dict:
        out = {k: v for k, v in obj.items() if k != "payout"}  # our own filing field
        for path in paths:
            field = path.split(".")[0]
            value = out.get(field)
            if isinstance(value, str) and value in self.objects:
                out[field] = dict(self.objects[value])
        return out

    def _list(self, rows: list[dict], params: dict) -> dict:
        rows = [{k: v for k, v in r.items() if k != "payout"} for r in rows]
        after = params.get("starting_after", [None])[0]
        if after:
            ids = [r["id"] for r in rows]
            rows = rows[ids.index(after) + 1 :]
        limit = int(params.get("limit", ["10"])[0])
        return {"object": "list", "url": self._path, "has_more": len(rows) > limit,
                "data": rows[:limit]}  # fmt: skip

    @staticmethod
    def _error(status: int, kind: str, message: str):
        body = {"error": {"type": kind, "message": message, "code": "resource_missing"}}
        return json.dumps(body), status, {}


@pytest.fixture
def fake_stripe(app):
    """The app's Stripe client answered by a FakeStripe for one test."""
    fake = FakeStripe()
    app.extensions["crm.stripe_client"] = stripe.StripeClient(
        "sk_test_fake", http_client=fake, max_network_retries=0
    )
    yield fake
    app.extensions.pop("crm.stripe_client", None)
