"""iCalendar (.ics) files: one event for a registrant's calendar, and the public feed.

Times are written in the organisation's time zone with its VTIMEZONE, so calendars show the
wall-clock time the event was planned in; the online link goes only to registrants."""

from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

import icalendar
from flask import current_app

from crm.events.models import Event
from crm.events.urls import absolute_url
from crm.mail.services import Attachment
from crm.modelbase import utcnow


def _uid(event: Event) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"event-{event.id}@{host}"


def _component(event: Event, *, for_registrant: bool) -> icalendar.Event:
    zone = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    component = icalendar.Event()
    component.add("uid", _uid(event))
    component.add("dtstamp", utcnow())
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    component.add("summary", event.title)
    description = [event.description or ""]
    location = event.venue
    if event.online_url:
        if for_registrant:
            description.append(f"Join online: {event.online_url}")
            location = location or event.online_url
        else:
            location = location or "Online (the link is sent to registrants)"
    if location:
        component.add("location", " ".join(location.split()))
    if event.is_public:
        component.add("url", absolute_url("events.show", event_id=event.id))
    component.add("description", "\n\n".join(d for d in description if d))
    component.add("sequence", int(event.updated_at.timestamp()) if event.updated_at else 0)
    component.add("status", "CANCELLED" if event.cancelled_at else "CONFIRMED")
    return component


def _calendar(
    events: list[Event], *, for_registrant: bool, name: str | None = None, method="PUBLISH"
) -> bytes:
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{current_app.config['ORG_NAME']}//Events//EN")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_component(event, for_registrant=for_registrant))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def event_ics(event: Event) -> str:
    """The .ics a registrant (or a training's requester) gets, online link included."""
    return _calendar([event], for_registrant=True).decode()


def public_event_ics(event: Event) -> bytes:
    """The "add to calendar" file on the event's page: like the feed, without the online link,
    which only registrants get (by email)."""
    return _calendar([event], for_registrant=False)


def google_calendar_url(event: Event) -> str:
    """A link that opens Google Calendar's "new event" form filled in with this event."""

    def stamp(moment):
        return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")

    details = [event.description or ""]
    if event.is_public:
        details.append(absolute_url("events.show", event_id=event.id))
    location = " ".join((event.venue or "").split()) or ("Online" if event.online_url else "")
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": f"{stamp(event.starts_at)}/{stamp(event.ends_at)}",
        "details": "\n\n".join(d for d in details if d),
        "location": location,
        "ctz": current_app.config["ORG_TIMEZONE"],
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(
        {k: v for k, v in query.items() if v}
    )


def feed_ics(events: list[Event]) -> bytes:
    return _calendar(events, for_registrant=False, name=f"{current_app.config['ORG_NAME']} events")


def ics_attachment(event: Event) -> Attachment:
    return Attachment("event.ics", "text/calendar; method=PUBLISH", event_ics(event))


def cancellation_attachment(event: Event) -> Attachment:
    """The same event (same UID), cancelled: calendars that added it take it off."""
    body = _calendar([event], for_registrant=True, method="CANCEL").decode()
    return Attachment("event.ics", "text/calendar; method=CANCEL", body)
