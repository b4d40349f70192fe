"""The emails of events and trainings. Each is queued in the caller's transaction."""

from crm.events.calendar import cancellation_attachment, ics_attachment
from crm.events.urls import absolute_url, giving_url
from crm.mail.services import queue_email


def _event_context(event) -> dict:
    return {"event": event, "event_url": absolute_url("events.show", event_id=event.id)}


def registered(registration, token: str) -> None:
    """The confirmation (with the .ics), or the news of a place on the waitlist; both carry
    the private cancel link."""
    event = registration.event
    cancel_url = absolute_url("events.cancel", cancel_token=token)
    if registration.status == "confirmed":
        queue_email(
            to=registration.email, template="events/email/confirmed",
            subject=f"You are registered: {event.title}", registration=registration,
            cancel_url=cancel_url, attachments=[ics_attachment(event)], **_event_context(event),
        )  # fmt: skip
    else:
        queue_email(
            to=registration.email, template="events/email/waitlisted",
            subject=f"You are on the waitlist: {event.title}", registration=registration,
            cancel_url=cancel_url, **_event_context(event),
        )  # fmt: skip


def promoted(registration) -> None:
    if not registration.email:
        return
    event = registration.event
    queue_email(
        to=registration.email, template="events/email/promoted",
        subject=f"A seat is yours: {event.title}", registration=registration,
        attachments=[ics_attachment(event)], **_event_context(event),
    )  # fmt: skip


def event_cancelled(registration) -> None:
    """A registrant (or someone on the waitlist) hears that the event is off."""
    if not registration.email:
        return
    event = registration.event
    queue_email(
        to=registration.email, template="events/email/cancelled",
        subject=f"Cancelled: {event.title}", registration=registration,
        events_url=absolute_url("events.index"), attachments=[cancellation_attachment(event)],
        **_event_context(event),
    )  # fmt: skip


def reminder(registration) -> None:
    event = registration.event
    queue_email(
        to=registration.email, template="events/email/reminder",
        subject=f"Tomorrow: {event.title}", registration=registration,
        attachments=[ics_attachment(event)], **_event_context(event),
    )  # fmt: skip


def follow_up(registration) -> None:
    event = registration.event
    queue_email(
        to=registration.email, template="events/email/follow_up",
        subject=f"Thank you for coming: {event.title}", registration=registration,
        survey_url=event.survey_url, giving_url=giving_url(event.campaign),
        **_event_context(event),
    )  # fmt: skip


def training_received(request) -> None:
    queue_email(
        to=request.contact.email, template="events/email/training_received",
        subject="We received your training request", request=request,
    )  # fmt: skip


def training_accepted(request) -> None:
    event = request.event
    queue_email(
        to=request.contact.email, template="events/email/training_accepted",
        subject=f"Your training is scheduled: {event.title}", request=request,
        attachments=[ics_attachment(event)], **_event_context(event),
    )  # fmt: skip


def training_declined(request) -> None:
    queue_email(
        to=request.contact.email, template="events/email/training_declined",
        subject="About your training request", request=request,
    )  # fmt: skip
