"""Forms of segments, mailings, email settings and the public preference page."""

from wtforms import (
    BooleanField,
    DateTimeLocalField,
    EmailField,
    FieldList,
    FormField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from crm.forms import BaseForm, OptionalSelectField, SubForm, strip
from crm.outreach.audience import EVENT_AUDIENCES
from crm.outreach.conditions import MAX_CONDITIONS, MAX_GROUPS, kinds
from crm.outreach.models import Audience, Topic

MATCH = {"all": "all of", "any": "any of"}


def one_line(value):
    """Headers (subject, sender's name) are one line: any run of whitespace becomes a space."""
    return " ".join(value.split()) if isinstance(value, str) else value


CONDITION_FIELDS = ("kind", "negate", "value", "date_from", "date_to", "amount_min", "amount_max",
                    "number")  # fmt: skip


def kind_choices(sees_money: bool) -> dict:
    """Kinds grouped for the select (optgroups); giving only for roles with money."""
    groups = {"": [("", "Choose a condition")]}
    for kind in kinds.values():
        if kind.money and not sees_money:
            continue
        groups.setdefault(kind.group, []).append((kind.key, kind.label))
    return groups


class KindField(SelectField):
    """The kind of a condition, from the kinds the user's role may use (set_kinds): a kind
    about giving, sent by a role without money, is refused as such."""

    def pre_validate(self, form):
        offered = {c.value for c in self._iter_choices_normalized()}
        if self.data in kinds and self.data not in offered and not self.process_errors:
            raise ValidationError(f"{kinds[self.data].label}: your role cannot filter by giving.")
        super().pre_validate(form)


class ConditionForm(SubForm):
    kind = KindField("Condition", choices=[], default="")  # set_kinds fills it
    negate = BooleanField("Not")
    value = StringField("Value", [Length(max=200)], filters=[strip])
    date_from = StringField("From", [Length(max=10)], filters=[strip])
    date_to = StringField("To", [Length(max=10)], filters=[strip])
    amount_min = StringField("At least", [Length(max=20)], filters=[strip])
    amount_max = StringField("At most", [Length(max=20)], filters=[strip])
    number = StringField("Number", [Length(max=7)], filters=[strip])


class GroupForm(SubForm):
    match = SelectField("Match", choices=MATCH)
    conditions = FieldList(FormField(ConditionForm), min_entries=1, max_entries=MAX_CONDITIONS)


class SegmentForm(BaseForm):
    name = StringField("Name", [DataRequired("Name the segment."), Length(max=120)],
                       filters=[strip])  # fmt: skip
    description = TextAreaField("Description", [Optional(), Length(max=1000)], filters=[strip])
    match = SelectField("Contacts who match", choices=MATCH)
    groups = FieldList(FormField(GroupForm), min_entries=1, max_entries=MAX_GROUPS)

    def validate(self, extra_validators=None):
        """The rows' errors are listed above the form, each saying which row it is about."""
        valid = super().validate(extra_validators)
        several = len(self.groups.entries) > 1
        for g, group in enumerate(self.groups.entries, 1):
            of_group = f" of group {g}" if several else ""
            for error in group.form.match.errors:
                self.form_errors.append(f"In group {g}: {error}")
            for n, row in enumerate(group.form.conditions.entries, 1):
                for field in row.form:
                    self.form_errors.extend(f"In condition {n}{of_group}: {field.label.text}: "
                                            f"{error}" for error in field.errors)  # fmt: skip
        return valid

    def set_kinds(self, sees_money: bool) -> None:
        choices = kind_choices(sees_money)
        for group in self.groups:
            for row in group.conditions:
                row.kind.choices = choices

    def tree(self, keep_empty: bool = False) -> dict:
        """The conditions as the JSON stored on the segment (rows without a kind dropped)."""
        groups = []
        for group in self.groups:
            rows = [{name: row[name].data for name in CONDITION_FIELDS}
                    for row in group.conditions]  # fmt: skip
            rows = [r for r in rows if keep_empty or r["kind"]]
            groups.append({"match": group.match.data, "conditions": rows})
        return {"match": self.match.data, "groups": groups}


def empty_condition() -> dict:
    return dict.fromkeys(CONDITION_FIELDS, "") | {"negate": False}


class MailingForm(BaseForm):
    subject = StringField("Subject", [DataRequired("Write a subject."), Length(max=200)],
                          filters=[one_line])  # fmt: skip
    preview_text = StringField(
        "Preview text", [Optional(), Length(max=200)], filters=[one_line],
        description="Shown after the subject in most inboxes. Merge fields work here too.",
    )  # fmt: skip
    from_name = StringField("From (name)", [DataRequired("Write who it is from."),
                                            Length(max=100)], filters=[one_line])  # fmt: skip
    reply_to = EmailField("Replies go to", [Optional(), Email("Enter an email address."),
                                            Length(max=254)], filters=[strip])  # fmt: skip
    audience = SelectField("Send to", choices={a.value: a.label for a in Audience})
    # the view fills the lists of records
    segment_id = OptionalSelectField("Segment", choices=[])
    event_id = OptionalSelectField("Event", choices=[])
    event_audience = SelectField("Which registrants", choices=EVENT_AUDIENCES)
    shift_id = OptionalSelectField("Shift", choices=[])
    topic = SelectField(
        "Topic",
        choices={
            "": "None: about their registration or shift",
            **{t.value: t.label for t in Topic},
        },
    )
    campaign_id = OptionalSelectField("Campaign", choices=[])
    source_code = StringField(
        "Source code", [DataRequired("Give the mailing a source code."), Length(max=60)],
        filters=[strip, lambda v: v.lower() if isinstance(v, str) else v],
        description="Gifts made through the message's giving links carry it, so they are "
        "counted for this mailing. Lower-case letters, digits and hyphens.",
    )  # fmt: skip
    body = TextAreaField(
        "Message", [DataRequired("Write the message."), Length(max=100_000)],
        description="Markdown: **bold**, *italic*, [a link](https://example.org), lists with "
        "- or 1. A few HTML tags work too; anything else is removed. Merge fields: "
        "{{ first_name | friend }}.",
    )  # fmt: skip


class ScheduleForm(BaseForm):
    send_at = DateTimeLocalField("Send at", [DataRequired("Choose the day and time.")],
                                 format="%Y-%m-%dT%H:%M")  # fmt: skip


class SettingsForm(BaseForm):
    from_name = StringField("Default sender name", [Optional(), Length(max=100)],
                            filters=[one_line])  # fmt: skip
    reply_to = EmailField("Default reply-to address", [Optional(), Email(), Length(max=254)],
                          filters=[strip])  # fmt: skip
    postal_address = TextAreaField(
        "Postal address", [Optional(), Length(max=500)], filters=[strip],
        description="Printed at the foot of every message: the law (CAN-SPAM) requires a "
        "valid postal address. Nothing can be sent without it.",
    )  # fmt: skip
    header = TextAreaField("Header", [Optional(), Length(max=5000)], filters=[strip],
                           description="Markdown shown above every message.")  # fmt: skip
    footer = TextAreaField("Footer", [Optional(), Length(max=5000)], filters=[strip],
                           description="Markdown shown below every message.")  # fmt: skip
    track_opens = BooleanField(
        "Track opens", description="Adds an invisible image to each message to count who opens "
        "it. Off unless you turn it on: many people and mail programs object to it.",
    )  # fmt: skip


def preferences_form(states: dict[Topic, bool]) -> BaseForm:
    class PreferencesForm(BaseForm):
        pass

    for topic in Topic:
        setattr(PreferencesForm, topic.value, BooleanField(topic.label, default=states[topic]))
    return PreferencesForm()
