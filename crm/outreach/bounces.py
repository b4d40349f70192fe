"""Mail that comes back: delivery-status notifications (RFC 3464), spam complaints (ARF,
RFC 5965) and unsubscribe requests sent to the List-Unsubscribe mailto address, read from a
mailbox (Maildir or mbox) by `flask crm bounces`.

A report is tied to its recipient by the address it came back to (each message has its own
signed bounce address, VERP), or else by our Message-ID in the returned headers when the
reported address is that recipient's. A permanent failure (Action: failed, Status 5.x.x)
bounces the recipient and suppresses the address; a failure after retries (4.x.x) marks the
recipient failed without suppressing anyone; delays are ignored. Reading is idempotent."""

import mailbox
import re
from collections import Counter
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import update

from crm.contacts.normalise import email_key
from crm.dataio.models import ConsentMethod
from crm.extensions import db
from crm.outreach import consent, records, responses, tokens
from crm.outreach.models import EventKind, MailingRecipient, SuppressionReason
from crm.outreach.models import RecipientStatus as Status

ENVELOPE_HEADERS = ("X-Original-To", "Delivered-To", "Envelope-To", "X-Envelope-To", "To")
OUR_MESSAGE_ID = re.compile(r"<m(\d+)\.r(\d+)@[^>]+>")
_parser = BytesParser(policy=policy.default)


def _addresses(message: EmailMessage, names=ENVELOPE_HEADERS) -> list[str]:
    values = [str(v) for name in names for v in (message.get_all(name) or [])]
    return [address for _, address in getaddresses(values) if address]


def _by_address(message: EmailMessage, purpose: str, setting: str) -> MailingRecipient | None:
    for address in _addresses(message):
        number = tokens.read_address(purpose, setting, address)
        if number is not None:
            return db.session.get(MailingRecipient, number)
    return None


def _returned_headers(message: EmailMessage) -> EmailMessage | None:
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            return _parser.parsebytes(part.get_content().encode("utf-8", "replace"))
        if kind == "message/rfc822":
            inner = part.get_payload()
            return inner[0] if isinstance(inner, list) else inner
    return None


def _by_message_id(message: EmailMessage, reported: set[str]) -> MailingRecipient | None:
    original = _returned_headers(message)
    match = OUR_MESSAGE_ID.search(str(original.get("Message-ID", ""))) if original else None
    if not match:
        return None
    row = db.session.get(MailingRecipient, int(match.group(2)))
    if row is None or row.mailing_id != int(match.group(1)) or row.email_key not in reported:
        return None  # an id alone is not proof: the reported address must be the recipient's
    return row


def _field_address(value) -> str | None:
    """'rfc822; someone@example.org' -> its key."""
    text = str(value or "")
    return email_key(text.split(";", 1)[-1].strip().strip("<>")) if text else None


def _status_blocks(message: EmailMessage) -> list:
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            blocks = part.get_payload()
            return blocks[1:] if isinstance(blocks, list) else []
    return []


def _read_dsn(message: EmailMessage, counts: Counter) -> None:
    failures = []
    for block in _status_blocks(message):
        action = str(block.get("Action", "")).strip().lower()
        status = str(block.get("Status", "")).strip()
        if action != "failed":
            counts["delays and other notices"] += 1
            continue
        keys = {_field_address(block.get(f)) for f in ("Final-Recipient", "Original-Recipient")}
        detail = " ".join(str(block.get("Diagnostic-Code") or f"Status {status}").split())
        failures.append((status.startswith("5"), keys - {None}, f"{status} {detail}"[:500]))
    if not failures:
        return
    reported = set().union(*(keys for _, keys, _ in failures))
    row = _by_address(message, "bounce", "MAILING_BOUNCE_ADDRESS") or _by_message_id(
        message, reported
    )
    if row is None:
        counts["reports for no recipient of ours"] += 1
        return
    permanent, _, detail = failures[0]
    if permanent:
        bounce(row, detail)
        counts["bounces"] += 1
    else:
        _set_status(row, Status.FAILED, detail)
        counts["failures after retries (not suppressed)"] += 1


def _set_status(row: MailingRecipient, status: Status, detail: str) -> None:
    db.session.execute(
        update(MailingRecipient).where(MailingRecipient.id == row.id)
        .values(status=status, last_error=detail[:500], claim=None)
    )  # fmt: skip


def bounce(row: MailingRecipient, detail: str) -> None:
    if row.status != Status.BOUNCED:
        _set_status(row, Status.BOUNCED, detail)
        records.add_events(db.session, row.mailing_id, [(row.id, detail)], EventKind.BOUNCED)
    records.suppress(db.session, [(row.email_key, detail)], SuppressionReason.BOUNCED)


def _read_complaint(message: EmailMessage, counts: Counter) -> None:
    fields = next((p for p in message.walk() if p.get_content_type() == "message/feedback-report"),
                  None)  # fmt: skip
    reported = set()
    if fields is not None:
        blocks = fields.get_payload()
        first = blocks[0] if isinstance(blocks, list) and blocks else fields
        reported = {email_key(a) for a in _addresses(first, ("Original-Rcpt-To",))}
        original_from = _addresses(first, ("Original-Mail-From",))
        for address in original_from:
            number = tokens.read_address("bounce", "MAILING_BOUNCE_ADDRESS", address)
            if number is not None and (row := db.session.get(MailingRecipient, number)):
                return _complaint(row, counts)
    row = _by_address(message, "bounce", "MAILING_BOUNCE_ADDRESS") or _by_message_id(
        message, reported
    )
    if row is None:
        counts["reports for no recipient of ours"] += 1
    else:
        _complaint(row, counts)


def _complaint(row: MailingRecipient, counts: Counter) -> None:
    if responses.record_once(row, EventKind.COMPLAINED, "reported as spam"):
        records.suppress(db.session, [(row.email_key, "reported as spam")],
                         SuppressionReason.COMPLAINED)  # fmt: skip
        if row.contact is not None:
            consent.unsubscribe_all(row.contact, ConsentMethod.UNSUBSCRIBE_LINK,
                                    "Reported one of our messages as spam")  # fmt: skip
    counts["spam complaints"] += 1


def read_message(raw: bytes, counts: Counter) -> None:
    """Act on one message of the mailbox."""
    message = _parser.parsebytes(raw)
    report = message.get_param("report-type", "") if message.get_content_type() == (
        "multipart/report") else ""  # fmt: skip
    if str(report).lower() == "delivery-status":
        _read_dsn(message, counts)
    elif str(report).lower() == "feedback-report":
        _read_complaint(message, counts)
    elif row := _by_address(message, "unsubscribe", "MAILING_UNSUBSCRIBE_ADDRESS"):
        responses.unsubscribe(row, "Unsubscribe email")
        counts["unsubscribe requests"] += 1
    else:
        counts["not a report (left alone)"] += 1
    db.session.flush()


def read_mailbox(path: str, commit, keep: bool = False) -> Counter:
    """Read every message of a Maildir or mbox, calling `commit` after each, and remove it
    once its outcome is committed (unless `keep`)."""
    folder = Path(path)
    box = (
        mailbox.Maildir(folder, factory=None, create=False)
        if folder.is_dir()
        else mailbox.mbox(folder, factory=None, create=False)
    )
    counts = Counter()
    box.lock()
    try:
        for key in list(box.keys()):
            read_message(box.get_bytes(key), counts)
            commit()
            counts["messages read"] += 1
            if not keep:
                box.remove(key)
        box.flush()
    finally:
        box.unlock()
        box.close()
    return counts
