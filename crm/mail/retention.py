"""What the outbox keeps of a message once it is delivered, and for how long.

A private link (a password reset, an invitation, a registration's cancel link, a receipt or a
monthly gift's page) works for whoever holds it, so the outbox must not keep it in clear: a
copy of the database or a backup would hold live links. Which links are private is read from
the routes themselves: a URL whose route takes an argument (or whose query has a parameter)
named like `token`, so the links of features added later are found too. Once delivered, a
message keeps its recipient, subject and the rest of its text, with those links removed.

Delivered and failed messages are deleted after MAIL_RETENTION_DAYS.
"""

import html
import logging
import re
from datetime import timedelta
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from crm.mail.models import MailStatus, OutboundEmail
from crm.modelbase import utcnow

log = logging.getLogger("crm.mail")

REMOVED = "[removed]"
# A link's end: white space, quotes and angle brackets never belong to an emailed URL.
LINK = re.compile(r"https?://[^\s\"'<>]+")


def _is_secret_name(name: str) -> bool:
    return name.lower().endswith("token")


def secret_values(url: str) -> list[str]:
    """The private parts of a link to this site: the values of its route's token arguments
    and token query parameters (none for any other link)."""
    parts = urlsplit(html.unescape(url))
    values = [v for k, v in parse_qsl(parts.query) if _is_secret_name(k) and v]
    path = unquote(parts.path)
    prefix = urlsplit(current_app.config["BASE_URL"]).path.rstrip("/")
    if prefix and path.startswith(prefix + "/"):
        path = path[len(prefix) :]
    try:
        _, arguments = current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:  # not a page of ours (or only by another method)
        return values
    return values + [str(v) for k, v in arguments.items() if _is_secret_name(k)]


def remove_secret_links(text: str | None) -> str | None:
    """The text with the private part of every private link replaced by "[removed]"."""
    if not text:
        return text

    def scrub(match: re.Match) -> str:
        url = match.group(0)
        for value in secret_values(url):
            for form in {value, html.escape(value), quote(value, safe="")}:
                url = url.replace(form, REMOVED)
        return url

    return LINK.sub(scrub, text)


def redact_delivered(message: OutboundEmail) -> bool:
    """Take the private links out of a delivered message (its body, HTML and text
    attachments); True if there were any. The caller commits."""
    changed = False
    for name in ("text_body", "html_body"):
        before = getattr(message, name)
        after = remove_secret_links(before)
        if after != before:
            setattr(message, name, after)
            changed = True
    if message.attachments:
        attachments = [
            {**a, "content": remove_secret_links(a["content"])}
            if a["content_type"].startswith("text/")
            else a
            for a in message.attachments
        ]
        if attachments != message.attachments:
            message.attachments = attachments
            changed = True
    if changed:
        log.info("removed private links from delivered message %s", message.id)
    return changed


def prune(session: Session, days: int | None = None) -> int:
    """Delete sent and failed messages older than the retention period; returns how many."""
    days = current_app.config["MAIL_RETENTION_DAYS"] if days is None else days
    cutoff = utcnow() - timedelta(days=days)
    deleted = session.execute(
        delete(OutboundEmail).where(
            OutboundEmail.status.in_((MailStatus.SENT, MailStatus.FAILED)),
            OutboundEmail.created_at < cutoff,
        )
    ).rowcount
    if deleted:
        log.info("deleted %s outbox message(s) older than %s days", deleted, days)
    return deleted
