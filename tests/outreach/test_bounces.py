"""`flask crm bounces` reads real delivery reports (RFC 3464), complaints (ARF) and mailto
unsubscribe requests from a mailbox, and acts on each once."""

import mailbox
import shutil
from pathlib import Path

from sqlalchemy import select

from crm.extensions import db as _db
from crm.outreach import consent, messages, results
from crm.outreach.models import (
    EventKind,
    MailingEvent,
    MailingRecipient,
    RecipientStatus,
    Suppression,
    SuppressionReason,
    Topic,
)
from tests.outreach.test_sending import _tag_condition, send

CORPUS = Path(__file__).parent / "dsn"
FILES = sorted(p.name for p in CORPUS.glob("*.eml"))
BOUNCED = {"postfix_user_unknown.eml", "exim_policy_reject.eml", "sendmail_host_unknown.eml",
           "office365_recipient_not_found.eml", "gmail_no_such_user.eml",
           "forwarded_without_tag.eml"}  # fmt: skip


def _fill(name: str, row: MailingRecipient) -> bytes:
    values = {
        "{to}": messages.bounce_address(row.id),
        "{bare}": "bounces@example.org",
        "{recipient}": row.email,
        "{message_id}": f"<m{row.mailing_id}.r{row.id}@example.org>",
        "{unsubscribe}": messages.unsubscribe_address(row.id),
    }
    text = (CORPUS / name).read_text()
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text.replace("\n", "\r\n").encode()


def _maildir(path: Path, messages_: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in messages_:
        box.add(raw)
    return path


def test_reports_from_a_maildir_bounce_complain_unsubscribe_or_change_nothing(
    db, mail, runner, tmp_path, make_contact, make_segment, make_mailing, make_user
):
    people = {name: make_contact(email=f"{Path(name).stem.replace('_', '.')}@example.net",
                                 email_opt_in=True, tags=["parents"])
              for name in FILES}  # fmt: skip
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    assert send(mailing, user) == "sent"
    rows = {r.contact_id: r for r in _db.session.scalars(select(MailingRecipient))}
    by_file = {name: rows[people[name].id] for name in FILES}
    box = _maildir(tmp_path / "bounces", [_fill(name, by_file[name]) for name in FILES])
    copy = shutil.copytree(box, tmp_path / "again")

    result = runner.invoke(args=["crm", "bounces", str(box)])
    assert result.exit_code == 0, result.output
    assert f"Read {len(FILES)} message(s)" in result.output
    assert "6 bounces" in result.output and "1 spam complaints" in result.output
    assert "1 unsubscribe requests" in result.output
    assert "1 failures after retries (not suppressed)" in result.output
    assert len(mailbox.Maildir(box)) == 0  # read and removed

    _db.session.expire_all()
    for name in FILES:
        row = _db.session.get(MailingRecipient, by_file[name].id)
        suppression = _db.session.get(Suppression, row.email_key)
        if name in BOUNCED:
            assert row.status == RecipientStatus.BOUNCED, name
            assert suppression.reason == SuppressionReason.BOUNCED, name
            assert row.last_error.startswith("5."), name
        elif name == "exim_retry_timeout.eml":
            assert row.status == RecipientStatus.FAILED and suppression is None
        elif name == "arf_complaint.eml":
            assert suppression.reason == SuppressionReason.COMPLAINED
            assert not any(consent.topic_states(row.contact).values())
        else:
            assert row.status == RecipientStatus.SENT and suppression is None, name
    unsubscribed = by_file["unsubscribe_request.eml"].contact
    assert consent.topic_states(unsubscribed)[Topic.APPEALS] is False
    assert consent.topic_states(unsubscribed)[Topic.NEWSLETTER] is True

    figures = results.figures([mailing.id])[mailing.id]
    assert (figures.bounced, figures.complained, figures.unsubscribed) == (6, 1, 1)
    assert figures.delivered == len(FILES) - 6 - 1  # the failed one is not delivered

    # the same reports again: nothing changes
    before = len(_db.session.scalars(select(MailingEvent)).all())
    assert runner.invoke(args=["crm", "bounces", str(copy), "--keep"]).exit_code == 0
    assert len(_db.session.scalars(select(MailingEvent)).all()) == before
    assert len(mailbox.Maildir(copy)) == len(FILES)  # --keep left them
    kinds = [e.kind for e in _db.session.scalars(select(MailingEvent))]
    assert kinds.count(EventKind.BOUNCED) == 6


def test_an_mbox_file_works_too(db, mail, runner, tmp_path, make_contact, make_segment,
                                make_mailing, make_user):  # fmt: skip
    make_contact(email="ada@example.net", email_opt_in=True, tags=["parents"])
    user = make_user("fundraiser")
    mailing = make_mailing(make_segment(_tag_condition()), user=user)
    send(mailing, user)
    row = _db.session.scalars(select(MailingRecipient)).one()
    box = mailbox.mbox(tmp_path / "bounces.mbox", create=True)
    box.add(_fill("postfix_user_unknown.eml", row))
    box.flush()
    box.close()
    result = runner.invoke(args=["crm", "bounces", str(tmp_path / "bounces.mbox")])
    assert "1 bounces" in result.output, result.output
    _db.session.expire_all()
    assert _db.session.get(MailingRecipient, row.id).status == RecipientStatus.BOUNCED
