"""A mailing goes out through a real SMTP conversation: who gets it, who is left out and why,
its headers (RFC 8058 one-click unsubscribe, a bounce address per message), its parts."""

import re

from sqlalchemy import select

from crm.contacts.models import Tag
from crm.extensions import db as _db
from crm.outreach import audience, mailings, results, sending
from crm.outreach.models import MailingRecipient, MailingStatus, RecipientStatus
from tests.outreach.conftest import ADDRESS


def _tagged(make_contact, tag="parents", **fields):
    return make_contact(tags=[tag], **fields)


def _tag_condition(name="parents") -> dict:
    tag = _db.session.scalar(select(Tag).where(Tag.name == name))
    return {"kind": "tag", "value": str(tag.id)}


def send(mailing, user):
    mailings.send_now(mailing, user)
    _db.session.commit()
    return sending.run(mailing.id)


def test_a_mailing_reaches_its_segment_once_per_address_and_says_who_is_left_out(
    db, mail, make_contact, make_segment, make_mailing, make_user
):
    _tagged(make_contact, first_name="Ada", email="ada@example.org", email_opt_in=True)
    _tagged(make_contact, first_name="Ada2", email="ADA@example.org", email_opt_in=True)
    _tagged(make_contact, email="bob@example.org", email_opt_in=False)
    _tagged(make_contact, email=None, email_opt_in=True)
    _tagged(make_contact, email="dnc@example.org", email_opt_in=True, do_not_contact=True)
    make_contact(email="other@example.org", email_opt_in=True)  # not in the segment
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)

    count, left_out = audience.summary(mailing, user)
    assert count == 1
    assert left_out == {"no_email": 1, "do_not_contact": 1, "not_subscribed": 1, "duplicate": 1}

    assert send(mailing, user) == "sent"
    assert [m["To"] for m in mail.messages] == ["ada@example.org"]
    db.session.refresh(mailing)
    assert mailing.status == MailingStatus.SENT and mailing.recipients_count == 1
    assert mailing.left_out == left_out
    figures = results.figures([mailing.id])[mailing.id]
    assert (figures.recipients, figures.delivered, figures.bounced) == (1, 1, 0)


def test_the_message_carries_one_click_unsubscribe_and_its_own_bounce_address(
    db, mail, make_contact, make_segment, make_mailing, make_user
):
    ada = _tagged(make_contact, first_name="Ada", email="ada@example.org", email_opt_in=True)
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    send(mailing, user)
    (message,) = mail.to("ada@example.org")
    recipient = db.session.scalar(select(MailingRecipient))
    assert recipient.contact_id == ada.id and recipient.status == RecipientStatus.SENT

    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    assert https.startswith("http://localhost/email/unsubscribe/")
    assert mailto.startswith("mailto:unsubscribe+") and mailto.endswith("?subject=unsubscribe")
    assert message["List-Id"] == "Appeals for support <appeals.example.org>"
    assert message["Message-ID"] == f"<m{mailing.id}.r{recipient.id}@example.org>"
    envelope_from = message["X-MailFrom"]
    assert re.fullmatch(rf"bounces\+{recipient.id}-[0-9a-f]{{16}}@example\.org", envelope_from)
    assert message["From"] == "Protect Our Children <crm@example.org>"

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Dear Ada," in text and "Dear Ada," in html
    for part in (text, html):
        assert ADDRESS in part.replace("\n", " ")
        assert "/email/preferences/" in part
        assert "http://localhost/email/c/" in part  # the giving link, tracked
    assert "/give/spring" not in html  # only through the tracked redirect


def test_a_message_about_a_registration_has_no_list_headers(
    db, mail, make_event, register, make_mailing, make_user
):
    event = make_event(title="Parent night")
    register(event, "ada", email="ada@example.org")
    register(event, "bob", email="bob@example.org")
    mail.clear()  # their confirmations
    user = make_user("coordinator")
    from crm.outreach.models import Audience

    mailing = make_mailing(user=user, audience=Audience.EVENT, event_id=event.id, topic=None,
                           event_audience="confirmed", body="The room has changed.")  # fmt: skip
    send(mailing, user)
    assert sorted(m["To"] for m in mail.messages) == ["ada@example.org", "bob@example.org"]
    message = mail.to("ada@example.org")[0]
    assert message["List-Unsubscribe"] is None and message["List-Id"] is None
    text = message.get_body(("plain",)).get_content()
    assert "because you registered for Parent night" in text
