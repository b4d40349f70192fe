"""Composing, checking, previewing, testing, sending, scheduling and cancelling a mailing
through its pages; the errors come before anything is sent."""

from datetime import timedelta

from sqlalchemy import select, update

from crm.audit.models import AuditEvent
from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.outreach import mailings, preparing
from crm.outreach.models import Mailing, MailingRecipient, MailingStatus
from tests.outreach.test_sending import _tag_condition, _tagged


def _compose(segment, campaign, **fields) -> dict:
    return {"audience": "segment", "segment_id": str(segment.id), "topic": "appeals",
            "subject": "Spring appeal", "from_name": "Protect Our Children",
            "campaign_id": str(campaign.id), "source_code": "spring-2026-email",
            "body": "Dear {{ first_name | friend }},\n\n[Give now](/give/spring)", "event_audience":
            "confirmed", **fields}  # fmt: skip


def test_composing_checks_merge_fields_and_the_source_code(signed_in, make_segment, make_campaign,
                                                           email_settings):  # fmt: skip
    segment, campaign = make_segment({"kind": "city", "value": "Springfield"}), make_campaign()
    client, _ = signed_in("fundraiser")
    page = client.get(f"/outreach/mailings/new?segment={segment.id}")
    assert page.status_code == 200 and f'<option selected value="{segment.id}">' in page.text
    broken = client.form("/outreach/mailings/new", _compose(
        segment, campaign, body="Dear {{ frist_name }},"))  # fmt: skip
    assert broken.status_code == 422
    assert "there is no merge field “frist_name”" in broken.text and "line 1" in broken.text
    unclosed = client.form(
        "/outreach/mailings/new", _compose(segment, campaign, body="Hi {{ first_name")
    )
    assert "a merge field is not written right" in unclosed.text
    in_link = client.form("/outreach/mailings/new", _compose(
        segment, campaign, body="[me](https://example.org/?n={{ email }})"))  # fmt: skip
    assert "cannot be part of a link" in in_link.text
    bad_code = client.form(
        "/outreach/mailings/new", _compose(segment, campaign, source_code="Spring Letter!")
    )
    assert "lower-case letters, digits and hyphens" in bad_code.text
    no_campaign = client.form("/outreach/mailings/new", _compose(segment, campaign,
                                                                  campaign_id=""))  # fmt: skip
    assert "Choose the campaign" in no_campaign.text
    assert _db.session.scalars(select(Mailing)).all() == []
    saved = client.form("/outreach/mailings/new", _compose(segment, campaign))
    assert saved.status_code == 302
    mailing = _db.session.scalars(select(Mailing)).one()
    from crm.donations.models import Appeal

    appeal = _db.session.scalar(select(Appeal).where(Appeal.code == "spring-2026-email"))
    assert appeal.campaign_id == campaign.id  # the gifts it brings are named on the dashboard
    again = client.form("/outreach/mailings/new", _compose(segment, campaign))
    assert "Another mailing uses this source code" in again.text
    assert mailing.status == MailingStatus.DRAFT


def test_clear_errors_before_anything_is_sent(signed_in, make_contact, make_segment, make_mailing,
                                              mail):  # fmt: skip
    client, user = signed_in("fundraiser")
    empty = make_mailing(make_segment({"kind": "city", "value": "Nowhere"}), user=user)
    page = client.get(f"/outreach/mailings/{empty.id}")
    assert "Nobody would receive it" in page.text and "Send now" not in page.text
    response = client.form(f"/outreach/mailings/{empty.id}/send", follow_redirects=True)
    assert "Nobody would receive it" in response.text
    _tagged(make_contact, email="ada@example.org", email_opt_in=True)
    ready = make_mailing(make_segment(_tag_condition()), user=user)
    preparing.settings().postal_address = None
    _db.session.commit()
    response = client.form(f"/outreach/mailings/{ready.id}/send", follow_redirects=True)
    assert "postal address is missing" in response.text
    _db.session.execute(update(Mailing).values(body="Hello {{ nobody }}"))
    _db.session.commit()
    page = client.get(f"/outreach/mailings/{ready.id}")
    assert "there is no merge field “nobody”" in page.text
    assert _db.session.scalars(select(MailingRecipient)).all() == [] and mail.messages == []
    assert {m.status for m in _db.session.scalars(select(Mailing))} == {MailingStatus.DRAFT}


