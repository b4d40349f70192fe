"""What people do with a message: follow a link, unsubscribe (by link, one-click POST or a
mailto request), change their preferences, open it (when tracking is on). Each is recorded
on the recipient's row; consent changes go to the consent log."""

from sqlalchemy import exists, select

from crm.dataio.models import ConsentMethod
from crm.extensions import db
from crm.outreach import consent, records, tokens
from crm.outreach.models import EventKind, MailingEvent, MailingRecipient, Topic


def recipient(purpose: str, token: str) -> MailingRecipient | None:
    """The recipient of an unsubscribe or open link."""
    value = tokens.read(purpose, token)
    return db.session.get(MailingRecipient, value) if type(value) is int else None


def record_once(row: MailingRecipient, kind: EventKind, detail: str = "") -> bool:
    seen = db.session.scalar(
        select(exists().where(MailingEvent.recipient_id == row.id, MailingEvent.kind == kind))
    )
    if not seen:
        records.add_events(db.session, row.mailing_id, [(row.id, detail)], kind)
    return not seen


def unsubscribe(row: MailingRecipient, how: str) -> Topic | None:
    """Take the person off the mailing's topic (off everything for a message with none)."""
    mailing, contact = row.mailing, row.contact
    note = f"{how} in “{mailing.subject}”"[:500]
    if contact is not None:
        if mailing.topic is not None:
            consent.change_topics(contact, {mailing.topic: False}, ConsentMethod.UNSUBSCRIBE_LINK,
                                  note)  # fmt: skip
        else:
            consent.unsubscribe_all(contact, ConsentMethod.UNSUBSCRIBE_LINK, note)
    record_once(row, EventKind.UNSUBSCRIBED, how)
    db.session.flush()
    return mailing.topic


def click(row: MailingRecipient, number: int) -> str | None:
    """The link's address (from the mailing, never from the request), the click recorded."""
    links = row.mailing.links or []
    if not 0 <= number < len(links):
        return None
    records.add_events(db.session, row.mailing_id, [(row.id, "")], EventKind.CLICKED, number)
    return links[number]


def opened(row: MailingRecipient) -> None:
    record_once(row, EventKind.OPENED)


def contact_of_preferences(token: str):
    """(contact, recipient or None) of a preference link."""
    from crm.contacts.models import Contact

    value = tokens.read("preferences", token)
    if not (isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value)):
        return None, None
    contact = db.session.get(Contact, value[0]) if value[0] else None
    row = db.session.get(MailingRecipient, value[1]) if value[1] else None
    if contact is None and row is not None:
        contact = row.contact
    return contact, row


def save_preferences(contact, row: MailingRecipient | None, wanted: dict[Topic, bool]) -> list:
    changed = consent.change_topics(contact, wanted, ConsentMethod.PREFERENCE_PAGE,
                                    "Email preference page")  # fmt: skip
    if not any(wanted.values()) and contact.email_opt_in:
        consent.unsubscribe_all(contact, ConsentMethod.PREFERENCE_PAGE, "Email preference page")
    if row is not None and row.mailing.topic in changed and not wanted[row.mailing.topic]:
        record_once(row, EventKind.UNSUBSCRIBED, "preference page")
    db.session.flush()
    return changed
