"""Reminders before each pledge instalment, through the outbox, each sent once: the
instalment's `reminded_at` is claimed by a conditional update in the same transaction as
the message, so a second run (or two at once) sends nothing twice."""

from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from crm.donations.pledge_models import Pledge, PledgeInstalment, PledgeStatus
from crm.donations.pledges import state_of
from crm.donations.services import org_today
from crm.extensions import db
from crm.formats import format_date
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments.money import format_money


def due_instalments(today: date) -> list[PledgeInstalment]:
    """Instalments of open pledges due in the coming days, not reminded yet."""
    horizon = today + timedelta(days=current_app.config["PLEDGE_REMINDER_DAYS"])
    query = (
        select(PledgeInstalment)
        .join(Pledge)
        .options(
            joinedload(PledgeInstalment.pledge).joinedload(Pledge.contact),
            joinedload(PledgeInstalment.pledge).selectinload(Pledge.instalments),
        )
        .where(
            Pledge.status == PledgeStatus.OPEN,
            PledgeInstalment.reminded_at.is_(None),
            PledgeInstalment.due_on >= today,
            PledgeInstalment.due_on <= horizon,
        )
        .order_by(PledgeInstalment.due_on, PledgeInstalment.id)
    )
    return list(db.session.scalars(query).unique())


def send_reminders(today: date | None = None) -> int:
    today = today or org_today()
    instalments = due_instalments(today)
    sent = 0
    for instalment in instalments:
        pledge, contact = instalment.pledge, instalment.pledge.contact
        state = state_of(pledge, pledge.received_cents, today)
        owed = next(
            (s.instalment.amount_cents - s.paid_cents for s in state.instalments
             if s.instalment.id == instalment.id), 0,
        )  # fmt: skip
        if owed <= 0 or not contact.email or contact.do_not_contact:
            continue  # paid ahead, or nobody to write to: nothing is claimed
        if _claim(instalment):
            _queue(pledge, instalment, owed, state.balance_cents)
            sent += 1
    return sent


def _claim(instalment: PledgeInstalment) -> bool:
    return bool(
        db.session.execute(
            update(PledgeInstalment)
            .where(PledgeInstalment.id == instalment.id, PledgeInstalment.reminded_at.is_(None))
            .values(reminded_at=utcnow())
        ).rowcount
    )


def _queue(pledge: Pledge, instalment: PledgeInstalment, owed: int, balance: int) -> None:
    org = current_app.config["ORG_NAME"]
    queue_email(
        to=pledge.contact.email,
        template="donations/email/pledge_reminder",
        subject=f"Your pledge to {org}: {format_money(owed, pledge.currency)} "
        f"due {format_date(instalment.due_on, 'long')}",
        contact=pledge.contact,
        due_on=instalment.due_on,
        owed=format_money(owed, pledge.currency),
        pledged=format_money(pledge.amount_cents, pledge.currency),
        balance=format_money(balance, pledge.currency),
        give_url=current_app.config["BASE_URL"].rstrip("/") + "/give",
    )