def test_the_page_shows_who_is_left_out_then_sends_and_audits(
    signed_in, make_contact, make_segment, make_mailing, mail
):
    _tagged(make_contact, email="ada@example.org", email_opt_in=True)
    _tagged(make_contact, email="bob@example.org", email_opt_in=True, do_not_contact=True)
    _tagged(make_contact, email=None)
    client, user = signed_in("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    page = client.get(f"/outreach/mailings/{mailing.id}")
    assert "<strong>1</strong> message would go now" in page.text
    assert 'Marked do not contact</td><td class="text-end">1' in page.text
    assert 'No email address</td><td class="text-end">1' in page.text
    response = client.form(f"/outreach/mailings/{mailing.id}/send")
    assert response.status_code == 302
    assert [m["To"] for m in mail.messages] == ["ada@example.org"]
    db_mailing = _db.session.get(Mailing, mailing.id)
    assert db_mailing.status == MailingStatus.SENT and db_mailing.sent_by_id == user.id
    audit = _db.session.scalars(select(AuditEvent).where(AuditEvent.action == "send")).one()
    assert audit.actor_id == user.id and audit.changes["recipients"] == 1
    assert audit.summary == f"Sent “{mailing.subject}” to 1 recipient"
    after = client.get(f"/outreach/mailings/{mailing.id}")
    assert "What it did" in after.text and "Delivered</dt><dd>1" in after.text
    assert client.form(f"/outreach/mailings/{mailing.id}/send").status_code == 302
    assert len(mail.messages) == 1  # a second click sends nothing


def test_preview_as_a_contact_and_a_test_to_oneself(signed_in, make_contact, make_segment,
                                                    make_mailing, mail):  # fmt: skip
    _tagged(make_contact, first_name="Ada", email="ada@example.org", email_opt_in=True)
    bob = _tagged(make_contact, first_name="Bob", email="bob@example.org", email_opt_in=True)
    outsider = make_contact(first_name="Zed")
    client, user = signed_in("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    page = client.get(f"/outreach/mailings/{mailing.id}/preview?contact={bob.id}")
    assert page.status_code == 200 and "Dear Bob," in page.text
    frame = client.get(f"/outreach/mailings/{mailing.id}/preview.html?contact={bob.id}")
    assert "Dear Bob," in frame.text
    policy = frame.headers["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in policy and "frame-ancestors 'self'" in policy
    assert "script-src" not in policy  # default-src 'none': no script at all
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    other = client.get(f"/outreach/mailings/{mailing.id}/preview?contact={outsider.id}")
    assert "Dear Zed" not in other.text  # not in the audience: the first of it instead
    client.form(f"/outreach/mailings/{mailing.id}/test", {"contact": str(bob.id)})
    (test,) = mail.to(user.email)
    assert test["Subject"] == f"[Test] {mailing.subject}"
    assert "Dear Bob," in test.get_body(("plain",)).get_content()
    assert _db.session.get(Mailing, mailing.id).status == MailingStatus.DRAFT


def test_schedule_cancel_and_the_scheduled_start(signed_in, make_contact, make_segment,
                                                 make_mailing, mail):  # fmt: skip
    _tagged(make_contact, email="ada@example.org", email_opt_in=True)
    client, user = signed_in("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    past = client.form(f"/outreach/mailings/{mailing.id}/schedule",
                       {"send_at": "2020-01-01T09:00"}, follow_redirects=True)  # fmt: skip
    assert "Choose a moment in the future" in past.text
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.form(f"/outreach/mailings/{mailing.id}/schedule", {"send_at": when})
    assert _db.session.get(Mailing, mailing.id).status == MailingStatus.SCHEDULED
    client.form(f"/outreach/mailings/{mailing.id}/cancel")
    assert _db.session.get(Mailing, mailing.id).status == MailingStatus.CANCELLED

    later = make_mailing(make_segment(_tag_condition()), user=user)
    client.form(f"/outreach/mailings/{later.id}/schedule", {"send_at": when})
    assert mailings.start_due() == []  # not yet
    _db.session.execute(update(Mailing).where(Mailing.id == later.id)
                        .values(send_at=utcnow() - timedelta(minutes=1)))  # fmt: skip
    from crm.jobs import enqueue

    due = mailings.start_due()
    _db.session.commit()
    assert due == [later.id]
    enqueue("send_mailing", later.id)
    assert [m["To"] for m in mail.messages] == ["ada@example.org"]
    _db.session.expire_all()
    assert _db.session.get(Mailing, later.id).status == MailingStatus.SENT


def test_a_scheduled_mailing_that_can_no_longer_go_returns_to_draft_with_the_reason(
    signed_in, make_contact, make_segment, make_mailing, mail
):
    ada = _tagged(make_contact, email="ada@example.org", email_opt_in=True)
    client, user = signed_in("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    client.form(f"/outreach/mailings/{mailing.id}/schedule", {"send_at": when})
    ada.do_not_contact = True
    _db.session.execute(update(Mailing).values(send_at=utcnow() - timedelta(minutes=1)))
    _db.session.commit()
    assert mailings.start_due() == []
    _db.session.commit()
    record = _db.session.get(Mailing, mailing.id)
    assert record.status == MailingStatus.DRAFT and "Nobody would receive it" in record.problem
    assert mail.messages == []


def test_coordinators_email_an_events_registrants_without_money(signed_in, make_event, register,
                                                                make_campaign, email_settings,
                                                                mail):  # fmt: skip
    event = make_event(title="Parent night", campaign_id=make_campaign().id)
    register(event, "ada", email="ada@example.org")
    mail.clear()
    client, user = signed_in("coordinator")
    page = client.get(f"/outreach/mailings/new?event={event.id}")
    assert f'<option selected value="{event.id}">' in page.text
    assert "last_gift" not in page.text  # money merge fields are not offered
    data = {"audience": "event", "event_id": str(event.id), "event_audience": "confirmed",
            "topic": "", "subject": "Parking has moved", "from_name": "Cory",
            "campaign_id": str(event.campaign_id), "source_code": "parent-night-parking",
            "body": "Hello {{ first_name }}, the car park is behind the gym."}  # fmt: skip
    money = client.form("/outreach/mailings/new", {**data, "body": "You gave {{ last_gift }}"})
    assert money.status_code == 422 and "is about giving" in money.text
    assert client.form("/outreach/mailings/new", data).status_code == 302
    mailing = _db.session.scalars(select(Mailing)).one()
    client.form(f"/outreach/mailings/{mailing.id}/send")
    (message,) = mail.to("ada@example.org")
    assert message["Subject"] == "Parking has moved" and message["List-Unsubscribe"] is None
    page = client.get(f"/outreach/mailings/{mailing.id}")
    assert "Gifts" not in page.text and "Registrations" in page.text


def test_email_settings_are_for_admins(signed_in):
    client, _ = signed_in("admin")
    response = client.form(
        "/outreach/settings",
        {"postal_address": "1 Main St, Springfield", "from_name": "POC", "footer": "Thanks!"},
    )
    assert response.status_code == 302
    assert preparing.settings().postal_address == "1 Main St, Springfield"
    assert preparing.settings().track_opens is False
