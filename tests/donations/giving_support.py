"""Support for the giving tests: a stand-in for Stripe's Checkout Sessions API (which
localstripe does not have) and signed `checkout.session.completed` webhooks.

The stub runs as its own process on 127.0.0.1 (`python -m tests.donations.giving_support PORT
LOG`):
it answers POST /v1/checkout/sessions with a plausible session, replays the same session for a
repeated Idempotency-Key as Stripe does, and appends every request (method, path, headers,
form body) to LOG as one JSON line, so tests can assert what the real SDK sent. A file named
LOG + ".fail" makes it answer with Stripe's error shape instead, to test the error path.
"""

import hashlib
import hmac
import json
import os
import secrets
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from tests.servers import ServerProcess, free_port

PORTAL_PATH = "/v1/billing_portal/sessions"
SESSIONS_PATH = "/v1/checkout/sessions"
ROOT = Path(__file__).resolve().parents[2]


class Recorder:
    """The stub's process, seen from a test."""

    def __init__(self, folder: Path):
        self.log = folder / "requests.jsonl"
        self.log.touch()
        self.fail_flag = Path(f"{self.log}.fail")
        port = free_port()
        args = [sys.executable, "-m", "tests.donations.giving_support", str(port), str(self.log)]
        env = {
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        }
        self.process = ServerProcess(args, port, env=env, log=folder / "stub.log")
        self.url = f"http://127.0.0.1:{port}"

    @property
    def requests(self) -> list[dict]:
        lines = self.log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def clear(self) -> None:
        self.log.write_text("")
        self.fail_flag.unlink(missing_ok=True)

    def fail_next(self) -> None:
        self.fail_flag.write_text("1")

    def stop(self) -> None:
        self.process.stop()


@pytest.fixture(scope="session", name="checkout_stub")
def checkout_stub_fixture(tmp_path_factory):
    recorder = Recorder(tmp_path_factory.mktemp("checkout-stub"))
    yield recorder
    recorder.stop()


@pytest.fixture(name="stripe_checkout")
def stripe_checkout_fixture(app, checkout_stub):
    """Point the app's Stripe client at the stub for one test; what it sent is in
    `.requests`."""
    previous = app.config.get("STRIPE_API_BASE")
    app.config["STRIPE_API_BASE"] = checkout_stub.url
    app.extensions.pop("crm.stripe_client", None)
    checkout_stub.clear()
    yield checkout_stub
    app.config["STRIPE_API_BASE"] = previous
    app.extensions.pop("crm.stripe_client", None)
    checkout_stub.clear()


# --- webhooks ------------------------------------------------------------------------------


def signed(payload: dict, secret: str = "whsec_test_secret") -> tuple[bytes, dict]:
    """The body and headers of a webhook delivery as Stripe signs it."""
    body = json.dumps(payload).encode()
    stamp = int(time.time())
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, {"Stripe-Signature": f"t={stamp},v1={digest}", "Content-Type": "application/json"}


def checkout_completed(session: dict, *, name: str = "Ada Lovelace", paid: bool = True) -> dict:
    """A `checkout.session.completed` event for a session the stub created."""
    completed = {
        **session,
        "status": "complete",
        "payment_status": "paid" if paid else "unpaid",
        "customer": f"cus_{secrets.token_hex(6)}",
        "customer_details": {"email": session.get("customer_email"), "name": name},
    }
    if session.get("mode") == "subscription":
        completed["subscription"] = f"sub_{secrets.token_hex(6)}"
    else:
        completed["payment_intent"] = f"pi_{secrets.token_hex(6)}"
    return {
        "id": f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": "checkout.session.completed",
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": completed},
    }


# --- the server process ----------------------------------------------------------------------


def session_for(form: dict, session_id: str) -> dict:
    """A Checkout Session in Stripe's shape, echoing what was asked for."""
    prefix = "line_items[0][price_data]"
    amount = int(form.get(f"{prefix}[unit_amount]", 0)) * int(
        form.get("line_items[0][quantity]", 1)
    )
    metadata = {
        key[len("metadata[") : -1]: value
        for key, value in form.items()
        if key.startswith("metadata[")
    }
    return {
        "id": session_id,
        "object": "checkout.session",
        "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        "mode": form.get("mode"),
        "submit_type": form.get("submit_type"),
        "status": "open",
        "payment_status": "unpaid",
        "amount_total": amount,
        "currency": form.get(f"{prefix}[currency]"),
        "client_reference_id": form.get("client_reference_id"),
        "customer_email": form.get("customer_email"),
        "metadata": metadata,
        "success_url": form.get("success_url"),
        "cancel_url": form.get("cancel_url"),
        "livemode": False,
        "created": 1_700_000_000,
    }


def make_handler(log: Path):
    by_key: dict[str, dict] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
            status, answer = self.answer(form)
            record = {
                "method": "POST",
                "path": self.path,
                "headers": {k.lower(): v for k, v in self.headers.items()},
                "form": form,
                "status": status,
                "response": answer,
            }
            with log.open("a") as out:
                out.write(json.dumps(record) + "\n")
            self.reply(status, answer)

        def answer(self, form: dict) -> tuple[int, dict]:
            failing = Path(f"{log}.fail")
            if failing.exists():
                failing.unlink()
                message = "Your account cannot currently make live charges."
                return 400, {"error": {"type": "invalid_request_error", "message": message}}
            if self.path == PORTAL_PATH:  # the customer portal, for "manage my monthly gift"
                return 200, {
                    "id": f"bps_{secrets.token_hex(8)}",
                    "object": "billing_portal.session",
                    "customer": form.get("customer"),
                    "return_url": form.get("return_url"),
                    "url": f"https://billing.stripe.com/p/session/test_{secrets.token_hex(8)}",
                }
            if self.path != SESSIONS_PATH:
                message = f"Unrecognized request URL (POST: {self.path})."
                return 404, {"error": {"type": "invalid_request_error", "message": message}}
            key = self.headers.get("Idempotency-Key")
            if key not in by_key:
                session = session_for(form, f"cs_test_{secrets.token_hex(12)}")
                if not key:
                    return 200, session
                by_key[key] = session
            return 200, by_key[key]

        def do_GET(self):  # noqa: N802
            self.reply(404, {"error": {"type": "invalid_request_error", "message": "not here"}})

        def reply(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Request-Id", f"req_{secrets.token_hex(6)}")
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):  # noqa: A002
            sys.stderr.write(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}\n")

    return Handler


if __name__ == "__main__":
    port, log_path = int(sys.argv[1]), Path(sys.argv[2])
    ThreadingHTTPServer(("127.0.0.1", port), make_handler(log_path)).serve_forever()
