"""What the receiving server says: a permanent refusal (5xx) bounces and suppresses the
address; a temporary one (4xx) is tried again later, with a growing pause, until the
attempts run out. Against a real SMTP server that refuses on cue."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.outreach import audience, results, sending
from crm.outreach.models import (
    EventKind,
    Mailing,
    MailingEvent,
    MailingRecipient,
    MailingStatus,
    RecipientStatus,
    Suppression,
    SuppressionReason,
)
from tests.outreach.sinks import Sink
from tests.outreach.test_sending import _tag_condition, _tagged, send


@pytest.fixture
def sink(app, tmp_path, monkeypatch):
    server = Sink(tmp_path)
    monkeypatch.setitem(app.config, "MAIL_PORT", server.port)
    yield server
    server.stop()


def _rows() -> dict[str, MailingRecipient]:
    return {r.email: r for r in _db.session.scalars(select(MailingRecipient))}


def _due_now():
    _db.session.execute(update(MailingRecipient).values(next_attempt_at=utcnow()))
    _db.session.commit()


def test_permanent_refusal_bounces_and_suppresses_temporary_one_is_retried(
    db, sink, make_contact, make_segment, make_mailing, make_user
):
    for local in ("ok", "gone", "busy"):
        _tagged(make_contact, email=f"{local}@example.net", email_opt_in=True)
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    assert send(mailing, user) == "waiting for retries"
    rows = _rows()
    assert rows["ok@example.net"].status == RecipientStatus.SENT
    gone = rows["gone@example.net"]
    assert gone.status == RecipientStatus.BOUNCED and "550" in gone.last_error
    busy = rows["busy@example.net"]
    assert busy.status == RecipientStatus.PENDING and busy.attempts == 1
    assert "451" in busy.last_error and busy.next_attempt_at > utcnow() + timedelta(seconds=30)
    suppression = _db.session.get(Suppression, "gone@example.net")
    assert suppression.reason == SuppressionReason.BOUNCED
    (event,) = _db.session.scalars(select(MailingEvent)).all()
    assert (event.kind, event.recipient_id) == (EventKind.BOUNCED, gone.id)
    assert db.session.get(Mailing, mailing.id).status == MailingStatus.SENDING

    assert sending.run(mailing.id) == "waiting for retries"  # not due yet: nothing goes
    assert sink.accepted() == ["ok@example.net"]
    _due_now()
    assert sending.run(mailing.id) == "sent"
    assert sink.accepted() == ["ok@example.net", "busy@example.net"]
    figures = results.figures([mailing.id])[mailing.id]
    assert (figures.recipients, figures.delivered, figures.bounced) == (3, 2, 1)
    db.session.expire_all()
    assert db.session.get(Mailing, mailing.id).status == MailingStatus.SENT

    # the bounced address is left out of the next mailing, whoever holds it
    again = make_mailing(make_segment(_tag_condition()), user=user)
    count, left_out = audience.summary(again, user)
    assert count == 2 and left_out == {"suppressed": 1}


def test_temporary_refusals_give_up_after_the_configured_attempts(
    app, db, sink, monkeypatch, make_contact, make_segment, make_mailing, make_user
):
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 3)
    _tagged(make_contact, email="down@example.net", email_opt_in=True)
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    send(mailing, user)
    for _ in range(2):
        _due_now()
        sending.run(mailing.id)
    (row,) = _rows().values()
    assert row.status == RecipientStatus.FAILED and row.attempts == 3
    assert _db.session.get(Suppression, "down@example.net") is None  # not their fault
    assert db.session.get(Mailing, mailing.id).status == MailingStatus.SENT
    assert results.figures([mailing.id])[mailing.id].failed == 1


def test_an_unreachable_server_pauses_the_mailing_without_spending_attempts(
    app, db, mail, monkeypatch, make_contact, make_segment, make_mailing, make_user
):
    from tests.servers import free_port

    _tagged(make_contact, email="ada@example.net", email_opt_in=True)
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    real = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    assert send(mailing, user) == "paused"
    (row,) = _rows().values()
    assert row.status == RecipientStatus.PENDING and row.attempts == 0
    db.session.refresh(mailing)
    assert "could not be reached" in mailing.problem and mailing.sender is None
    monkeypatch.setitem(app.config, "MAIL_PORT", real)
    assert sending.run(mailing.id) == "sent"
    assert [m["To"] for m in mail.messages] == ["ada@example.net"]
