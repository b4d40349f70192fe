"""The outbox: mail goes out through a real SMTP conversation, after commit, with retries."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from crm.extensions import db as _db
from crm.mail import services
from crm.mail.models import MailStatus, OutboundEmail
from crm.modelbase import utcnow
from tests.servers import free_port

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def queue(to="donor@example.org", subject="Hello"):
    return services.queue_email(
        to=to, template="auth/email/reset_password", subject=subject,
        user={"name": "Dana Donor"}, url="http://localhost/x", hours=1,
    )  # fmt: skip


def test_a_committed_message_is_delivered_by_smtp(db, mail):
    message = queue(subject="Your receipt")
    assert mail.messages == []  # nothing leaves before the commit
    db.session.commit()
    (received,) = mail.to("donor@example.org")
    assert received["Subject"] == "Your receipt"
    assert received["From"] == "crm@example.org"
    assert "Dana Donor" in received.get_body(("plain",)).get_content()
    assert '<a href="http://localhost/x"' in received.get_body(("html",)).get_content()
    db.session.refresh(message)
    assert message.status == MailStatus.SENT and message.attempts == 1 and message.sent_at


def test_a_rolled_back_message_is_never_sent(db, mail):
    queue()
    db.session.rollback()
    db.session.commit()
    assert mail.messages == []
    assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_a_failed_send_is_retried_later(app, db, mail, monkeypatch):
    real_port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    message = queue()
    db.session.commit()
    db.session.refresh(message)
    assert message.status == MailStatus.QUEUED
    assert message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at > utcnow()
    assert services.deliver_due() == 0  # not due yet
    monkeypatch.setitem(app.config, "MAIL_PORT", real_port)
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.deliver_due() == 1
    db.session.refresh(message)
    assert message.status == MailStatus.SENT and message.attempts == 2
    assert len(mail.to("donor@example.org")) == 1
    assert services.deliver_due() == 0  # and never twice


def test_it_gives_up_after_the_configured_attempts(app, db, mail, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    message = queue()
    db.session.commit()
    message.next_attempt_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    services.deliver_due()
    db.session.refresh(message)
    assert message.status == MailStatus.FAILED and message.attempts == 2


def test_delivery_claims_a_message_once(db, mail):
    message = queue()
    db.session.commit()
    assert services.deliver(message.id) is None  # already sent by the commit
    assert len(mail.messages) == 1


def test_the_request_does_not_wait_for_the_worker(app, client, make_user, mail, db):
    huey = app.extensions["huey"]
    huey.immediate = False
    try:
        huey.flush()
        user = make_user()
        assert client.form("/auth/forgot", {"email": user.email}).status_code == 302
        assert mail.messages == []  # the request returned before any SMTP
        assert huey.pending_count() == 1
        task = huey.dequeue()
        huey.execute(task)  # what the worker does
        assert len(mail.to(user.email)) == 1
    finally:
        huey.flush()
        huey.immediate = True


def test_file_backend_writes_eml_under_instance(app, db, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "file")
    monkeypatch.setitem(app.config, "MAIL_FILE_DIR", str(tmp_path))
    message = queue(subject="Written to disk")
    db.session.commit()
    written = (tmp_path / f"{message.id:06d}.eml").read_text()
    assert "Subject: Written to disk" in written


def test_admin_can_see_and_retry_a_failed_message(client, make_user, db, mail):
    message = queue(subject="Failed one")
    message.status = MailStatus.FAILED
    _db.session.commit()
    mail.clear()
    client.login(make_user())
    page = client.get(f"/admin/outbox/{message.id}")
    assert "Failed one" in page.text and "Try again" in page.text
    assert "Failed one" in client.get("/admin/outbox/?status=failed").text
    client.form(f"/admin/outbox/{message.id}/retry")
    db.session.refresh(message)
    assert message.status == MailStatus.SENT
    assert len(mail.to("donor@example.org")) == 1


def test_the_outbox_hides_links_that_act_as_keys(client, make_user, mail, db):
    admin = make_user(name="Ada Admin")
    target = make_user(email="victim@example.org")
    client.login(admin)
    client.form("/auth/forgot", {"email": target.email})
    (sent,) = mail.to(target.email)
    link = re.search(r"/auth/reset/(\S+)", sent.get_body(("plain",)).get_content()).group(1)
    message = db.session.scalars(select(OutboundEmail)).one()
    page = client.get(f"/admin/outbox/{message.id}")
    assert "/auth/reset/[removed]" in page.text
    assert link not in page.text
