"""Tasks: set by staff on a contact, gift, event or training request, or by the CRM itself
(thank a first-time or major donor, call a lapsed monthly donor, follow up a training
request), listed and finished; coordinators never see tasks about gifts."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.auth.roles import Role
from crm.donations.models import DonationStatus, PlanStatus, RecurringPlan
from crm.events.models import Audience, TrainingRequest
from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.work import services
from crm.work.models import Task, TaskStatus

pytestmark = pytest.mark.clock


def titles() -> list[str]:
    _db.session.expire_all()
    return sorted(t.title for t in _db.session.scalars(select(Task)))


def test_the_crm_sets_thank_you_tasks_for_first_and_major_gifts(db, make_contact, make_donation):
    ann = make_contact(first_name="Ann", last_name="Lee")
    make_donation(ann, 5_000)
    make_donation(ann, 2_500)  # her second: no task
    make_donation(ann, 150_000)  # major
    ben = make_contact(first_name="Ben", last_name="Roe")
    make_donation(ben, 4_000, received_at=utcnow() - timedelta(days=300))  # history: no task
    make_donation(make_contact(first_name="Cy"), 4_000, status=DonationStatus.FAILED)
    assert titles() == [
        "Thank Ann Lee for their first gift of $50.00",
        "Thank Ann Lee for their gift of $1,500.00 (major gift)",
    ]
    task = _db.session.scalar(select(Task).where(Task.title.contains("first")))
    assert task.team == Role.FUNDRAISER and task.assignee_id is None and task.contact_id == ann.id
    assert task.due_on == services.local_today() + timedelta(days=2)


def test_a_lapsed_monthly_donor_gets_a_call_once(db, make_contact):
    ann = make_contact(first_name="Ann", last_name="Lee")
    plan = RecurringPlan(contact=ann, amount_cents=2_000, currency="USD", status=PlanStatus.ACTIVE)
    db.session.add(plan)
    db.session.commit()
    plan.status = PlanStatus.PAST_DUE
    db.session.commit()
    plan.status = PlanStatus.ACTIVE
    db.session.commit()
    plan.status = PlanStatus.PAST_DUE  # the same day again: one task is enough
    db.session.commit()
    plan.status = PlanStatus.CANCELLED  # from past due, not from active: no new call
    db.session.commit()
    assert titles() == ["Call Ann Lee: their monthly gift of $20.00 is past due"]
    # set by the CRM, in the audit log like any task, once
    task = _db.session.scalars(select(Task)).one()
    [logged] = _db.session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == "Task", AuditEvent.action == "create")
    ).all()
    assert (logged.entity_id, logged.summary, logged.actor_id) == (task.id, task.title, None)
    assert logged.changes["auto_key"] == task.auto_key


def test_a_training_request_gets_followed_up(db, make_contact):
    request = TrainingRequest(organisation_name="Lincoln High", organisation_type="school",
                              contact=make_contact(), audience=Audience.STUDENTS,
                              estimated_size=120, preferred_1=utcnow() + timedelta(days=30),
                              place="1 School Rd")  # fmt: skip
    db.session.add(request)
    db.session.commit()
    [task] = _db.session.scalars(select(Task)).all()
    assert task.title == "Follow up the training request from Lincoln High"
    assert (task.team, task.training_request_id) == (Role.COORDINATOR, request.id)


@pytest.fixture
def ann(db, make_contact):
    return make_contact(first_name="Ann", last_name="Lee")


def test_staff_set_tasks_and_bad_input_is_refused(db, client, make_user, ann, make_donation):
    fundraiser = make_user(Role.FUNDRAISER, name="Farah")
    coordinator = make_user(Role.COORDINATOR, name="Cory")
    gift = make_donation(ann, 5_000)
    _db.session.execute(Task.__table__.delete())  # the CRM's own thank-you task
    _db.session.commit()
    client.login_as(coordinator)
    form = client.get(f"/tasks/new?contact_id={ann.id}").text
    assert f'value="{ann.id}"' in form
    refused = client.form("/tasks/new", {"title": "Call about the gift", "team": "coordinator",
                                         "donation_id": str(gift.id)})  # fmt: skip
    assert "Only fundraisers and admins set tasks about gifts" in refused.text
    for data, problem in (({"title": "", "team": "coordinator"}, "This field is required"),
                          ({"title": "X", "team": "coordinator", "contact_id": "99999"},
                           "is not there any more"),
                          ({"title": "X", "team": "coordinator", "assignee": "abc"},
                           "Assign the task to an active member of staff"),
                          ({"title": "X", "team": "volunteer"}, "Not a valid choice")):  # fmt: skip
        assert problem in client.form("/tasks/new", data).text
    assert titles() == []
    added = client.form("/tasks/new", {"title": "Ask about the school visit", "team": "coordinator",
                                       "contact_id": str(ann.id), "assignee": str(fundraiser.id),
                                       "due_on": services.local_today().isoformat()})  # fmt: skip
    assert added.location == f"/contacts/{ann.id}#tasks"
    task = _db.session.scalar(select(Task))
    assert (task.assignee_id, task.team, task.created_by_id) == (fundraiser.id, Role.FUNDRAISER,
                                                                 coordinator.id)  # fmt: skip
    assert "Ask about the school visit" in client.get(f"/contacts/{ann.id}").text


def test_the_list_pages_filters_and_finishes(db, client, make_user, ann):
    me = make_user(Role.FUNDRAISER)
    other = make_user(Role.FUNDRAISER)
    today = services.local_today()
    for n in range(30):
        services.create_task(services.TaskData(f"Task {n:02d}", None, today + timedelta(days=n - 5),
                                               me.id if n % 2 else None, Role.FUNDRAISER),
                             {"contact_id": ann.id}, other)  # fmt: skip
    services.create_task(services.TaskData("Someone else's", None, None, other.id, Role.FUNDRAISER),
                         {}, other)  # fmt: skip
    _db.session.commit()
    client.login_as(me)
    mine = client.get("/tasks/?who=mine").text
    assert "Task 01" in mine and "Task 00" not in mine and "Someone else" not in mine
    team = client.get("/tasks/?who=team").text
    assert "Task 00" in team and "Page 1 of 2" in team and "Someone else" not in team
    assert "Task 29" in client.get("/tasks/?who=team&page=2").text
    overdue = client.get("/tasks/?who=team&due=overdue").text
    assert "Task 04" in overdue and "Task 05" not in overdue
    assert "Someone else" in client.get("/tasks/?who=all&sort=title").text
    task = _db.session.scalar(select(Task).where(Task.title == "Task 01"))
    done = client.form(f"/tasks/{task.id}/done", {"next": "/?from=home"})
    assert done.location == "/?from=home"
    assert _db.session.get(Task, task.id).status == TaskStatus.DONE
    again = client.form(f"/tasks/{task.id}/done", {"next": "//evil.example.org/"})
    assert again.location == "/tasks/"
    client.form(f"/tasks/{task.id}/reopen")
    assert _db.session.get(Task, task.id).status == TaskStatus.OPEN
    count, first = services.due_for(_db.session.get(type(me), me.id))
    assert count == 13 and first[0].title == "Task 00"  # overdue first; a week ahead at most


def test_coordinators_never_see_tasks_about_gifts(db, client, make_user, ann, make_donation):
    make_donation(ann, 5_000)  # sets the CRM's thank-you task, about the gift
    task = _db.session.scalar(select(Task))
    assert task.donation_id is not None
    client.login_as(make_user(Role.COORDINATOR))
    assert "Thank Ann Lee" not in client.get("/tasks/?who=all&status=all").text
    assert "Thank Ann Lee" not in client.get(f"/contacts/{ann.id}").text
    assert client.get(f"/tasks/{task.id}/edit").status_code == 404
    client.login_as(make_user(Role.FUNDRAISER))
    assert "Thank Ann Lee" in client.get("/tasks/?who=team").text
