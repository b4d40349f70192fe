"""The Needs attention list: Stripe events the CRM could not record by itself — a payment
with no email to find its donor by, a refund or dispute of a charge no gift knows, an event
that kept failing — and what staff do about each: link it to a contact or to a gift, try it
again, or dismiss it with a note. Each action handles the event through the inbox (which
commits), so it is recorded exactly as if it had gone through by itself."""

from sqlalchemy import func, select

from crm.contacts.models import Contact
from crm.contacts.normalise import email_key
from crm.donations import inbox
from crm.donations.models import Donation, StripeEvent, StripeEventStatus
from crm.donations.services import DonationError
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments.payloads import id_of

OPEN = (StripeEventStatus.ATTENTION, StripeEventStatus.FAILED, StripeEventStatus.WAITING)
# Objects whose events record a payment, and so need a donor.
PAYMENTS = {"checkout.session", "invoice", "charge"}


def open_query():
    return (
        select(StripeEvent)
        .where(StripeEvent.status.in_(OPEN))
        .order_by(StripeEvent.status, StripeEvent.received_at)
    )


def open_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(StripeEvent).where(StripeEvent.status.in_(OPEN))
    )


def actions(event: StripeEvent) -> set[str]:
    """What staff may do with this event: "contact" for a payment, "gift" for what is about
    a charge (refunds, disputes, a charge's fee), always "retry" and "dismiss"."""
    obj = event.payload.get("data", {}).get("object", {})
    found = {"retry", "dismiss"}
    if obj.get("object") in PAYMENTS and event.type != "charge.refunded":
        found.add("contact")
    if obj.get("object") in {"charge", "dispute", "invoice_payment"}:
        found.add("gift")
    return found


def _open_event(event_id: str) -> StripeEvent:
    event = db.session.get(StripeEvent, event_id)
    if event is None or event.status not in OPEN:
        raise DonationError("This event is not waiting for anyone any more.")
    return event


def find_contact(text: str) -> Contact | None:
    """A contact by its number ("#42", "42") or email address."""
    text = (text or "").strip()
    if text.lstrip("#").isdigit():
        return db.session.get(Contact, int(text.lstrip("#")))
    return db.session.scalars(
        select(Contact).where(Contact.email_key == email_key(text)).order_by(Contact.id)
    ).first()


def link_contact(event_id: str, contact: Contact, user) -> inbox.Outcome:
    event = _open_event(event_id)
    if "contact" not in actions(event):
        raise DonationError("This event records no payment, so it has no donor to choose.")
    return _resolve(event, {"contact_id": contact.id}, user)


def link_gift(event_id: str, donation: Donation, user) -> inbox.Outcome:
    """The event is about a charge the CRM knows under another record (a gift imported from
    a file, or entered by hand): the gift takes the charge's ids, then the event is handled."""
    event = _open_event(event_id)
    obj = event.payload["data"]["object"]
    if obj.get("object") == "charge":
        charge, payment_intent = obj["id"], id_of(obj.get("payment_intent"))
    else:
        charge, payment_intent = id_of(obj.get("charge")), id_of(obj.get("payment_intent"))
        payment = obj.get("payment") or {}
        payment_intent = payment_intent or id_of(payment.get("payment_intent"))
        charge = charge or id_of(payment.get("charge"))
    _claim(donation, "stripe_charge_id", charge)
    _claim(donation, "stripe_payment_intent_id", payment_intent)
    return _resolve(event, {"donation_id": donation.id}, user)


def _claim(donation: Donation, column: str, ref: str | None) -> None:
    if not ref:
        return
    current = getattr(donation, column)
    if current and current != ref:
        raise DonationError(f"Gift #{donation.id} is already paid by {current}, not {ref}.")
    holder = db.session.scalar(select(Donation.id).where(getattr(Donation, column) == ref))
    if holder not in (None, donation.id):
        raise DonationError(f"{ref} already belongs to gift #{holder}.")
    setattr(donation, column, ref)


def retry(event_id: str, user) -> inbox.Outcome:
    return _resolve(_open_event(event_id), None, user)


def dismiss(event_id: str, note: str, user) -> None:
    """Nothing is to be recorded (a test payment, a charge for something else): the event is
    closed with the note and who decided. The caller commits."""
    event = _open_event(event_id)
    event.status = StripeEventStatus.DISMISSED
    event.note = note
    event.resolved_by_id = user.id
    event.resolved_at = utcnow()
    event.next_attempt_at = None
    db.session.flush()


def _resolve(event: StripeEvent, resolution: dict | None, user) -> inbox.Outcome:
    if resolution is not None:
        event.resolution = resolution
    event.resolved_by_id = user.id
    event.resolved_at = utcnow()
    db.session.commit()
    return inbox.process(event.id)
