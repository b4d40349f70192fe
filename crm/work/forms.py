"""Task forms."""

from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.auth.roles import Role
from crm.forms import BaseForm, OptionalSelectField, strip

TEAMS = {
    Role.FUNDRAISER.value: "Fundraising (any fundraiser)",
    Role.COORDINATOR.value: "Programmes (any coordinator)",
    Role.ADMIN.value: "Administration (any admin)",
}


class TaskForm(BaseForm):
    title = StringField("What to do", [DataRequired(), Length(max=200)], filters=[strip])
    due_on = DateField("Due on", [Optional()])
    assignee = OptionalSelectField(  # the view lists who may be assigned
        "Assigned to",
        invalid_choice_message="Assign the task to an active member of staff who may see what "
        "it is about, or to nobody.",
    )
    team = SelectField("Team, if nobody is assigned", choices=TEAMS)
    notes = TextAreaField("Notes", [Optional(), Length(max=5000)], filters=[strip])
    contact_id = HiddenField()
    donation_id = HiddenField()
    event_id = HiddenField()
    training_request_id = HiddenField()

    def subjects(self) -> dict:
        names = ("contact_id", "donation_id", "event_id", "training_request_id")
        return {n: _int(self[n].data) for n in names if self[n].data}

    def assignee_id(self) -> int | None:
        return _int(self.assignee.data)


def _int(value) -> int | None:
    """A number from a form; anything else is -1, which no row has (refused as gone)."""
    if value in (None, ""):
        return None
    text = str(value)
    return int(text) if text.isdigit() and len(text) <= 10 else -1


class TaskFilterForm(BaseForm):
    class Meta:
        csrf = False

    who = SelectField(
        "Whose",
        choices={
            "mine": "Mine",
            "team": "Mine and my team's",
            "unassigned": "Nobody's yet",
            "all": "Everyone's",
        },  # fmt: skip
        default="team",
    )
    status = SelectField(
        "Status", choices={"open": "Open", "done": "Done", "all": "Any"}, default="open"
    )
    due = SelectField(
        "Due", choices={"": "Any time", "overdue": "Overdue", "week": "Within a week"}, default=""
    )
    sort = SelectField(
        "Sort by",
        choices={"due": "Due date", "newest": "Newest first", "title": "Title"},
        default="due",
    )
