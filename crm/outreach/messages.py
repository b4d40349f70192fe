"""One recipient's message: the compiled mailing filled in, with the headers that bulk mail
needs (RFC 8058 one-click unsubscribe, List-Id) and a bounce address of its own (VERP)."""

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app

from crm.modelbase import utcnow
from crm.outreach import tokens
from crm.outreach.render import Compiled, Links, fill


@dataclass(frozen=True)
class Envelope:
    """What stays the same for every message of a mailing."""

    mailing_id: int
    from_name: str
    reply_to: str | None
    topic: object  # Topic or None: a message about a registration has no unsubscribe
    base_url: str
    sender: str  # MAIL_DEFAULT_SENDER

    @property
    def domain(self) -> str:
        return self.sender.rpartition("@")[2]


def envelope(mailing) -> Envelope:
    config = current_app.config
    return Envelope(mailing.id, mailing.from_name, mailing.reply_to, mailing.topic,
                    config["BASE_URL"].rstrip("/"), config["MAIL_DEFAULT_SENDER"])  # fmt: skip


def recipient_links(env: Envelope, recipient_id: int, contact_id: int | None) -> Links:
    base = env.base_url
    return Links(
        link=lambda n: f"{base}/email/c/{tokens.sign('click', [recipient_id, n])}",
        unsubscribe=f"{base}/email/unsubscribe/{tokens.sign('unsubscribe', recipient_id)}",
        preferences=f"{base}/email/preferences/"
        + tokens.sign("preferences", [contact_id or 0, recipient_id]),
        pixel=f"{base}/email/o/{tokens.sign('open', recipient_id)}.gif",
    )


def preview_links(compiled: Compiled, base_url: str) -> Links:
    """Links of a preview or a test: straight to their targets, nothing tracked or signed."""
    return Links(link=lambda n: compiled.links[n], unsubscribe=f"{base_url}/email/unsubscribe/test",
                 preferences=f"{base_url}/email/preferences/test", pixel="")  # fmt: skip


def bounce_address(recipient_id: int) -> str:
    return tokens.address("bounce", "MAILING_BOUNCE_ADDRESS", recipient_id)


def unsubscribe_address(recipient_id: int) -> str:
    return tokens.address("unsubscribe", "MAILING_UNSUBSCRIBE_ADDRESS", recipient_id)


def build(env: Envelope, compiled: Compiled, to: str, values: dict, links: Links,
          recipient_id: int | None = None) -> EmailMessage:  # fmt: skip
    """The message for one person. Without a recipient id (a test) there are no list headers."""
    email = EmailMessage()
    email["From"] = Address(display_name=env.from_name, addr_spec=env.sender)
    email["To"] = to
    if env.reply_to:
        email["Reply-To"] = env.reply_to
    email["Subject"] = fill(compiled.subject, compiled, values, links, escape=False)
    email["Date"] = format_datetime(utcnow())
    if recipient_id is not None:
        # The same id on a resent copy, so a duplicate would be seen for what it is.
        email["Message-ID"] = f"<m{env.mailing_id}.r{recipient_id}@{env.domain}>"
        _list_headers(email, env, links, recipient_id)
    email.set_content(fill(compiled.text, compiled, values, links, escape=False))
    email.add_alternative(fill(compiled.html, compiled, values, links, escape=True), subtype="html")
    return email


def _list_headers(email: EmailMessage, env: Envelope, links: Links, recipient_id: int) -> None:
    topic = env.topic
    if topic is None:
        return
    email["List-Id"] = f"{topic.label} <{topic.value}.{env.domain}>"
    mailto = f"mailto:{unsubscribe_address(recipient_id)}?subject=unsubscribe"
    email["List-Unsubscribe"] = f"<{links.unsubscribe}>, <{mailto}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
