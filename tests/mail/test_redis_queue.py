"""Where REDIS_URL is set, jobs go through Redis and rate limits are kept there."""

import pytest
import redis

from config import TestingConfig
from crm import create_app
from crm.extensions import db as _db
from crm.mail import services
from crm.mail.models import MailStatus, OutboundEmail
from tests.conftest import unavailable

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_app(app):
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        unavailable(f"Redis is not reachable at {REDIS_URL}: {exc}")

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        MAIL_SERVER = app.config["MAIL_SERVER"]
        MAIL_PORT = app.config["MAIL_PORT"]
        REDIS_URL = REDIS_URL
        JOBS_IMMEDIATE = False

    redis_app = create_app(Config)
    huey = redis_app.extensions["huey"]
    huey.flush()  # database 15 is the tests' own
    yield redis_app
    huey.flush()
    with redis_app.app_context():
        _db.engine.dispose()


def test_mail_is_queued_in_redis_and_sent_by_the_worker(redis_app, db, mail):
    huey = redis_app.extensions["huey"]
    assert type(huey).__name__ == "RedisHuey"
    with redis_app.app_context():
        message = services.queue_email(
            to="volunteer@example.org", template="auth/email/reset_password", subject="Via Redis",
            user={"name": "Val"}, url="http://localhost/r", hours=1,
        )  # fmt: skip
        _db.session.commit()
        assert mail.messages == []
        assert huey.pending_count() == 1
        huey.execute(huey.dequeue())
        assert _db.session.get(OutboundEmail, message.id).status == MailStatus.SENT
    assert mail.to("volunteer@example.org")[0]["Subject"] == "Via Redis"
