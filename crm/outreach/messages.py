"""One recipient's message: the compiled mailing filled in, with the headers that bulk mail
needs (RFC 8058 one-click unsubscribe, List-Id) and a bounce address of its own (VERP)."""

from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr

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


# Built with the email package's compat32 classes and flattened once: the modern API parses
# and refolds every header on the way, which was half of a message's cost.
UTF8 = Charset("utf-8")
UTF8.body_encoding = QP  # readable in the raw message; base64 would be a third larger
WIRE = compat32.clone(linesep="\r\n")


def _header(value: str):
    return value if value.isascii() else Header(value, "utf-8")


def build(env: Envelope, compiled: Compiled, to: str, values: dict, links: Links,
          recipient_id: int | None = None) -> bytes:  # fmt: skip
    """The message for one person, as the bytes that go over SMTP. Without a recipient id
    (a test) there are no list headers."""
    email = MIMEMultipart("alternative")
    email["From"] = formataddr((env.from_name, env.sender), "utf-8")
    email["To"] = to
    if env.reply_to:
        email["Reply-To"] = env.reply_to
    subject = fill(compiled.subject, compiled, values, links, escape=False)
    email["Subject"] = _header(" ".join(subject.split()))  # a merged name cannot add a line
    email["Date"] = format_datetime(utcnow())
    if recipient_id is not None:
        # The same id on a resent copy, so a duplicate would be seen for what it is.
        email["Message-ID"] = f"<m{env.mailing_id}.r{recipient_id}@{env.domain}>"
        _list_headers(email, env, links, recipient_id)
    text = fill(compiled.text, compiled, values, links, escape=False)
    markup = fill(compiled.html, compiled, values, links, escape=True)
    email.attach(MIMEText(text, "plain", UTF8))
    email.attach(MIMEText(markup, "html", UTF8))
    return email.as_bytes(policy=WIRE)


def _list_headers(email, env: Envelope, links: Links, recipient_id: int) -> None:
    topic = env.topic
    if topic is None:
        return
    email["List-Id"] = f"{topic.label} <{topic.value}.{env.domain}>"
    mailto = f"mailto:{unsubscribe_address(recipient_id)}?subject=unsubscribe"
    email["List-Unsubscribe"] = f"<{links.unsubscribe}>, <{mailto}>"
    email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
