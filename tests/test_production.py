"""Production that scales out keeps its promises: shared limits and jobs with more than one
process, a health check the load balancer can reach over plain HTTP, and rate limits that
survive a Redis outage."""

import logging
import shutil

import pytest
import redis

from config import TestingConfig, gunicorn_workers
from crm import create_app
from crm.extensions import db as _db
from crm.extensions import limiter
from tests.conftest import CRMClient, unavailable
from tests.servers import ServerProcess, free_port
from tests.test_config import SECRETS, production


@pytest.fixture
def one_process(monkeypatch):
    for name in ("WEB_CONCURRENCY", "GUNICORN_CMD_ARGS", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("sys.argv", ["pytest"])


def production_config(monkeypatch, redis_url=None, instances=1, **env):
    config = production(monkeypatch, **SECRETS, **env)

    class Config(config):
        REDIS_URL = redis_url
        RATELIMIT_STORAGE_URI = redis_url or "memory://"
        CRM_INSTANCES = instances

    return Config


@pytest.mark.parametrize(
    ("argv", "env", "workers"),
    [
        (["gunicorn", "-w", "4", "crm:create_app()"], {}, 4),
        (["/srv/.venv/bin/gunicorn", "--workers=3", "crm:create_app()"], {}, 3),
        (["gunicorn", "crm:create_app()"], {"GUNICORN_CMD_ARGS": "--bind :80 -w 2"}, 2),
        (["gunicorn", "crm:create_app()"], {"WEB_CONCURRENCY": "5"}, 5),
        (["flask", "crm", "worker", "-w", "9"], {}, 1),  # not gunicorn: its own options
        (["gunicorn", "crm:create_app()"], {}, 1),
    ],
)
def test_gunicorn_worker_count(monkeypatch, one_process, argv, env, workers):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert gunicorn_workers(argv, env.get("GUNICORN_CMD_ARGS", "")) == workers


@pytest.mark.parametrize(
    ("argv", "env", "instances"),
    [
        (["gunicorn", "-w", "4", "crm:create_app()"], {}, 1),
        (["gunicorn", "crm:create_app()"], {"WEB_CONCURRENCY": "2"}, 1),
        (["gunicorn", "crm:create_app()"], {}, 2),
    ],
)
def test_more_than_one_process_without_redis_refuses_to_start(
    monkeypatch, one_process, argv, env, instances
):
    monkeypatch.setattr("sys.argv", argv)
    config = production_config(monkeypatch, instances=instances, **env)
    with pytest.raises(RuntimeError, match="needs REDIS_URL.*rate limits and jobs"):
        create_app(config)


def test_more_than_one_process_with_redis_starts(monkeypatch, one_process):
    monkeypatch.setattr("sys.argv", ["gunicorn", "-w", "4", "crm:create_app()"])
    app = create_app(production_config(monkeypatch, redis_url="redis://127.0.0.1:6379/15"))
    assert type(app.extensions["huey"]).__name__ == "RedisHuey"


def test_in_memory_limits_are_refused_even_beside_redis(monkeypatch, one_process):
    monkeypatch.setattr("sys.argv", ["gunicorn", "-w", "2", "crm:create_app()"])
    config = production_config(monkeypatch, redis_url="redis://127.0.0.1:6379/15")
    config.RATELIMIT_STORAGE_URI = "memory://"
    with pytest.raises(RuntimeError, match="in-memory RATELIMIT_STORAGE_URI"):
        create_app(config)


def test_a_single_process_needs_no_redis(monkeypatch, one_process):
    assert create_app(production_config(monkeypatch)).config["REDIS_URL"] is None


def test_the_health_check_answers_over_plain_http_with_force_https(monkeypatch, one_process):
    app = create_app(production_config(monkeypatch))
    assert app.config["FORCE_HTTPS"]
    client = app.test_client()
    health = client.get("/healthz", base_url="http://crm.example.org")
    assert health.status_code == 200 and health.json == {"status": "ok"}
    page = client.get("/auth/login", base_url="http://crm.example.org")
    assert page.status_code in (301, 302)
    assert page.location.startswith("https://crm.example.org/")


# --- Redis goes away: the rate limiter falls back to memory ------------------------------


@pytest.fixture
def redis_server(tmp_path):
    """A Redis of this test's own (stopped by its PID), so that the test can stop it."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(tmp_path)]  # fmt: skip
    server = ServerProcess(args, port, log=tmp_path / "redis.log")
    yield server, f"redis://127.0.0.1:{port}/0"
    server.stop()


@pytest.fixture
def limited_app(app, db, redis_server):
    server, url = redis_server

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER, MAIL_PORT = app.config["MAIL_SERVER"], app.config["MAIL_PORT"]
        RATELIMIT_STORAGE_URI = url
        SIGN_IN_RATE_LIMIT = "5 per minute"
        PUBLIC_FORM_RATE_LIMIT = "5 per minute"
        VOLUNTEER_APPLY_RATE_LIMIT = "5 per minute"

    limited = create_app(Config)  # the one limiter now counts in this Redis
    limited.test_client_class = CRMClient
    yield limited, server
    with limited.app_context():
        _db.engine.dispose()
    limiter.init_app(app)  # back to the tests' own storage
    limiter._storage_dead = False


def rate_limited_routes(app) -> list:
    """Every route with a limit of its own, from the limiter's registry (its keys are the
    view's module and qualified name, and the name again)."""
    limited = {key.rsplit(".", 1)[0] for key in limiter.limit_manager._decorated_limits}

    def name(rule) -> str:
        view = app.view_functions[rule.endpoint]
        return f"{view.__module__}.{view.__qualname__}"

    rules = [r for r in app.url_map.iter_rules() if "POST" in r.methods and name(r) in limited]
    return sorted(rules, key=lambda rule: rule.rule)


def test_a_redis_outage_degrades_limits_and_never_breaks_a_form(limited_app, db, make_user, caplog):
    app, server = limited_app
    urls = _urls(app, db, make_user)
    assert len(urls) >= 7
    client = app.test_client()
    for url in urls:  # Redis up
        assert client.form(url).status_code < 500, url
    assert redis.Redis.from_url(app.config["RATELIMIT_STORAGE_URI"]).dbsize() > 0
    server.stop()
    caplog.set_level(logging.WARNING)
    for url in urls:  # Redis down: the same forms, no error
        response = client.form(url)
        assert response.status_code < 500, f"{url}: {response.status_code}"
    assert "falling back to in-memory storage" in caplog.text
    # the limits still hold, counted in this process's memory
    login = [client.form("/auth/login", {"email": "x@example.org", "password": "p"})
             for _ in range(6)]  # fmt: skip
    assert [r.status_code for r in login][-1] == 429
    assert all(r.status_code < 500 for r in login)


def _urls(app, db, make_user) -> list[str]:
    from crm.donations.models import Campaign, CampaignStatus
    from crm.events import services as events
    from crm.modelbase import utcnow

    giving = Campaign(name="General", slug="general", goal_cents=100_000, currency="USD",
                      status=CampaignStatus.ACTIVE)  # fmt: skip
    db.session.add(giving)
    kind = events.create_event_type("Parent night", None, 60)
    from datetime import timedelta

    start = utcnow() + timedelta(days=5)
    event = events.create_event({"title": "Parent night", "type_id": kind.id,
                                 "starts_at": start, "ends_at": start + timedelta(hours=1),
                                 "capacity": 10, "is_public": True})  # fmt: skip
    _, token = events.register(event.id, events.Registrant("Ada", "L", "ada@example.org"))
    db.session.commit()
    # links gone wrong (an unsubscribe token, a gift's id) are refused, never a server error
    values = {"slug": "general", "event_id": event.id, "cancel_token": token,
              "token": "not-a-token", "public_id": "not-a-gift"}  # fmt: skip
    urls = []
    for rule in rate_limited_routes(app):
        url = rule.rule
        for name in rule.arguments:
            url = url.replace(f"<int:{name}>", str(values[name])).replace(
                f"<{name}>", str(values[name])
            )
        urls.append(url)
    return urls
