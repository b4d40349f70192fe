"""The app as the webhook benchmark serves it under gunicorn, plus one bare route to compare
with. The bare route lives only here, never in the application."""

import os

from config import Config
from crm import create_app
from crm.auth.access import public
from crm.extensions import csrf


class BenchConfig(Config):
    """Production-like: no debug, no testing shortcuts, jobs queued for a worker."""

    DEBUG = False
    SECRET_KEY = os.environ["SECRET_KEY"]
    SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
    STRIPE_SECRET_KEY = "sk_test_bench"
    # No Stripe here: the worker's reads of a payment's fee fail at once (the sweep would
    # retry them), instead of waiting on an address outside.
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:9")
    STRIPE_NETWORK_RETRIES = 0
    STRIPE_WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]
    MAIL_BACKEND = "file"
    REQUIRE_ADMIN_2FA = False


app = create_app(BenchConfig)


@app.post("/bench/bare")
@public
@csrf.exempt
def bare():
    return {"ok": True}
