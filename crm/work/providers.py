"""The home page's list of tasks due (the user's own and their team's unassigned ones), and
the open tasks on a contact's page. The contact page's panel registry is a plain registry
module of the contacts package, as the timeline's is for every domain."""

from flask import has_request_context, url_for
from flask_login import current_user

from crm.auth.roles import STAFF_ROLES
from crm.contacts.panels import Panel, contact_panel
from crm.formats import format_date
from crm.work import services
from crm.work.home import Action, WorkItem, WorkList, waiting


@waiting("tasks", tuple(STAFF_ROLES), 0)
def tasks_due(user) -> WorkList:
    count, tasks = services.due_for(user)
    today = services.local_today()
    items = []
    for task in tasks:
        detail = []
        if task.due_on:
            late = task.due_on < today
            detail.append(
                ("Overdue since " if late else "Due ") + f"{format_date(task.due_on, 'short')}"
            )
        detail.append(task.assignee.name if task.assignee else "Nobody yet")
        if task.contact:
            detail.append(task.contact.full_name)
        items.append(
            WorkItem(
                label=task.title,
                url=url_for("work.edit_task", task_id=task.id),
                detail=" · ".join(detail),
                urgent=bool(task.due_on and task.due_on < today),
                action=Action(
                    "Done", url_for("work.finish_task", task_id=task.id), f"“{task.title}”"
                ),  # fmt: skip
            )
        )
    return WorkList(
        "tasks", "Tasks due", count, items,
        more_url=url_for("work.tasks", who="team"),
        more_label="All my tasks", empty="No tasks due this week.",
    )  # fmt: skip


@contact_panel(40)
def contact_tasks(contact) -> Panel | None:
    """Open tasks about the contact, with a link to add one (staff)."""
    if not (has_request_context() and current_user.is_authenticated and current_user.is_staff):
        return None
    tasks = services.open_tasks_of_contact(contact.id, current_user)
    return Panel("tasks", "Tasks", "work/_contact_panel.html",
                 {"tasks": tasks, "today": services.local_today()})  # fmt: skip
