"""Turning an outbox row into a real message and handing it to SMTP (or a file in development)."""

import base64
import smtplib
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


def send(message: OutboundEmail, config) -> None:
    email = build_message(message, config["MAIL_DEFAULT_SENDER"])
    if config["MAIL_BACKEND"] == "file":
        folder = Path(config["MAIL_FILE_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{message.id:06d}.eml").write_bytes(bytes(email))
        return
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]
    ) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)
