import pytest

from config import DEV_WEBHOOK_SECRET, ProductionConfig
from crm import create_app

SECRETS = {
    "SECRET_KEY": "x" * 40,
    "STRIPE_SECRET_KEY": "sk_live_dummy",
    "STRIPE_WEBHOOK_SECRET": "whsec_dummy",
    "DATABASE_URL": "sqlite://",
}


# The organisation's own values, which production needs instead of development stand-ins.
REAL = {
    "ORG_LEGAL_NAME": "Safe Kids Alliance NFP",
    "ORG_TAX_ID": "12-3456789",
    "ORG_ADDRESS": "9 Elm Road, Peoria, IL 61602",
    "MAIL_DEFAULT_SENDER": "hello@safekids.org",
    "BASE_URL": "https://crm.safekids.org",
}


def production(monkeypatch, settings=None, **env):
    for key in [*SECRETS, "FLASK_DEBUG"]:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    fields = {**REAL, **(settings or {})}
    return type(
        "Config",
        (ProductionConfig,),
        {**fields, "SECRET_KEY": env.get("SECRET_KEY"), "SQLALCHEMY_DATABASE_URI": "sqlite://"},
    )


@pytest.mark.parametrize("missing", list(SECRETS))
def test_production_refuses_to_start_without_its_secrets(monkeypatch, missing):
    env = {k: v for k, v in SECRETS.items() if k != missing}
    with pytest.raises(RuntimeError, match=missing):
        create_app(production(monkeypatch, **env))


def test_production_refuses_debug(monkeypatch):
    with pytest.raises(RuntimeError, match="debug"):
        create_app(production(monkeypatch, **SECRETS, FLASK_DEBUG="1"))


def test_production_refuses_a_short_secret_key(monkeypatch):
    with pytest.raises(RuntimeError, match="32 characters"):
        create_app(production(monkeypatch, **{**SECRETS, "SECRET_KEY": "short"}))


def test_production_starts_with_everything_set(monkeypatch):
    app = create_app(production(monkeypatch, **SECRETS))
    assert not app.debug
    assert app.config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize(
    "name, value",
    [
        ("ORG_TAX_ID", "00-0000000"),
        ("ORG_TAX_ID", ""),
        ("ORG_ADDRESS", ""),
        ("ORG_LEGAL_NAME", "TBD"),
        ("MAIL_DEFAULT_SENDER", "crm@example.org"),
        ("BASE_URL", "http://127.0.0.1:5000"),
        ("BASE_URL", "https://crm.example.org"),
    ],
)
def test_production_refuses_to_start_with_placeholders(monkeypatch, name, value):
    with pytest.raises(RuntimeError, match=f"placeholders .*{name}"):
        create_app(production(monkeypatch, {name: value}, **SECRETS))


@pytest.mark.parametrize("value", ["00-0000000", "", "XX-XXXXXXX", "change me"])
def test_a_placeholder_never_reaches_the_public_footer_or_a_receipt(
    app, client, monkeypatch, value
):
    from crm.donations.organisation import org_context

    monkeypatch.setitem(app.config, "ORG_TAX_ID", value)
    monkeypatch.setitem(app.config, "ORG_ADDRESS", "placeholder")
    footer = client.get("/events").text.split("<footer", 1)[1]
    assert "Tax id" not in footer and "placeholder" not in footer
    assert "Protect Our Children, Inc." in footer
    with app.test_request_context():
        assert org_context() == {
            "legal_name": "Protect Our Children, Inc.", "tax_id": "", "address": ""
        }  # fmt: skip
    monkeypatch.setitem(app.config, "ORG_TAX_ID", "12-3456789")
    assert "Tax id 12-3456789" in client.get("/events").text


def test_security_headers(client):
    response = client.get("/auth/login")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_error_pages_show_no_stack_trace(app, client, monkeypatch):
    def boom():
        raise RuntimeError("secret internals")

    boom.access = "public"
    monkeypatch.setitem(app.view_functions, "main.health", boom)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "Something went wrong" in response.text
    assert "Traceback" not in response.text and "secret internals" not in response.text
    assert client.get("/no-such-page").status_code == 404
    assert "Not found" in client.get("/no-such-page").text


@pytest.mark.parametrize(
    "env",
    [{"DEV_CHECKOUT": "1"}, {"STRIPE_WEBHOOK_SECRET": DEV_WEBHOOK_SECRET}],
)
def test_production_refuses_the_development_test_checkout(monkeypatch, env):
    with pytest.raises(RuntimeError, match="development test checkout"):
        create_app(production(monkeypatch, **{**SECRETS, **env}))


def test_production_refuses_a_config_that_turns_the_test_checkout_on(monkeypatch):
    class Config(production(monkeypatch, **SECRETS)):
        DEV_CHECKOUT = True

    with pytest.raises(RuntimeError, match="development test checkout"):
        create_app(Config)
