"""Tasks: the list, a new task (about a contact, gift, event or training request), editing,
done and reopened. Staff only; tasks about gifts only for the roles that see money."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from crm.auth.access import staff_required
from crm.auth.roles import Role
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.work import bp, services
from crm.work.forms import TEAMS, TaskFilterForm, TaskForm
from crm.work.models import Task, TaskStatus

MAX_PAGE = 1_000_000


def get_task(task_id: int) -> Task:
    task = db.get_or_404(Task, task_id) if 0 < task_id <= services.MAX_ID else abort(404)
    if task.donation_id and not services.sees_money(current_user):
        abort(404)
    return task


def _filter() -> tuple[TaskFilterForm, services.TaskFilter]:
    form = TaskFilterForm(request.args)
    form.validate()

    def value(field):
        return field.default if field.errors or not field.data else field.data

    contact_id = request.args.get("contact_id", type=int)
    return form, services.TaskFilter(
        who=value(form.who), status=value(form.status), due=form.due.data or "",
        contact_id=contact_id if contact_id and 0 < contact_id <= services.MAX_ID else None,
        sort=value(form.sort),
    )  # fmt: skip


@bp.get("/tasks/")
@staff_required
def tasks():
    form, task_filter = _filter()
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    pagination = db.paginate(
        services.task_query(task_filter, current_user), page=page, per_page=25, error_out=False
    )
    return render_template(
        "work/tasks.html", form=form, pagination=pagination, today=services.local_today(),
        confirm_form=ConfirmForm(),
    )  # fmt: skip


def _choices(form: TaskForm, money: bool) -> None:
    users = services.assignable_users(money_only=money)
    form.assignee.choices = {"": "Nobody yet (the team)", **{str(u.id): u.name for u in users}}
    if money:
        form.team.choices = {k: v for k, v in TEAMS.items() if k != Role.COORDINATOR.value}


def _data(form: TaskForm) -> services.TaskData:
    return services.TaskData(
        title=form.title.data, notes=form.notes.data, due_on=form.due_on.data,
        assignee_id=form.assignee_id(), team=Role(form.team.data),
    )  # fmt: skip


@bp.route("/tasks/new", methods=["GET", "POST"])
@staff_required
def new_task():
    form = TaskForm(request.form if request.method == "POST" else request.args)
    if request.method == "GET":
        form.team.data = services.team_of(current_user).value
        form.assignee.data = str(current_user.id)
    # a gift's task goes to those who see money; anyone else is told so by the service
    _choices(form, money=bool(form.donation_id.data) and services.sees_money(current_user))
    if request.method == "POST" and form.validate():
        try:
            task = services.create_task(_data(form), form.subjects(), current_user)
        except services.TaskError as exc:
            db.session.rollback()
            form.title.errors = [*form.title.errors, str(exc)]
        else:
            db.session.commit()
            flash(f"Task “{task.title}” added.", "success")
            return redirect(_back(task))
    return render_template("work/task_form.html", form=form, task=None)


def _back(task: Task) -> str:
    if task.contact_id:
        return url_for("contacts.show", contact_id=task.contact_id, _anchor="tasks")
    return url_for("work.tasks")


@bp.route("/tasks/<int:task_id>/edit", methods=["GET", "POST"])
@staff_required
def edit_task(task_id: int):
    task = get_task(task_id)
    form = TaskForm(obj=task)
    if request.method == "GET":
        form.assignee.data = str(task.assignee_id or "")
        form.team.data = task.team.value
    _choices(form, money=task.donation_id is not None)
    if form.validate_on_submit():
        try:
            services.update_task(task, _data(form))
        except services.TaskError as exc:
            db.session.rollback()
            form.assignee.errors = [str(exc)]
        else:
            db.session.commit()
            flash("Task saved.", "success")
            return redirect(url_for("work.tasks"))
    return render_template("work/task_form.html", form=form, task=task)


@bp.post("/tasks/<int:task_id>/done")
@staff_required
def finish_task(task_id: int):
    return _close(task_id, TaskStatus.DONE, "Task done.")


@bp.post("/tasks/<int:task_id>/cancel")
@staff_required
def cancel_task(task_id: int):
    return _close(task_id, TaskStatus.CANCELLED, "Task cancelled.")


def _close(task_id: int, status: TaskStatus, message: str):
    task = get_task(task_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.finish(task, current_user, status)
    except services.TaskError as exc:
        flash(str(exc), "info")
    else:
        db.session.commit()
        flash(message, "success")
    return redirect(_next_url())


@bp.post("/tasks/<int:task_id>/reopen")
@staff_required
def reopen_task(task_id: int):
    task = get_task(task_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.reopen(task)
    except services.TaskError as exc:
        flash(str(exc), "info")
    else:
        db.session.commit()
        flash("Task reopened.", "success")
    return redirect(_next_url())


def _next_url() -> str:
    """Back where the button was (the home page, a contact, the list): a path on this site."""
    target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("work.tasks")
