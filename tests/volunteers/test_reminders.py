"""The periodic run over a real SMTP conversation: shift reminders 48 hours ahead with the
.ics, expiry warnings at 60 and 30 days, forgotten check-outs; each email once."""

from datetime import timedelta

import pytest

from crm.modelbase import utcnow
from crm.volunteers import hours, reminders, services
from crm.volunteers.models import HoursStatus
from tests.volunteers.conftest import today

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def test_shift_reminder_is_sent_once_with_the_calendar_file(
    app, db, runner, make_volunteer, make_shift, mail
):
    soon = make_shift(starts_at=utcnow() + timedelta(hours=30), title="Parent night")
    later = make_shift(starts_at=utcnow() + timedelta(hours=60), title="Later")
    ann = make_volunteer("ann")
    services.sign_up(soon.id, ann)
    services.sign_up(later.id, ann)
    db.session.commit()
    mail.clear()

    result = runner.invoke(args=["crm", "volunteer-reminders"])
    assert result.exit_code == 0, result.output
    assert "1 shift reminder(s)" in result.output
    (message,) = mail.to("ann@example.org")
    assert message["Subject"] == "Reminder: Parent night"
    assert [a.get_filename() for a in message.iter_attachments()] == ["shift.ics"]
    ics = next(message.iter_attachments()).get_content()
    assert "SUMMARY:Volunteer shift: Parent night" in ics

    runner.invoke(args=["crm", "volunteer-reminders"])
    assert len(mail.to("ann@example.org")) == 1  # not again


def test_expiry_warnings_at_60_and_30_days_each_once(db, make_volunteer, give, mail):
    ann = make_volunteer("ann")
    expires = today() + timedelta(days=59)
    credential = give(ann, "safeguarding_training", expires_on=expires)
    mail.clear()
    now = utcnow()

    assert reminders.send_expiry_warnings(now) == 1
    db.session.commit()
    assert reminders.send_expiry_warnings(now) == 0  # the same day again: nothing
    db.session.commit()
    (first,) = mail.to("ann@example.org")
    assert first["Subject"] == "Your safeguarding training expires soon"
    expected = f"expires on {expires:%B} {expires.day}, {expires.year}, in 60 days or less"
    assert expected in first.get_content()

    later = now + timedelta(days=30)  # 29 days left: the 30-day warning
    assert reminders.send_expiry_warnings(later) == 1
    db.session.commit()
    assert reminders.send_expiry_warnings(later + timedelta(days=1)) == 0
    db.session.commit()
    assert [m["Subject"] for m in mail.to("ann@example.org")] == [
        "Your safeguarding training expires soon"
    ] * 2
    bodies = sorted(m.get_content() for m in mail.to("ann@example.org"))
    assert ["in 30 days or less" in b for b in bodies] == [True, False]
    db.session.refresh(credential)
    assert credential.warned_days == 30


def test_a_credential_found_past_both_thresholds_gets_one_warning(db, make_volunteer, give, mail):
    give(make_volunteer("ann"), "background_check", expires_on=today() + timedelta(days=10))
    mail.clear()
    assert reminders.send_expiry_warnings(utcnow()) == 1
    db.session.commit()
    assert len(mail.to("ann@example.org")) == 1


def test_forgotten_check_out_is_closed_at_the_end_of_the_shift_and_flagged(
    db, make_volunteer, make_shift
):
    shift = make_shift(starts_at=utcnow() + timedelta(minutes=30), hours=2)
    signup = services.sign_up(shift.id, make_volunteer("ann"))
    db.session.commit()
    entry = hours.check_in_or_out(signup, now=shift.starts_at)
    db.session.commit()

    report = reminders.run(now=shift.ends_at + timedelta(hours=1))
    db.session.commit()

    assert report.closed == 1
    assert entry.ended_at == shift.ends_at and entry.minutes == 120
    assert entry.auto_closed and entry.status == HoursStatus.PENDING
    assert hours.pending_entries() == [entry]
