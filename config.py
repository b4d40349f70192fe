"""Configuration classes. Every setting can come from the environment.

`create_app()` picks the class named by ``CRM_CONFIG`` (development, testing, production),
development by default.
"""

import os
from pathlib import Path

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
    # The month the fiscal year begins (7: July to June). Changing it, or ORG_TIMEZONE, needs
    # `flask crm rebuild-summaries`: the dashboard's summaries are kept by local day and year.
    FISCAL_YEAR_START_MONTH = env_int("FISCAL_YEAR_START_MONTH", 7)
    DEFAULT_PHONE_REGION = os.environ.get("DEFAULT_PHONE_REGION", "US")
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000")

    # Stripe (used by the donations feature)
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or None
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

    # Background jobs (Huey): SQLite file by default, Redis when REDIS_URL is set
    JOBS_SQLITE_PATH = str(INSTANCE_DIR / "jobs.sqlite3")
    JOBS_QUEUE_NAME = os.environ.get("JOBS_QUEUE_NAME", "crm")  # one queue per deployment
    JOBS_IMMEDIATE = env_bool("JOBS_IMMEDIATE")

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
    # Receipts
    ORG_LEGAL_NAME = os.environ.get("ORG_LEGAL_NAME", "Protect Our Children, Inc.")
    ORG_TAX_ID = os.environ.get("ORG_TAX_ID", "00-0000000")
    ORG_ADDRESS = os.environ.get("ORG_ADDRESS", "100 Main Street, Springfield, IL 62701")


class DevelopmentConfig(Config):
    DEBUG = True
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-not-secret")
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
    BASE_URL = "http://localhost"
    STRIPE_SECRET_KEY = "sk_test_dummy"
    STRIPE_WEBHOOK_SECRET = "whsec_test_secret"
    # Nothing may reach the internet: Stripe reads fail at once unless a test points the
    # client at localstripe or a stand-in.
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE") or "http://127.0.0.1:9"
    STRIPE_NETWORK_RETRIES = 0


class ProductionConfig(Config):
    DEBUG = False
    SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", True)
    FORCE_HTTPS = env_bool("FORCE_HTTPS", True)
    REQUIRED = ("SECRET_KEY", "STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "DATABASE_URL")

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


CONFIGS = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}
