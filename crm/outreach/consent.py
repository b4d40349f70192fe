"""Consent per email topic. Every change is a record in the consent log (what, given or
withdrawn, when, how); a flush listener keeps each contact's latest word per topic in
`email_subscriptions`, whoever wrote the record (the preference page, an unsubscribe link,
or staff on the consent log page). A contact with no word on a topic follows their general
email opt-in."""

from datetime import datetime

from sqlalchemy import and_, event, exists, insert, not_, or_, select, update
from sqlalchemy.orm import Session

from crm.contacts.models import Contact
from crm.dataio.models import ConsentMethod, ConsentRecord
from crm.extensions import db
from crm.modelbase import utcnow
from crm.outreach.models import EmailSubscription, Topic

TOPIC_BY_KEY = {topic.consent_key: topic for topic in Topic}
GENERAL_KEY = "email_updates"  # the general opt-in's name in the consent log (imports use it)


def _said(topic: Topic, subscribed: bool):
    return exists().where(
        EmailSubscription.contact_id == Contact.id,
        EmailSubscription.topic == topic,
        EmailSubscription.subscribed.is_(subscribed),
    )


def unsubscribed(topic: Topic):
    """SQL: the contact said no to this topic."""
    return _said(topic, False)


def subscribed(topic: Topic):
    """SQL: the contact said yes to this topic, or said nothing and opted in to email."""
    return or_(_said(topic, True), and_(Contact.email_opt_in.is_(True), not_(_said(topic, False))))


def topic_states(contact: Contact) -> dict[Topic, bool]:
    said = dict(
        db.session.execute(
            select(EmailSubscription.topic, EmailSubscription.subscribed).where(
                EmailSubscription.contact_id == contact.id
            )
        ).all()
    )
    return {topic: said.get(topic, contact.email_opt_in) for topic in Topic}


def change_topics(
    contact: Contact,
    wanted: dict[Topic, bool],
    method: ConsentMethod,
    note: str | None = None,
    user_id: int | None = None,
) -> list[Topic]:
    """Record the topics whose answer changes; returns them."""
    now = utcnow()
    current = topic_states(contact)
    changed = [topic for topic, yes in wanted.items() if current[topic] != yes]
    for topic in changed:
        db.session.add(ConsentRecord(
            contact_id=contact.id, topic=topic.consent_key, granted=wanted[topic], method=method,
            given_at=now, recorded_by_id=user_id, note=(note or "")[:500] or None,
        ))  # fmt: skip
    db.session.flush()
    return changed


def unsubscribe_all(contact: Contact, method: ConsentMethod, note: str | None = None) -> None:
    """Every topic withdrawn, and the general opt-in with them."""
    change_topics(contact, dict.fromkeys(Topic, False), method, note)
    if contact.email_opt_in:
        contact.email_opt_in = False
        db.session.add(ConsentRecord(
            contact_id=contact.id, topic=GENERAL_KEY, granted=False, method=method,
            given_at=utcnow(), note=(note or "")[:500] or None,
        ))  # fmt: skip
    db.session.flush()


def _remember(connection, contact_id: int, topic: Topic, granted: bool, at: datetime) -> None:
    table = EmailSubscription.__table__
    values = {"subscribed": granted, "changed_at": at}
    where = and_(table.c.contact_id == contact_id, table.c.topic == topic.value)
    # A consent given earlier than the latest word (a paper form typed in late) does not
    # override it: the log keeps it, the state keeps the newer answer.
    newer = connection.execute(update(table).where(where, table.c.changed_at <= at).values(values))
    if (
        not newer.rowcount
        and connection.execute(select(table.c.topic).where(where)).first() is None
    ):
        connection.execute(insert(table).values(contact_id=contact_id, topic=topic, **values))


def _after_flush(session: Session, flush_context) -> None:
    records = [o for o in session.new if isinstance(o, ConsentRecord) and o.topic in TOPIC_BY_KEY]
    for record in sorted(records, key=lambda r: (r.given_at, r.id)):
        _remember(session.connection(), record.contact_id, TOPIC_BY_KEY[record.topic],
                  record.granted, record.given_at)  # fmt: skip


def register() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
