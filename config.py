"""Configuration classes. Every setting can come from the environment.

`create_app()` picks the class named by ``CRM_CONFIG`` (development, testing, production),
development by default.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("CRM_INSTANCE_PATH", BASE_DIR / "instance"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# Signs the development test checkout's webhook events (crm/donations/dev_checkout.py). It is
# no secret: the production configuration refuses to start with it.
DEV_WEBHOOK_SECRET = "whsec_development_only_not_a_secret"
# The port `make run` (PORT=8000 make run) or `flask run` serves on, for links in emails
# when BASE_URL is not set.
LOCAL_PORT = os.environ.get("PORT") or os.environ.get("FLASK_RUN_PORT") or "5000"
# A stand-in value rather than the organisation's own: empty, only zeros and punctuation
# ("00-0000000"), or naming a reserved example domain or a to-do. Pages, emails and receipts
# leave such a value out (`org_fact`), and production refuses to start with one.
PLACEHOLDER = re.compile(
    r"^[\s0\W_]*$|\bexample\.(?:org|com|net)\b|\b(?:change[ -]?me|placeholder|todo|tbd)\b"
    r"|\bX{2,}-X+\b",
    re.IGNORECASE,
)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


def is_placeholder(value) -> bool:
    return value is None or bool(PLACEHOLDER.search(str(value).strip()))


def org_fact(config, name: str) -> str:
    """An organisation setting as pages and receipts may print it: "" while it is a stand-in."""
    value = config.get(name)
    return "" if is_placeholder(value) else str(value).strip()


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'crm.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    REDIS_URL = os.environ.get("REDIS_URL") or None

    # The organisation
    ORG_NAME = os.environ.get("ORG_NAME", "Protect Our Children")
    ORG_TIMEZONE = os.environ.get("ORG_TIMEZONE", "America/New_York")
    # How dates, times, numbers and durations read (a CLDR locale: en_US, en_GB, es_US...).
    LOCALE = os.environ.get("LOCALE", "en_US")
    # The month the fiscal year begins (7: July to June). Changing it, or ORG_TIMEZONE, needs
    # `flask crm rebuild-summaries`: the dashboard's summaries are kept by local day and year.
    FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 7)
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "US")
    BASE_URL = os.environ.get("BASE_URL") or f"http://127.0.0.1:{LOCAL_PORT}"

    # Stripe (used by the donations feature)
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
    DEV_CHECKOUT = False  # the development test checkout; see DevelopmentConfig
    STRIPE_NETWORK_RETRIES = env_int("STRIPE_NETWORK_RETRIES", 2)
    # A payment no checkout or invoice event has recorded after this long was made outside
    # the giving page (dashboard, Payment Link...) and is recorded from the charge itself.
    STRIPE_OUTSIDE_GRACE_MINUTES = env_int("STRIPE_OUTSIDE_GRACE_MINUTES", 15)
    # Staff are emailed about Stripe events that still fail or wait after this long.
    STRIPE_ALERT_AFTER_HOURS = env_int("STRIPE_ALERT_AFTER_HOURS", 1)

    # Mail: "smtp" sends, "file" writes .eml files under instance/mail
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "smtp")
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "localhost")
    MAIL_PORT = env_int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    MAIL_USE_TLS = env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = env_bool("MAIL_USE_SSL")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "crm@example.org")
    MAIL_FILE_DIR = str(INSTANCE_DIR / "mail")
    MAIL_MAX_ATTEMPTS = env_int("MAIL_MAX_ATTEMPTS", 8)
    MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 20)
    # Sent and failed messages are deleted from the outbox after this many days.
    MAIL_RETENTION_DAYS = env_int("MAIL_RETENTION_DAYS", 90)

    # Outreach mailings. Bounces come back to MAILING_BOUNCE_ADDRESS with a signed tag per
    # message (bounces+123-tag@...): the mail server must deliver such addresses to one
    # mailbox, which `flask crm bounces` reads; the same for unsubscribe requests.
    MAILING_RATE = env_int("MAILING_RATE", 50)  # messages per second; 0: no limit
    MAILING_BATCH_SIZE = env_int("MAILING_BATCH_SIZE", 200)  # recipients per transaction
    MAILING_LEASE_SECONDS = env_int("MAILING_LEASE_SECONDS", 120)  # a silent sender is dead
    MAILING_JOURNAL_DIR = os.environ.get("MAILING_JOURNAL_DIR") or str(INSTANCE_DIR / "mailings")
    MAILING_ATTRIBUTION_DAYS = env_int("MAILING_ATTRIBUTION_DAYS", 30)
    _MAIL_DOMAIN = MAIL_DEFAULT_SENDER.rpartition("@")[2]
    MAILING_BOUNCE_ADDRESS = os.environ.get("MAILING_BOUNCE_ADDRESS") or f"bounces@{_MAIL_DOMAIN}"
    MAILING_UNSUBSCRIBE_ADDRESS = (
        os.environ.get("MAILING_UNSUBSCRIBE_ADDRESS") or f"unsubscribe@{_MAIL_DOMAIN}"
    )

    # Background jobs (Huey): SQLite file by default, Redis when REDIS_URL is set
    JOBS_SQLITE_PATH = str(INSTANCE_DIR / "jobs.sqlite3")
    JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "crm")  # one queue per deployment
    JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE")
    # A long job (an import, the year-end statements) renews its lease as it goes; one not
    # renewed for this many seconds is taken for dead, and its work is taken back or resumed.
    JOB_LEASE_SECONDS = env_int("JOB_LEASE_SECONDS", 120)

    # Accounts and security
    REQUIRE_ADMIN_2FA = env_bool("REQUIRE_ADMIN_2FA", True)
    PASSWORD_RESET_MAX_AGE = env_int("PASSWORD_RESET_MAX_AGE", 3600)
    INVITE_MAX_AGE = env_int("INVITE_MAX_AGE", 7 * 24 * 3600)
    SESSION_IDLE_TIMEOUT = env_int("SESSION_IDLE_TIMEOUT", 12 * 3600)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE")
    FORCE_HTTPS = env_bool("FORCE_HTTPS")
    TRUSTED_PROXIES = env_int("TRUSTED_PROXIES", 0)
    RATELIMIT_ENABLED = env_bool("RATELIMIT_ENABLED", True)
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or (REDIS_URL or "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Redis unreachable: the same limits are kept in each process's memory (and the switch is
    # logged) until it answers again, so an outage weakens limits but never refuses a gift
    # or a sign-in with an error.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    SIGN_IN_RATE_LIMIT = os.environ.get("SIGN_IN_RATE_LIMIT", "10 per minute; 60 per hour")
    PUBLIC_FORM_RATE_LIMIT = os.environ.get("PUBLIC_FORM_RATE_LIMIT", "30 per minute; 300 per hour")
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session

    CONTACTS_PER_PAGE = 25

    # Volunteers
    VOLUNTEER_CANCEL_CUTOFF_HOURS = env_int("VOLUNTEER_CANCEL_CUTOFF_HOURS", 24)
    VOLUNTEER_REMINDER_HOURS = env_int("VOLUNTEER_REMINDER_HOURS", 48)
    VOLUNTEER_EXPIRY_WARNING_DAYS = tuple(
        sorted(
            (int(v) for v in os.environ.get("VOLUNTEER_EXPIRY_WARNING_DAYS", "60,30").split(",")),
            reverse=True,
        )
    )
    VOLUNTEER_APPLY_RATE_LIMIT = os.environ.get(
        "VOLUNTEER_APPLY_RATE_LIMIT", "5 per minute; 20 per hour"
    )
    # Imports and data protection
    IMPORT_MAX_BYTES = env_int("IMPORT_MAX_BYTES", 200 * 1024 * 1024)
    # Files of at least this size (about 20,000 contacts) are read in a second process.
    IMPORT_PARALLEL_BYTES = env_int("IMPORT_PARALLEL_BYTES", 2 * 1024 * 1024)
    BACKUP_DIR = os.environ.get("BACKUP_DIR") or str(INSTANCE_DIR / "backups")

    # Giving (amounts in minor units of CURRENCY)
    CURRENCY = os.environ.get("CURRENCY", "USD").upper()
    GIFT_MIN_CENTS = env_int("GIFT_MIN_CENTS", 500)
    GIFT_MAX_CENTS = env_int("GIFT_MAX_CENTS", 2_500_000)
    GIFT_PRESETS_CENTS = [
        int(v) for v in os.environ.get("GIFT_PRESETS_CENTS", "2500,5000,10000,25000").split(",")
    ]
    FEE_PERCENT_BASIS_POINTS = env_int("FEE_PERCENT_BASIS_POINTS", 220)  # 2.2 %
    FEE_FIXED_CENTS = env_int("FEE_FIXED_CENTS", 30)
    DEFAULT_CAMPAIGN_SLUG = os.environ.get("DEFAULT_CAMPAIGN_SLUG", "general")
    # Thanking and follow-up: gifts received within this many days wait for a thank-you when
    # recorded (older ones are history); gifts of at least MAJOR_GIFT_CENTS get a thank-you
    # task, as do first gifts; pledge reminders go this many days before each instalment.
    THANK_WINDOW_DAYS = env_int("THANK_WINDOW_DAYS", 90)
    MAJOR_GIFT_CENTS = env_int("MAJOR_GIFT_CENTS", 100_000)
    PLEDGE_REMINDER_DAYS = env_int("PLEDGE_REMINDER_DAYS", 7)
    # Receipts and the public footer. No stand-ins: what is not set is not printed (and
    # production refuses to start without the real values).
    ORG_LEGAL_NAME = os.environ.get("ORG_LEGAL_NAME") or ORG_NAME
    ORG_TAX_ID = os.environ.get("ORG_TAX_ID", "")
    ORG_ADDRESS = os.environ.get("ORG_ADDRESS", "")


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
    # Without Stripe keys, /give offers a labelled test checkout whose events are signed
    # with DEV_WEBHOOK_SECRET and go through the real webhook (DEV_CHECKOUT=0 turns it off).
    DEV_CHECKOUT = env_bool(
        "DEV_CHECKOUT",
        not (os.environ.get("STRIPE_SECRET_KEY") or os.environ.get("STRIPE_WEBHOOK_SECRET")),
    )
    STRIPE_WEBHOOK_SECRET = Config.STRIPE_WEBHOOK_SECRET or (
        DEV_WEBHOOK_SECRET if DEV_CHECKOUT else None
    )
    MAIL_BACKEND = os.environ.get("MAIL_BACKEND", "file")
    REQUIRE_ADMIN_2FA = env_bool("REQUIRE_ADMIN_2FA", False)


class TestingConfig(Config):
    TESTING = True
    SECRET_KEY = "testing-secret-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    JOBS_IMMEDIATE = True
    RATELIMIT_STORAGE_URI = "memory://"
    SIGN_IN_RATE_LIMIT = "1000 per minute"  # tests of the limit lower it
    PUBLIC_FORM_RATE_LIMIT = "1000 per minute"
    REQUIRE_ADMIN_2FA = False
    MAIL_BACKEND = "smtp"
    MAILING_RATE = 0
    BASE_URL = "http://localhost"
    STRIPE_SECRET_KEY = "sk_test_dummy"
    STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    ORG_LEGAL_NAME = "Protect Our Children, Inc."
    ORG_TAX_ID = "36-1234567"
    ORG_ADDRESS = "100 Main Street, Springfield, IL 62701"
    # Nothing may reach the internet: Stripe reads fail at once unless a test points the
    # client at localstripe or a stand-in.
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or "http://127.0.0.1:9"
    STRIPE_NETWORK_RETRIES = 0


def gunicorn_workers(argv: list[str], cmd_args: str = "") -> int:
    """The worker count gunicorn was started with (-w/--workers on its command line or in
    GUNICORN_CMD_ARGS, else WEB_CONCURRENCY, which gunicorn reads too); 1 outside gunicorn."""
    import argparse
    import shlex

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-w", "--workers", type=int)
    found = os.environ.get("WEB_CONCURRENCY")
    for args in (shlex.split(cmd_args), argv[1:] if "gunicorn" in argv[0] else []):
        parsed, _ = parser.parse_known_args(args)
        found = parsed.workers or found
    return int(found or 1)


class ProductionConfig(Config):
    DEBUG = False
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    FORCE_HTTPS = env_bool("FORCE_HTTPS", True)
    REQUIRED = ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL")
    # Printed on receipts, in emails and on every public page: the organisation's own values.
    REAL = ("ORG_LEGAL_NAME", "ORG_TAX_ID", "ORG_ADDRESS", "MAIL_DEFAULT_SENDER", "BASE_URL")
    # How many copies of the application serve requests behind the load balancer.
    CRM_INSTANCES = env_int("CRM_INSTANCES", 1)

    @classmethod
    def check(cls, app_config) -> None:
        """Refuse to start without secrets or with debug on."""
        missing = [name for name in cls.REQUIRED if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"Production configuration is missing: {', '.join(missing)}")
        if app_config.get("DEBUG") or env_bool("FLASK_DEBUG"):
            raise RuntimeError("Production configuration refuses to run with debug on")
        if len(app_config["SECRET_KEY"]) < 32:
            raise RuntimeError("SECRET_KEY must be at least 32 characters in production")
        if (
            app_config.get("DEV_CHECKOUT")
            or env_bool("DEV_CHECKOUT")
            or DEV_WEBHOOK_SECRET
            in (app_config.get("STRIPE_WEBHOOK_SECRET"), os.environ.get("STRIPE_WEBHOOK_SECRET"))
        ):
            raise RuntimeError(
                "Production configuration refuses the development test checkout "
                "(DEV_CHECKOUT) and its webhook secret"
            )
        stand_ins = [name for name in cls.REAL if is_placeholder(app_config.get(name))]
        if urlsplit(app_config.get("BASE_URL") or "").hostname in LOOPBACK_HOSTS:
            stand_ins.append("BASE_URL")
        if stand_ins:
            raise RuntimeError(
                "Production configuration has placeholders instead of the organisation's "
                f"values: {', '.join(dict.fromkeys(stand_ins))}"
            )
        cls.check_shared_state(app_config)

    @classmethod
    def check_shared_state(cls, app_config) -> None:
        """More than one process must share rate-limit counters and the job queue: each
        process counting on its own would allow 10 sign-in attempts a minute per process,
        and a job queued in one instance's file is never seen by another's worker."""
        import sys

        workers = gunicorn_workers(sys.argv, os.environ.get("GUNICORN_CMD_ARGS", ""))
        processes = workers * app_config["CRM_INSTANCES"]
        if processes <= 1:
            return
        limits = app_config["RATELIMIT_STORAGE_URI"]
        if not app_config["REDIS_URL"] or limits.startswith("memory"):
            raise RuntimeError(
                f"Production with {workers} worker(s) x {app_config['CRM_INSTANCES']} "
                "instance(s) needs REDIS_URL (and no in-memory RATELIMIT_STORAGE_URI): rate "
                "limits and jobs must be shared by every process. Set REDIS_URL, or run a "
                "single worker (WEB_CONCURRENCY=1, CRM_INSTANCES=1)."
            )


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
