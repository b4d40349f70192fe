"""Open tracking only when an admin turns it on; stopping a mailing part-way; a shift's
volunteers as the audience."""

from datetime import timedelta

from sqlalchemy import select

from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.outreach import mailings, preparing, results, sending, tokens
from crm.outreach.models import (
    Audience,
    Mailing,
    MailingRecipient,
    MailingStatus,
    RecipientStatus,
)
from tests.outreach.test_sending import _tag_condition, _tagged, send


def test_opens_are_counted_only_when_an_admin_turned_tracking_on(
    app, db, mail, make_contact, make_segment, make_mailing, make_user
):
    _tagged(make_contact, email="ada@example.org", email_opt_in=True)
    user = make_user("fundraiser")
    send(make_mailing(make_segment(_tag_condition()), user=user), user)
    assert "/email/o/" not in mail.to("ada@example.org")[0].get_body(("html",)).get_content()

    preparing.settings().track_opens = True
    _db.session.commit()
    mail.clear()
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    send(mailing, user)
    html = mail.to("ada@example.org")[0].get_body(("html",)).get_content()
    assert '<img src="http://localhost/email/o/' in html
    row = _db.session.scalar(
        select(MailingRecipient).where(MailingRecipient.mailing_id == mailing.id)
    )
    pixel = app.test_client().get(f"/email/o/{tokens.sign('open', row.id)}.gif")
    assert pixel.status_code == 200 and pixel.mimetype == "image/gif"
    assert results.figures([mailing.id])[mailing.id].opened == 1
    preparing.settings().track_opens = False  # turned off again: images load, nothing counts
    _db.session.commit()
    app.test_client().get(f"/email/o/{tokens.sign('open', row.id)}.gif")
    assert results.figures([mailing.id])[mailing.id].opened == 1


def test_stopping_a_mailing_part_way_sends_nobody_else(
    app, db, mail, monkeypatch, make_contact, make_segment, make_mailing, make_user
):
    for n in range(3):
        _tagged(make_contact, email=f"p{n}@example.org", email_opt_in=True)
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    monkeypatch.setitem(app.config, "MAILING_BATCH_SIZE", 1)
    mailings.send_now(mailing, user)
    _db.session.commit()
    sender = sending.Sender  # stop after the first batch, as a person pressing Stop would

    class StopsAfterOne(sender):
        def batch(self, connection):
            done = super().batch(connection)
            if done:
                mailings.cancel(_db.session.get(Mailing, self.mailing_id), user)
                _db.session.commit()
            return done

    monkeypatch.setattr(sending, "Sender", StopsAfterOne)
    sending.run(mailing.id)
    assert len(mail.messages) == 1
    statuses = sorted(r.status for r in _db.session.scalars(select(MailingRecipient)))
    assert statuses == [RecipientStatus.CANCELLED, RecipientStatus.CANCELLED, RecipientStatus.SENT]
    _db.session.expire_all()
    assert _db.session.get(Mailing, mailing.id).status == MailingStatus.CANCELLED
    assert sending.run(mailing.id) == "not mine"  # a cancelled mailing is never resumed
    assert results.figures([mailing.id])[mailing.id].cancelled == 2


def test_a_shifts_confirmed_volunteers(db, mail, make_contact, make_user, make_mailing):
    from crm.volunteers.models import Shift, Signup, SignupStatus, Volunteer, VolunteerRole

    start = utcnow() + timedelta(days=3)
    shift = Shift(title="Welcome desk", role=VolunteerRole.EVENT_HELPER, starts_at=start,
                  ends_at=start + timedelta(hours=2), capacity=2)  # fmt: skip
    _db.session.add(shift)
    for name, status in (("ann", SignupStatus.CONFIRMED), ("ben", SignupStatus.WAITLISTED)):
        person = make_contact(first_name=name.capitalize(), email=f"{name}@example.org")
        volunteer = Volunteer(contact_id=person.id, roles=["event_helper"], emergency_name="E",
                              emergency_phone="+12025550100")  # fmt: skip
        _db.session.add(volunteer)
        _db.session.flush()
        _db.session.add(Signup(shift_id=shift.id, volunteer_id=volunteer.id, status=status))
    _db.session.commit()
    user = make_user("coordinator")
    mailing = make_mailing(user=user, audience=Audience.SHIFT, shift_id=shift.id, topic=None,
                           body="See you at the desk, {{ first_name }}.")  # fmt: skip
    send(mailing, user)
    assert [m["To"] for m in mail.messages] == ["ann@example.org"]
    text = mail.messages[0].get_body(("plain",)).get_content()
    assert "See you at the desk, Ann." in text and "signed up to volunteer: Welcome desk" in text


def test_send_mailings_starts_what_is_due_without_the_worker(
    db, mail, runner, make_contact, make_segment, make_mailing, make_user
):
    _tagged(make_contact, email="ada@example.org", email_opt_in=True)
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    mailings.schedule(mailing, utcnow() + timedelta(hours=1), user)
    _db.session.commit()
    assert "0 mailing(s) needed sending" in runner.invoke(args=["crm", "send-mailings"]).output
    mailing.send_at = utcnow() - timedelta(minutes=1)
    _db.session.commit()
    result = runner.invoke(args=["crm", "send-mailings"])
    assert f"Mailing {mailing.id}: sent." in result.output, result.output
    assert [m["To"] for m in mail.messages] == ["ada@example.org"]


def test_the_throttle_spaces_messages_and_a_slow_rate_keeps_batches_within_the_lease():
    moments, now = [], [0.0]

    def sleep(seconds):
        now[0] += seconds

    throttle = sending.Throttle(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        throttle.wait()
        moments.append(now[0])
    assert moments == [0.0, 0.25, 0.5, 0.75, 1.0]
    sending.Throttle(0, clock=lambda: now[0], sleep=sleep).wait()
    assert now[0] == 1.0  # no limit: no pause
    config = {"MAILING_BATCH_SIZE": 200, "MAILING_LEASE_SECONDS": 120}
    assert sending.batch_size({**config, "MAILING_RATE": 0}) == 200
    assert sending.batch_size({**config, "MAILING_RATE": 50}) == 200
    assert sending.batch_size({**config, "MAILING_RATE": 1}) == 30  # 30 s of a 120 s lease
    assert sending.batch_size({**config, "MAILING_RATE": 1, "MAILING_LEASE_SECONDS": 2}) == 1
