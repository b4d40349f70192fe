"""Turning an outbox row into a real message and handing it to SMTP (or a file in development)."""

import base64
import enum
import smtplib
import time
import uuid
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from crm.mail.models import OutboundEmail
from crm.modelbase import utcnow


def build_message(message: OutboundEmail, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(idstring=f"crm-{message.id}", domain=sender.split("@")[-1])
    email.set_content(message.text_body)
    if message.html_body:
        email.add_alternative(message.html_body, subtype="html")
    for attachment in message.attachments or ():
        _attach(email, attachment)
    return email


def _attach(email: EmailMessage, attachment: dict) -> None:
    content_type, _, params = attachment["content_type"].partition(";")
    maintype, subtype = content_type.strip().split("/")
    extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
    if maintype == "text":
        email.add_attachment(
            attachment["content"], subtype=subtype, filename=attachment["filename"], params=extra
        )
    else:
        email.add_attachment(
            base64.b64decode(attachment["content"]), maintype=maintype, subtype=subtype,
            filename=attachment["filename"], params=extra,
        )  # fmt: skip


def send(message: OutboundEmail, config, connection: "Connection | None" = None) -> None:
    email = build_message(message, config["MAIL_DEFAULT_SENDER"])
    if connection is not None:
        connection.send(email, name=f"{message.id:06d}.eml")
        return
    with Connection(config) as fresh:
        fresh.send(email, name=f"{message.id:06d}.eml")


class Refusal(enum.Enum):
    PERMANENT = "permanent"  # a 5xx for this recipient or this message: never try again
    TEMPORARY = "temporary"  # a 4xx, a dropped connection, a timeout: try again later
    SENDER = "sender"  # our sender address or login was refused: nothing can go until fixed


def classify(exc: Exception) -> Refusal:
    """How to treat an error from `Connection.send`."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        permanent = codes and all(500 <= c < 600 for c in codes)
        return Refusal.PERMANENT if permanent else Refusal.TEMPORARY
    if isinstance(exc, smtplib.SMTPSenderRefused | smtplib.SMTPAuthenticationError):
        return Refusal.SENDER if 500 <= exc.smtp_code < 600 else Refusal.TEMPORARY
    if isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600:
        return Refusal.PERMANENT
    return Refusal.TEMPORARY


class Connection:
    """One SMTP session reused for many messages (the file backend writes .eml files).

    Opened on the first message. A session left idle a while is checked with NOOP before it
    is used again, and dialled anew if the server has closed it. A message that fails half-way
    is never sent again here: the server may have taken it, so the caller decides. After a
    refused recipient or message smtplib resets the session (RSET), and the next message goes
    on the same connection."""

    IDLE_CHECK = 5.0  # seconds

    def __init__(self, config):
        self.config = config
        self.smtp: smtplib.SMTP | None = None
        self.used_at = 0.0

    def __enter__(self) -> "Connection":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _open(self) -> smtplib.SMTP:
        config = self.config
        smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
        smtp = smtp_class(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
        )
        try:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        except Exception:
            smtp.close()
            raise
        return smtp

    def _alive(self) -> bool:
        try:
            return self.smtp.noop()[0] == 250
        except (smtplib.SMTPException, OSError):
            return False

    def ensure_open(self) -> None:
        """Connect now (errors here mean nothing was sent: the server is unreachable)."""
        if self.config["MAIL_BACKEND"] == "file":
            return
        if self.smtp is not None and time.monotonic() - self.used_at > self.IDLE_CHECK:
            if not self._alive():
                self._drop()
        if self.smtp is None:
            self.smtp = self._open()
            self.used_at = time.monotonic()

    def send(
        self,
        email: EmailMessage | bytes,
        envelope_from: str | None = None,
        name: str = "",
        to: str | None = None,
    ) -> None:
        """Send a message, or a message already flattened to bytes (then `envelope_from`
        and `to` are needed: nothing is read from its headers)."""
        if self.config["MAIL_BACKEND"] == "file":
            folder = Path(self.config["MAIL_FILE_DIR"])
            folder.mkdir(parents=True, exist_ok=True)
            (folder / (name or f"{uuid.uuid4().hex}.eml")).write_bytes(bytes(email))
            return
        self.ensure_open()
        try:
            if isinstance(email, bytes):
                utf8 = () if to.isascii() and (envelope_from or "").isascii() else ("SMTPUTF8",)
                self.smtp.sendmail(envelope_from, [to], email, mail_options=utf8)
            else:
                self.smtp.send_message(email, from_addr=envelope_from)
        except (smtplib.SMTPServerDisconnected, OSError):
            self._drop()
            raise
        finally:
            self.used_at = time.monotonic()

    def _drop(self) -> None:
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None
