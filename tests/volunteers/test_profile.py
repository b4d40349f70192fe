"""Coordinators keep a volunteer's profile, and can stop a volunteer from taking shifts
(a concern raised, or they have moved away) and let them back."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.modelbase import utcnow
from crm.volunteers import services
from crm.volunteers.models import Signup, SignupStatus

pytestmark = pytest.mark.clock  # the outcome depends on today's date

PROFILE = {
    "roles": ["presenter", "office"], "skills": "Public speaking", "languages": "Spanish",
    "availability": "Saturday mornings", "emergency_name": "Bo Helper",
    "emergency_phone": "(202) 555-0143",
}  # fmt: skip


def test_a_coordinator_edits_the_profile(client, coordinator, make_volunteer, db):
    ann = make_volunteer("ann")
    client.login(coordinator)
    page = client.get(f"/volunteers/{ann.id}/edit").text
    assert "Ann Helper" in page and "volunteer profile" in page
    response = client.form(f"/volunteers/{ann.id}/edit", PROFILE)
    assert response.status_code == 302
    db.session.refresh(ann)
    assert ann.roles == ["presenter", "office"] and ann.languages == "Spanish"
    assert ann.emergency_phone == "+12025550143"

    response = client.form(f"/volunteers/{ann.id}/edit", {**PROFILE, "emergency_phone": "12"})
    assert response.status_code == 200 and "phone number is not valid" in response.text
    db.session.refresh(ann)
    assert ann.emergency_phone == "+12025550143"  # nothing saved


def test_deactivation_takes_them_off_coming_shifts(client, coordinator, make_volunteer, cleared,
                                                   make_shift, mail, db):  # fmt: skip
    ann, ben = cleared(make_volunteer("ann")), cleared(make_volunteer("ben"))
    school = make_shift(capacity=1, youth_facing=True, title="School assembly")
    office = make_shift(starts_at=utcnow() + timedelta(days=20), title="Mailing")
    services.sign_up(school.id, ann)
    services.sign_up(school.id, ben)  # waitlisted
    services.sign_up(office.id, ann)
    db.session.commit()
    mail.clear()
    client.login(coordinator)

    response = client.form(f"/volunteers/{ann.id}/deactivate", {"reason": ""})
    db.session.refresh(ann)
    assert ann.active and response.status_code == 302  # a reason is required

    client.form(f"/volunteers/{ann.id}/deactivate", {"reason": "Concern raised at school"})
    page = client.get(f"/volunteers/{ann.id}").text
    assert "no longer an active volunteer and taken off 2 coming shifts" in page
    assert "This volunteer is inactive" in page
    db.session.expire_all()
    assert not ann.active
    statuses = {(s.shift.title, s.volunteer.name): s.status for s in db.session.scalars(
        select(Signup))}  # fmt: skip
    assert statuses == {
        ("School assembly", "Ann Helper"): SignupStatus.REMOVED,
        ("School assembly", "Ben Helper"): SignupStatus.CONFIRMED,
        ("Mailing", "Ann Helper"): SignupStatus.REMOVED,
    }
    to_ann = sorted(m["Subject"] for m in mail.to("ann@example.org"))
    assert to_ann == ["You are no longer on the shift: Mailing",
                      "You are no longer on the shift: School assembly"]  # fmt: skip
    assert not any("Concern" in m.as_string() for m in mail.messages)  # nobody is told why
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "volunteer_deactivated")
    )
    assert event.changes == {"reason": "Concern raised at school"}
    later = make_shift(starts_at=utcnow() + timedelta(days=30), title="Fair")
    with pytest.raises(services.VolunteerError, match="not active"):
        services.sign_up(later.id, ann)
    db.session.rollback()

    assert "Ann Helper" not in client.get("/volunteers/").text
    assert "Ann Helper" in client.get("/volunteers/?show=inactive").text

    client.form(f"/volunteers/{ann.id}/reactivate", {})
    db.session.refresh(ann)
    assert ann.active
    assert "is an active volunteer again" in client.get(f"/volunteers/{ann.id}").text
