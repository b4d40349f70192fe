"""Tasks: create, finish, list. The caller commits. Tasks the CRM sets itself go in through
`insert_auto_tasks`, from the flush that caused them (a first gift, a lapsed plan...), once
each by their key."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import selectinload

from crm.audit.models import AuditEvent
from crm.audit.services import audit_row
from crm.auth.models import User
from crm.auth.roles import STAFF_ROLES, Role
from crm.extensions import db
from crm.modelbase import utcnow
from crm.work.home import capped_count
from crm.work.models import Task, TaskStatus

# What a task may be about: its column and the table that column points to.
SUBJECTS = {
    "contact_id": "contacts",
    "donation_id": "donations",
    "event_id": "events",
    "training_request_id": "training_requests",
}
MAX_ID = 2**31 - 1


class TaskError(ValueError):
    """A task that cannot be saved as asked; the message is for the user."""


def local_today() -> date:
    return datetime.now(ZoneInfo(current_app.config["ORG_TIMEZONE"])).date()


def sees_money(user) -> bool:
    return user.has_role(Role.FUNDRAISER)


def team_of(user) -> Role:
    return user.role if user.role in STAFF_ROLES else Role.ADMIN


# --- writing ----------------------------------------------------------------------------------


def check_subjects(subjects: dict, user) -> dict:
    """The ids of what the task is about, each checked to exist; gifts for money roles only."""
    checked = {}
    for column, value in subjects.items():
        if column not in SUBJECTS or value in (None, ""):
            continue
        table = db.metadata.tables[SUBJECTS[column]]
        if not (isinstance(value, int) and 0 < value <= MAX_ID) or not db.session.scalar(
            select(func.count()).select_from(table).where(table.c.id == value)
        ):
            raise TaskError(f"The {SUBJECTS[column].replace('_', ' ')[:-1]} is not there any more.")
        checked[column] = value
    if checked.get("donation_id") and not sees_money(user):
        raise TaskError("Only fundraisers and admins set tasks about gifts.")
    return checked


def assignable_users(money_only: bool = False) -> list[User]:
    roles = [Role.ADMIN, Role.FUNDRAISER] if money_only else list(STAFF_ROLES)
    query = select(User).where(User.active, User.role.in_(roles)).order_by(User.name)
    return list(db.session.scalars(query))


def _check_assignee(assignee_id: int | None, money: bool) -> User | None:
    if assignee_id is None:
        return None
    user = db.session.get(User, assignee_id)
    allowed = {Role.ADMIN, Role.FUNDRAISER} if money else STAFF_ROLES
    if user is None or not user.active or user.role not in allowed:
        raise TaskError(
            "Assign the task to an active member of staff who may see what it is about."
        )
    return user


@dataclass
class TaskData:
    title: str
    notes: str | None
    due_on: date | None
    assignee_id: int | None
    team: Role


def create_task(data: TaskData, subjects: dict, user) -> Task:
    checked = check_subjects(subjects, user)
    assignee = _check_assignee(data.assignee_id, bool(checked.get("donation_id")))
    team = assignee.role if assignee else data.team
    task = Task(title=data.title, notes=data.notes or None, due_on=data.due_on,
                assignee=assignee, team=team, created_by_id=user.id, **checked)  # fmt: skip
    db.session.add(task)
    db.session.flush()
    return task


def update_task(task: Task, data: TaskData) -> Task:
    assignee = _check_assignee(data.assignee_id, task.donation_id is not None)
    task.title, task.notes, task.due_on = data.title, data.notes or None, data.due_on
    task.assignee = assignee
    task.team = assignee.role if assignee else data.team
    db.session.flush()
    return task


def finish(task: Task, user, status: TaskStatus = TaskStatus.DONE) -> None:
    if task.status != TaskStatus.OPEN:
        raise TaskError("This task is already closed.")
    task.status, task.done_at, task.done_by_id = status, utcnow(), user.id
    db.session.flush()


def reopen(task: Task) -> None:
    if task.status == TaskStatus.OPEN:
        raise TaskError("This task is open already.")
    task.status, task.done_at, task.done_by_id = TaskStatus.OPEN, None, None
    db.session.flush()


def insert_auto_tasks(conn, rows: list[dict]) -> None:
    """Tasks the CRM sets, in the flush that caused them (Core, not the ORM: a flush cannot add
    objects to itself). A key already used adds nothing."""
    if not rows:
        return
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    values = [{"status": TaskStatus.OPEN, "notes": None, "created_at": now, "updated_at": now,
               **row} for row in rows]  # fmt: skip
    added = conn.execute(
        insert(Task)
        .on_conflict_do_nothing(index_elements=["auto_key"])
        .returning(Task.id, Task.title, Task.auto_key),
        values,
    ).all()
    if added:  # in the audit log like any task, its key telling what set it
        conn.execute(sa_insert(AuditEvent), [
            audit_row("create", "Task", task_id, {"title": title, "auto_key": key},
                      summary=title)
            for task_id, title, key in added
        ])  # fmt: skip


def auto_due(days: int) -> date:
    return local_today() + timedelta(days=days)


# --- reading ----------------------------------------------------------------------------------


@dataclass
class TaskFilter:
    who: str = "mine"  # mine, team (mine and my team's unassigned), unassigned, all
    status: str = "open"  # open, done, all
    due: str = ""  # "", overdue, week
    contact_id: int | None = None
    sort: str = "due"


SORTS = {
    "due": (Task.due_on.is_(None), Task.due_on, Task.id),
    "newest": (Task.created_at.desc(), Task.id.desc()),
    "title": (Task.title, Task.id),
}


def visible(query: Select, user) -> Select:
    """Coordinators see no tasks about gifts."""
    return query if sees_money(user) else query.where(Task.donation_id.is_(None))


def task_query(f: TaskFilter, user) -> Select:
    query = visible(select(Task), user).options(
        selectinload(Task.assignee), selectinload(Task.contact)
    )
    mine = Task.assignee_id == user.id
    team = and_(Task.assignee_id.is_(None), Task.team == team_of(user))
    query = query.where(
        {"mine": mine, "team": or_(mine, team), "unassigned": Task.assignee_id.is_(None)}.get(
            f.who, True
        )
    )
    if f.status in ("open", "done"):
        query = query.where(Task.status == TaskStatus(f.status))
    today = local_today()
    if f.due == "overdue":
        query = query.where(Task.due_on < today)
    elif f.due == "week":
        query = query.where(Task.due_on <= today + timedelta(days=7))
    if f.contact_id:
        query = query.where(Task.contact_id == f.contact_id)
    return query.order_by(*SORTS.get(f.sort, SORTS["due"]))


def due_for(user, limit: int = 8) -> tuple[int, list[Task]]:
    """The open tasks waiting for this user (theirs and their team's unassigned ones), due in
    the next week, overdue or undated: how many, and the first few."""
    horizon = local_today() + timedelta(days=7)
    query = task_query(TaskFilter(who="team"), user).where(
        or_(Task.due_on.is_(None), Task.due_on <= horizon)
    )
    return capped_count(query), list(db.session.scalars(query.limit(limit)))


def open_tasks_of_contact(contact_id: int, user, limit: int = 10) -> list[Task]:
    query = task_query(TaskFilter(who="all", contact_id=contact_id), user)
    return list(db.session.scalars(query.limit(limit)))
