"""Training requests from schools and organisations, and the coordinators' decisions."""

from dataclasses import dataclass
from datetime import datetime

from crm.events import notify
from crm.events.models import TrainingRequest, TrainingRequestStatus
from crm.events.services import EventError, create_event, find_or_create_contact
from crm.extensions import db
from crm.modelbase import utcnow


@dataclass
class RequestDetails:
    organisation_name: str
    organisation_type: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    audience: str
    estimated_size: int
    preferred_dates: list[datetime]
    place: str
    notes: str | None = None


def submit_request(details: RequestDetails) -> TrainingRequest:
    dates = [d for d in details.preferred_dates if d][:3]
    if not dates:
        raise EventError("Suggest at least one date.")
    if any(d <= utcnow() for d in dates):
        raise EventError("Suggest dates in the future.")
    contact = find_or_create_contact(
        details.email, details.first_name, details.last_name, details.phone
    )
    request = TrainingRequest(
        organisation_name=details.organisation_name,
        organisation_type=details.organisation_type,
        contact=contact,
        audience=details.audience,
        estimated_size=details.estimated_size,
        preferred_1=dates[0],
        preferred_2=dates[1] if len(dates) > 1 else None,
        preferred_3=dates[2] if len(dates) > 2 else None,
        place=details.place,
        notes=details.notes,
    )
    db.session.add(request)
    db.session.flush()
    notify.training_received(request)
    return request


def _decide(request: TrainingRequest, status: TrainingRequestStatus, user) -> None:
    if request.status != TrainingRequestStatus.PENDING:
        raise EventError(f"This request was already {request.status.value}.")
    request.status = status
    request.decided_at = utcnow()
    request.decided_by_id = user.id if user else None


def accept_request(request: TrainingRequest, event_data: dict, presenters: list, user):
    """Schedule the training as an event and send the requester a confirmation with .ics."""
    _decide(request, TrainingRequestStatus.ACCEPTED, user)
    data = dict(event_data)
    data["venue"] = data.get("venue") or request.place
    data["audiences"] = data.get("audiences") or [request.audience.value]
    event = create_event(data, presenters)
    request.event = event
    db.session.flush()
    if request.contact and request.contact.email:
        notify.training_accepted(request)
    return event


def decline_request(request: TrainingRequest, message: str, user) -> None:
    _decide(request, TrainingRequestStatus.DECLINED, user)
    request.decline_message = message
    db.session.flush()
    if request.contact and request.contact.email:
        notify.training_declined(request)
