"""Delivered mail keeps no private link in clear, and the outbox forgets old messages.

The tokens table keeps only hashes; these tests make sure the outbox does not undo that: after
a reset or an invitation is delivered, neither the database (every column of every table) nor
a backup of it holds the token."""

import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from crm.auth.roles import Role
from crm.dataio.backup import backup
from crm.extensions import db as _db
from crm.mail import retention, services
from crm.mail.models import MailStatus, OutboundEmail
from crm.modelbase import utcnow


def link_in(message, path: str) -> tuple[str, str]:
    """The full link and its token, from a message as the recipient got it."""
    body = message.get_body(("plain",)).get_content()
    match = re.search(rf"(https?://\S+{re.escape(path)}(\S+))", body)
    return match.group(1), match.group(2)


def database_text() -> str:
    """Every value of every row of every table, as text."""
    parts = []
    for table in _db.metadata.sorted_tables:
        for row in _db.session.execute(select(table)):
            parts.append(repr(tuple(row)))
    _db.session.rollback()
    return "\n".join(parts)


def backup_text(app, tmp_path) -> str:
    """A backup made by `flask crm backup`, as text (the SQLite file's bytes, or the
    PostgreSQL dump restored to SQL)."""
    path = backup(app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path))
    if path.suffix == ".sqlite3":
        return path.read_bytes().decode("latin-1")
    return subprocess.run(["pg_restore", "-f", "-", str(path)], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip


def sqlite_file_text(app) -> str:
    """The database file itself, as a copy of it would be, after a checkpoint."""
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    _db.session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    _db.session.commit()
    with open(path, "rb") as file:
        return file.read().decode("latin-1")


def test_after_a_reset_the_database_and_its_backup_hold_no_token(
    app, client, make_user, mail, db, tmp_path
):
    user = make_user(Role.FUNDRAISER, email="farah@example.org")
    client.form("/auth/forgot", {"email": user.email})
    (sent,) = mail.to(user.email)
    link, token = link_in(sent, "/auth/reset/")
    assert len(token) >= 20
    message = db.session.scalars(select(OutboundEmail)).one()
    assert message.status == MailStatus.SENT
    assert "/auth/reset/[removed]" in message.text_body and "Farah" not in token
    assert token not in database_text()
    assert token not in backup_text(app, tmp_path)
    if db.engine.dialect.name == "sqlite":
        assert token not in sqlite_file_text(app)
    # the link still works for the person who got it
    assert client.get(link.removeprefix("http://localhost")).status_code == 200


def test_an_invitation_leaves_no_token_behind(client, make_user, mail, db):
    client.login(make_user(Role.ADMIN))
    client.form("/admin/users/invite", {"name": "Cora", "email": "cora@example.org",
                                        "role": "coordinator"})  # fmt: skip
    (sent,) = mail.to("cora@example.org")
    _, token = link_in(sent, "/auth/invite/")
    assert token not in database_text()


def test_a_registrations_cancel_link_is_removed_once_delivered(client, db, mail):
    from crm.events import services as events

    event_type = events.create_event_type("Parent night", None, 60)
    start = utcnow() + timedelta(days=7)
    event = events.create_event({"title": "Parent night", "type_id": event_type.id,
                                 "starts_at": start, "ends_at": start + timedelta(hours=1),
                                 "capacity": 10, "is_public": True})  # fmt: skip
    db.session.commit()
    registrant = {"first_name": "Ada", "last_name": "L", "email": "ada@example.org", "guests": "0"}
    client.form(f"/events/{event.id}/register", registrant)
    (sent,) = mail.to("ada@example.org")
    _, token = link_in(sent, "/events/cancel/")
    assert token not in database_text()
    assert "Parent night" in db.session.scalars(select(OutboundEmail.text_body)).one()


def test_every_route_that_takes_a_token_is_recognised(app, db):
    """Links of routes added later are found the same way: by the route's token argument."""
    checked = 0
    for rule in app.url_map.iter_rules():
        secret = [a for a in rule.arguments if a.endswith("token")]
        if not secret:
            continue
        values = {a: ("Tok3n-" + a) if a in secret else "1" for a in rule.arguments}
        with app.test_request_context():
            from flask import url_for

            url = "http://localhost" + url_for(rule.endpoint, **values)
            assert set(retention.secret_values(url)) == {values[a] for a in secret}, url
            assert "Tok3n" not in retention.remove_secret_links(f"See {url} today.")
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost/events/5",
        "https://meet.example.org/room?pwd=abc",
        "http://localhost/give/spring?source=spring-appeal",
    ],
)
def test_other_links_are_kept(app, url):
    with app.test_request_context():
        assert retention.remove_secret_links(f"Go to {url}\n") == f"Go to {url}\n"


def test_html_bodies_and_query_tokens_lose_their_secrets(app):
    body = (
        '<a href="http://localhost/auth/reset/abc.DEF-123">Reset</a> '
        '<a href="http://localhost/anything?unsubscribe_token=xyz&amp;a=1">Stop</a>'
    )
    with app.test_request_context():
        cleaned = retention.remove_secret_links(body)
    assert "abc.DEF-123" not in cleaned and "xyz" not in cleaned
    assert "/auth/reset/[removed]" in cleaned


def test_old_messages_are_pruned_after_the_retention_period(app, db):
    def message(age_days: int, status: MailStatus) -> OutboundEmail:
        m = services.queue_email(to="a@example.org", template="auth/email/reset_password",
                                 subject=f"{status} {age_days}", user={"name": "A"},
                                 url="http://localhost/x", hours=1)  # fmt: skip
        m.status, m.created_at = status, utcnow() - timedelta(days=age_days)
        return m

    for age in (200, 91, 89, 1):
        for status in (MailStatus.SENT, MailStatus.FAILED, MailStatus.QUEUED):
            message(age, status)
    db.session.flush()
    db.session.info.pop(services.PENDING_KEY, None)  # not delivered by this test
    assert retention.prune(db.session, 90) == 4
    db.session.commit()
    left = db.session.scalars(select(OutboundEmail.subject)).all()
    assert "sent 200" not in left and "failed 91" not in left
    assert {"queued 200", "sent 89", "failed 1"} <= set(left)
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 8
    assert app.config["MAIL_RETENTION_DAYS"] == 90
