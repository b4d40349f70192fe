"""Attachments on outbox messages: stored with the message, sent as real MIME parts."""

from crm.mail import services
from crm.mail.models import OutboundEmail
from crm.mail.services import Attachment
from tests.mail.test_outbox import queue

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//\r\nEND:VCALENDAR\r\n"


def test_text_and_binary_attachments_travel_through_smtp(db, mail):
    message = services.queue_email(
        to="guest@example.org", template="auth/email/reset_password", subject="With files",
        user={"name": "Gus Guest"}, url="http://localhost/x", hours=1,
        attachments=[
            Attachment("event.ics", "text/calendar; method=PUBLISH", ICS),
            Attachment("data.bin", "application/octet-stream", b"\x00\x01\xff"),
        ],
    )  # fmt: skip
    db.session.commit()
    (received,) = mail.to("guest@example.org")
    assert "Gus Guest" in received.get_body(("plain",)).get_content()
    parts = {p.get_filename(): p for p in received.iter_attachments()}
    assert parts["event.ics"].get_content_type() == "text/calendar"
    assert parts["event.ics"].get_param("method") == "PUBLISH"
    assert parts["event.ics"].get_content().replace("\r\n", "\n") == ICS.replace("\r\n", "\n")
    assert parts["data.bin"].get_content() == b"\x00\x01\xff"
    assert db.session.get(OutboundEmail, message.id).attachments[0]["filename"] == "event.ics"


def test_messages_without_attachments_are_unchanged(db, mail):
    message = queue(to="plain@example.org")
    db.session.commit()
    assert message.attachments is None
    (received,) = mail.to("plain@example.org")
    assert list(received.iter_attachments()) == []
