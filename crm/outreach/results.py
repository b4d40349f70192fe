"""What each mailing did: recipients and their outcomes, unique clicks and unsubscribes, and
the gifts and registrations it brought within the attribution window (30 days by default).

Four queries for any number of mailings. A gift is the mailing's when it carries the
mailing's source code (giving links in the message add it) and arrived between the start of
the send and the end of the window; it counts as the dashboard counts money (every gift that
did not fail, gross). A registration is the mailing's when a recipient it reached registered
in the window."""

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, func, select

from crm.donations.models import Donation, DonationStatus
from crm.events.models import Registration
from crm.extensions import db
from crm.outreach.models import (
    EventKind,
    Mailing,
    MailingEvent,
    MailingRecipient,
    MailingStatus,
)
from crm.outreach.models import RecipientStatus as Status


@dataclass
class Figures:
    recipients: int = 0
    delivered: int = 0  # accepted by the receiving server and not bounced since
    bounced: int = 0
    failed: int = 0  # temporary refusals until the retries ran out
    waiting: int = 0  # not tried yet, or waiting for a retry
    cancelled: int = 0
    clicked: int = 0  # people who followed at least one link
    opened: int = 0  # only when open tracking is on
    unsubscribed: int = 0
    complained: int = 0
    gifts: int = 0
    gift_cents: int = 0
    registrations: int = 0

    def percent(self, part: int) -> str:
        base = self.delivered + self.bounced
        return f"{100 * part / base:.1f} %" if base else "–"


STATUS_FIELDS = {Status.SENT: "delivered", Status.BOUNCED: "bounced", Status.FAILED: "failed",
                 Status.PENDING: "waiting", Status.SENDING: "waiting",
                 Status.CANCELLED: "cancelled"}  # fmt: skip
EVENT_FIELDS = {
    EventKind.CLICKED: "clicked",
    EventKind.OPENED: "opened",
    EventKind.UNSUBSCRIBED: "unsubscribed",
    EventKind.COMPLAINED: "complained",
}


def figures(mailing_ids: list[int]) -> dict[int, Figures]:
    result = defaultdict(Figures)
    if not mailing_ids:
        return result
    R, E = MailingRecipient, MailingEvent
    by_status = select(R.mailing_id, R.status, func.count()).where(R.mailing_id.in_(mailing_ids))
    for mailing_id, status, n in db.session.execute(by_status.group_by(R.mailing_id, R.status)):
        row = result[mailing_id]
        row.recipients += n
        setattr(row, STATUS_FIELDS[status], getattr(row, STATUS_FIELDS[status]) + n)
    people = func.count(E.recipient_id.distinct())
    events = select(E.mailing_id, E.kind, people).where(E.mailing_id.in_(mailing_ids))
    for mailing_id, kind, n in db.session.execute(events.group_by(E.mailing_id, E.kind)):
        if kind in EVENT_FIELDS:
            setattr(result[mailing_id], EVENT_FIELDS[kind], n)
    for mailing_id, n, cents in db.session.execute(_gifts(mailing_ids)):
        result[mailing_id].gifts, result[mailing_id].gift_cents = n, cents or 0
    for mailing_id, n in db.session.execute(_registrations(mailing_ids)):
        result[mailing_id].registrations = n
    return result


def in_window(moment_column):
    return and_(moment_column >= Mailing.started_at, moment_column < Mailing.attribution_ends_at)


def attributed_gifts(mailing_id: int):
    """SELECT the gifts a mailing brought."""
    return (
        select(Donation)
        .join(Mailing, Mailing.source_code == Donation.source)
        .where(Mailing.id == mailing_id, Donation.status != DonationStatus.FAILED,
               in_window(Donation.received_at))
        .order_by(Donation.received_at)
    )  # fmt: skip


def _gifts(ids):
    return (
        select(Mailing.id, func.count(Donation.id), func.sum(Donation.amount_cents))
        .join(Donation, and_(Donation.source == Mailing.source_code,
                             in_window(Donation.received_at)))
        .where(Mailing.id.in_(ids), Donation.status != DonationStatus.FAILED)
        .group_by(Mailing.id)
    )  # fmt: skip


def _registrations(ids):
    R = MailingRecipient
    return (
        select(Mailing.id, func.count(Registration.id.distinct()))
        .join(R, and_(R.mailing_id == Mailing.id, R.status == Status.SENT))
        .join(Registration, and_(Registration.contact_id == R.contact_id,
                                 Registration.walk_in.is_(False),
                                 in_window(Registration.created_at)))
        .where(Mailing.id.in_(ids))
        .group_by(Mailing.id)
    )  # fmt: skip


def of_campaign(campaign_id: int | None, started_from=None, started_before=None) -> list:
    """[(mailing, figures)] of the mailings that went (or are going), newest first."""
    query = select(Mailing).where(
        Mailing.status.in_([MailingStatus.SENDING, MailingStatus.SENT, MailingStatus.CANCELLED]),
        Mailing.started_at.is_not(None),
    )
    if campaign_id:
        query = query.where(Mailing.campaign_id == campaign_id)
    if started_from is not None:
        query = query.where(Mailing.started_at >= started_from)
    if started_before is not None:
        query = query.where(Mailing.started_at < started_before)
    mailings = db.session.scalars(query.order_by(Mailing.started_at.desc()).limit(50)).all()
    found = figures([m.id for m in mailings])
    return [(m, found[m.id]) for m in mailings]
