"""Who a mailing goes to, who is left out and why, and the frozen recipient list.

Everything here is SQL over the contacts of the audience (a segment, an event's registrants,
a shift's volunteers): the reasons are one CASE, counted by one GROUP BY, and freezing the
list is one INSERT ... SELECT, so a mailing of 100,000 people never loads them in Python."""

from sqlalchemy import case, func, insert, literal, select

from crm.contacts.models import Contact
from crm.events.models import Registration, RegistrationStatus
from crm.extensions import db
from crm.modelbase import UTCDateTime, utcnow
from crm.outreach import consent, segments
from crm.outreach.conditions import ConditionError, contact_ids
from crm.outreach.models import Audience, MailingRecipient, RecipientStatus, Suppression
from crm.volunteers.models import Signup, SignupStatus, Volunteer

# Why someone is left out, in the order the reasons are looked at.
REASONS = {
    "no_email": "No email address",
    "do_not_contact": "Marked do not contact",
    "suppressed": "Bounced or reported a message as spam",
    "unsubscribed": "Unsubscribed from the topic",
    "not_subscribed": "Never subscribed to the topic",
    "duplicate": "Same address as another recipient (one message per address)",
}
EVENT_AUDIENCES = {"confirmed": "Confirmed registrations", "waitlisted": "The waitlist",
                   "attended": "People who attended"}  # fmt: skip


class AudienceError(ValueError):
    """The audience cannot be read (a segment's conditions no longer hold)."""


def candidates(mailing, user):
    """SELECT contacts.id of everyone the mailing is about, before anyone is left out."""
    if mailing.audience == Audience.SEGMENT:
        if mailing.segment is None:
            raise AudienceError("Choose a segment.")
        try:
            return contact_ids(segments.tree_of(mailing.segment, user))
        except (segments.SegmentError, ConditionError) as exc:
            raise AudienceError(str(exc)) from exc
    if mailing.audience == Audience.EVENT:
        return _registrants(mailing)
    query = (
        select(Volunteer.contact_id)
        .join(Signup, Signup.volunteer_id == Volunteer.id)
        .where(Signup.shift_id == mailing.shift_id, Signup.status == SignupStatus.CONFIRMED)
    )
    return query


def _registrants(mailing):
    query = select(Registration.contact_id).where(
        Registration.event_id == mailing.event_id, Registration.contact_id.is_not(None)
    )
    if mailing.event_audience == "waitlisted":
        return query.where(Registration.status == RegistrationStatus.WAITLISTED)
    if mailing.event_audience == "attended":
        return query.where(Registration.attended_at.is_not(None))
    return query.where(Registration.status == RegistrationStatus.CONFIRMED)


def _reason(mailing):
    """CASE: the first reason a contact is left out, or NULL."""
    whens = [
        (Contact.email_key.is_(None), "no_email"),
        (Contact.do_not_contact.is_(True), "do_not_contact"),
        (Contact.email_key.in_(select(Suppression.email_key)), "suppressed"),
    ]
    if mailing.topic is not None:
        whens += [
            (consent.unsubscribed(mailing.topic), "unsubscribed"),
            (~consent.subscribed(mailing.topic), "not_subscribed"),
        ]
    return case(*whens, else_=None)


def _people(mailing, user):
    return select(Contact.id, Contact.email_key, _reason(mailing).label("reason")).where(
        Contact.id.in_(candidates(mailing, user))
    )


def summary(mailing, user) -> tuple[int, dict[str, int]]:
    """(how many messages would go, {reason: people left out}) as of now."""
    segments.plain_plans()
    people = _people(mailing, user).subquery()
    rows = db.session.execute(
        select(people.c.reason, func.count(), func.count(people.c.email_key.distinct()))
        .group_by(people.c.reason)
    ).all()  # fmt: skip
    counts = {reason: n for reason, n, _ in rows}
    addresses = sum(distinct for reason, _, distinct in rows if reason is None)
    eligible = counts.pop(None, 0)
    left_out = {key: counts[key] for key in REASONS if counts.get(key)}
    if eligible - addresses:
        left_out["duplicate"] = eligible - addresses
    return addresses, left_out


def freeze(session, mailing, user) -> int:
    """Write the recipients, one per address (the lowest contact id holding it); returns how
    many. Runs in the caller's transaction."""
    segments.plain_plans(session)
    people = _people(mailing, user).subquery()
    chosen = select(func.min(people.c.id)).where(people.c.reason.is_(None))
    chosen = chosen.group_by(people.c.email_key)
    rows = select(
        literal(mailing.id), Contact.id, Contact.email, Contact.email_key,
        literal(RecipientStatus.PENDING.value), literal(0), literal(utcnow(), UTCDateTime),
    ).where(Contact.id.in_(chosen))  # fmt: skip
    table = MailingRecipient.__table__
    columns = ["mailing_id", "contact_id", "email", "email_key", "status", "attempts",
               "next_attempt_at"]  # fmt: skip
    session.execute(insert(table).from_select(columns, rows))
    written = select(func.count()).where(table.c.mailing_id == mailing.id)
    return session.scalar(written)
