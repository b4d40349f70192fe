"""Shifts as iCalendar: one shift for an email, all of a volunteer's shifts for a download
or their private feed. Times carry the organisation's time zone."""

from urllib.parse import urlsplit

import icalendar
from flask import current_app

from crm.mail.services import Attachment
from crm.modelbase import utcnow
from crm.volunteers.eligibility import org_zone
from crm.volunteers.models import Shift


def _component(shift: Shift) -> icalendar.Event:
    zone = org_zone()
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    component = icalendar.Event()
    component.add("uid", f"shift-{shift.id}@{host}")
    component.add("dtstamp", utcnow())
    component.add("dtstart", shift.starts_at.astimezone(zone))
    component.add("dtend", shift.ends_at.astimezone(zone))
    component.add("summary", f"Volunteer shift: {shift.title}")
    if shift.place:
        component.add("location", " ".join(shift.place.split()))
    if shift.notes:
        component.add("description", shift.notes)
    component.add("sequence", int(shift.updated_at.timestamp()) if shift.updated_at else 0)
    return component


def shifts_ics(shifts: list[Shift], name: str | None = None) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{current_app.config['ORG_NAME']}//Volunteer shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for shift in shifts:
        calendar.add_component(_component(shift))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def shift_attachment(shift: Shift) -> Attachment:
    return Attachment("shift.ics", "text/calendar; method=PUBLISH", shifts_ics([shift]).decode())
