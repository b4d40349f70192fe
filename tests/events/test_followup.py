"""People reached, reminders and thank-yous (through SMTP, each once), and the timeline."""

from datetime import timedelta

import pytest

from crm.auth.roles import Role
from crm.events import reach
from crm.events import services as events
from crm.events.models import Audience
from crm.extensions import db
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def attend(registration, guests=0):
    events.mark_attended(registration, guests)
    db.session.commit()


def test_people_reached_matches_registrations_and_headcounts(
    make_event, make_event_type, register, app
):
    from crm.donations.models import Campaign

    campaign = Campaign(name="Spring", slug="spring", goal_cents=0, currency="USD")
    db.session.add(campaign)
    db.session.commit()
    school = make_event_type("School presentation")
    parents = make_event_type("Parent night")
    # 15 March 2030 and 2 April 2030, 14:00 UTC (10:00 in New York)
    march = make_event(event_type=school, starts_at=utcnow().replace(2030, 3, 15, 14, 0),
                       campaign_id=campaign.id)  # fmt: skip
    april = make_event(event_type=parents, starts_at=utcnow().replace(2030, 4, 2, 14, 0))
    a, _ = register(march, "ada", guests=2)
    b, _ = register(march, "bob", guests=1)
    register(march, "cy")  # registered, never came: not reached
    c, _ = register(april, "dee")
    attend(a, guests=2)  # 3 people
    attend(b, guests=0)  # 1 person: the guest did not come
    attend(c)  # 1 person
    events.add_walk_in(april, "Sam Door", None, guests=1)  # 2 people
    reach.set_headcounts(march, {Audience.STUDENTS: 200, Audience.EDUCATORS: 12})
    reach.set_headcounts(april, {Audience.PARENTS: 40})
    db.session.commit()

    figures = reach.people_reached()
    assert figures.total == 4 + 212 + 3 + 40
    assert reach.event_reach(march) == 216 and reach.event_reach(april) == 43
    assert figures.by_month == {"2030-03": 216, "2030-04": 43}
    assert figures.by_event_type == {"School presentation": 216, "Parent night": 43}
    assert figures.by_audience == {"registrants": 7, "students": 200, "educators": 12,
                                   "parents": 40}  # fmt: skip
    assert figures.by_campaign == {campaign.id: 216, None: 43}
    only_april = reach.people_reached(start=utcnow().replace(2030, 4, 1, 4, 0))
    assert only_april.total == 43


def test_month_is_the_organisation_s_month(make_event, register):
    # 1 April 2030 at 02:00 UTC is still 31 March in New York
    event = make_event(starts_at=utcnow().replace(2030, 4, 1, 2, 0))
    reach.set_headcounts(event, {Audience.COMMUNITY: 5})
    db.session.commit()
    assert reach.people_reached().by_month == {"2030-03": 5}


def test_reminders_and_thank_yous_are_sent_once_each(runner, make_event, register, mail):
    from crm.donations.models import Campaign

    campaign = Campaign(name="Spring", slug="spring-appeal", goal_cents=0, currency="USD")
    db.session.add(campaign)
    db.session.commit()
    tomorrow = make_event(title="Tomorrow's training", starts_at=utcnow() + timedelta(hours=20))
    later = make_event(title="Next month", days=30)
    ended = make_event(
        title="Yesterday's night",
        starts_at=utcnow() + timedelta(hours=1),
        survey_url="https://survey.example.org/s/1",
        campaign_id=campaign.id,
    )
    going, _ = register(tomorrow, "ada")
    waiting_event = make_event(
        title="Full one", capacity=0, starts_at=utcnow() + timedelta(hours=5)
    )
    register(waiting_event, "wai")  # waitlisted: no reminder
    register(later, "bob")
    came, _ = register(ended, "cy")
    register(ended, "dee")  # did not come: no thank-you
    attend(came)
    ended.starts_at = utcnow() - timedelta(days=1, hours=2)
    ended.ends_at = utcnow() - timedelta(days=1)
    db.session.commit()
    mail.clear()

    result = runner.invoke(args=["crm", "event-reminders"])
    assert result.exit_code == 0, result.output
    assert "Queued 1 reminder(s) and 1 thank-you(s)." in result.output
    (reminder,) = mail.to("ada@example.org")
    assert reminder["Subject"] == "Tomorrow: Tomorrow's training"
    assert [p.get_filename() for p in reminder.iter_attachments()] == ["event.ics"]
    (thanks,) = mail.to("cy@example.org")
    body = thanks.get_body(("plain",)).get_content()
    assert "https://survey.example.org/s/1" in body
    assert "http://localhost/give/spring-appeal" in body
    assert len(mail.messages) == 2

    again = runner.invoke(args=["crm", "event-reminders"])
    assert "Queued 0 reminder(s) and 0 thank-you(s)." in again.output
    assert len(mail.messages) == 2
    db.session.refresh(going)
    assert going.reminder_sent_at is not None


def test_registrations_and_attendance_appear_on_the_contact_timeline(
    signed_in, make_event, register
):
    client, _ = signed_in(Role.COORDINATOR)
    event = make_event(title="Awareness night")
    registration, _ = register(event, "ada", guests=1)
    attend(registration, guests=1)
    page = client.get(f"/contacts/{registration.contact_id}").text
    assert "Registered for Awareness night with 1 guest" in page
    assert "Attended Awareness night with 1 guest" in page
    assert f'href="/manage/events/{event.id}"' in page
