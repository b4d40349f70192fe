"""Year-end consolidated statements: one per donor and year, emailed once.

`statement_for_donor` writes the YearEndStatement row, claims `emailed_at` and stores the
outbox message in the caller's transaction, so they commit or vanish together; the CLI gives
each donor a transaction of its own (crm/donations/receipts_cli.py).
"""

import enum
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from crm.contacts.models import Contact
from crm.donations.credit_models import MatchingGift
from crm.donations.models import Donation, DonationStatus, ReceiptKind, YearEndStatement
from crm.donations.organisation import org_context
from crm.donations.receipts import public_url, sign, unsign
from crm.donations.services import DonationError, org_today
from crm.donations.statement_pdf import StatementData, StatementLine, StatementTotals
from crm.extensions import db
from crm.formats import format_date
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from crm.payments.money import format_money

STATEMENT_SALT = "year-end-statement-pdf"
FIRST_YEAR = 2000
# Gifts that appear on a statement: money that arrived, even if some or all went back.
ON_STATEMENT = (
    DonationStatus.SUCCEEDED,
    DonationStatus.PARTIALLY_REFUNDED,
    DonationStatus.REFUNDED,
)


class Outcome(enum.StrEnum):
    SENT = "sent"  # emailed now (or would be, in a dry run)
    ALREADY_SENT = "already_sent"  # emailed by an earlier run; nothing done
    NO_EMAIL = "no_email"  # the donor has no email address; staff must post the PDF


def check_year(year: int) -> None:
    latest = org_today().year
    if not FIRST_YEAR <= year <= latest:
        raise DonationError(f"Choose a year from {FIRST_YEAR} to {latest}; {year} is not one.")


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The year as an instant range [start, end) in the organisation's time zone."""
    tz = ZoneInfo(current_app.config["ORG_TIMEZONE"])
    return datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)


def _in_year(year: int):
    start, end = year_bounds(year)
    return (
        Donation.received_at >= start,
        Donation.received_at < end,
        Donation.status.in_(ON_STATEMENT),
        # an employer's match is recorded on the employee's record, but the employer gave it
        Donation.id.notin_(select(MatchingGift.donation_id)),
    )


def donor_ids(year: int) -> list[int]:
    query = select(Donation.contact_id).where(*_in_year(year)).distinct()
    return sorted(db.session.scalars(query))


def gather(contact: Contact, year: int) -> StatementData:
    gifts = db.session.scalars(
        select(Donation)
        .where(Donation.contact_id == contact.id, *_in_year(year))
        .order_by(Donation.received_at, Donation.id)
        .options(selectinload(Donation.receipts), selectinload(Donation.fund))
    )
    data = StatementData(contact=contact, year=year)
    for gift in gifts:
        data.lines.append(
            StatementLine(
                donation=gift,
                receipt_number=gift.receipts[-1].number if gift.receipts else "",
                date=format_date(gift.received_at),
                fund=gift.fund.name if gift.fund else "General fund",
                correction=correction(gift),
            )
        )
        totals = data.totals.setdefault(gift.currency, StatementTotals(gift.currency))
        totals.amount_cents += gift.amount_cents
        totals.refunded_cents += gift.refunded_cents
        totals.benefit_cents += gift.benefit_cents
        totals.deductible_cents += gift.deductible_cents
    return data


def correction(gift: Donation) -> str:
    """ "corrects 2026-000012" when the gift's receipt in force replaced earlier ones, "voids
    2026-000012" when a void notice ended them; "" otherwise."""
    if len(gift.receipts) < 2:
        return ""
    latest, earlier = gift.receipts[-1], gift.receipts[:-1]
    verb = "voids" if latest.kind == ReceiptKind.VOID_NOTICE else "corrects"
    return f"{verb} {', '.join(r.number for r in earlier)}"


def main_totals(data: StatementData) -> StatementTotals:
    """The totals kept on the statement row: the default currency's, if the donor used it."""
    default = current_app.config["CURRENCY"]
    if default in data.totals or not data.totals:
        return data.totals.get(default, StatementTotals(default))
    return next(iter(data.totals.values()))


def save_statement(data: StatementData) -> YearEndStatement:
    """Create the donor's statement row for the year, or refresh one not yet emailed."""
    statement = find_statement(data.contact.id, data.year)
    if statement is None:
        statement = YearEndStatement(contact=data.contact, year=data.year)
        db.session.add(statement)
    if statement.emailed_at is None:
        totals = main_totals(data)
        statement.total_cents = totals.amount_cents - totals.refunded_cents
        statement.deductible_cents = totals.deductible_cents
        statement.currency = totals.currency
    db.session.flush()
    return statement


def find_statement(contact_id: int, year: int) -> YearEndStatement | None:
    return db.session.scalar(
        select(YearEndStatement).where(
            YearEndStatement.contact_id == contact_id, YearEndStatement.year == year
        )
    )


# --- the signed link and the email --------------------------------------------------------


def statement_url(statement: YearEndStatement) -> str:
    token = sign(
        STATEMENT_SALT,
        {"statement": statement.id, "contact": statement.contact_id, "year": statement.year},
    )
    return public_url("donations.statement_pdf_public", token=token)


def statement_from_token(token: str) -> YearEndStatement | None:
    data = unsign(STATEMENT_SALT, token)
    if data is None or not isinstance(data.get("statement"), int):
        return None
    statement = db.session.get(YearEndStatement, data["statement"])
    if statement is None or (statement.contact_id, statement.year) != (
        data.get("contact"),
        data.get("year"),
    ):
        return None
    return statement


def email_statement(statement: YearEndStatement, data: StatementData) -> bool:
    """Queue the statement email unless an earlier run did; True when queued now."""
    now = utcnow()
    claimed = db.session.execute(
        update(YearEndStatement)
        .where(YearEndStatement.id == statement.id, YearEndStatement.emailed_at.is_(None))
        .values(emailed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    statement.emailed_at = now
    queue_email(
        to=data.contact.email,
        template="donations/email/statement",
        subject=f"Your {data.year} giving statement from {current_app.config['ORG_NAME']}",
        **statement_context(statement, data),
    )
    return True


def statement_context(statement: YearEndStatement, data: StatementData) -> dict:
    rows = [
        {
            "date": line.date,
            "receipt": line.receipt_number,
            "fund": line.fund,
            "amount": format_money(line.donation.amount_cents, line.donation.currency),
            "refunded": format_money(line.donation.refunded_cents, line.donation.currency)
            if line.donation.refunded_cents
            else "",
            "net": format_money(line.net_cents, line.donation.currency),
            "deductible": format_money(line.donation.deductible_cents, line.donation.currency),
            "correction": line.correction,
        }
        for line in data.lines
    ]
    totals = [
        {
            "currency": t.currency,
            "amount": format_money(t.amount_cents, t.currency),
            "refunded": format_money(t.refunded_cents, t.currency),
            "net": format_money(t.net_cents, t.currency),
            "deductible": format_money(t.deductible_cents, t.currency),
        }
        for t in data.totals.values()
    ]
    return {
        "donor_name": data.contact.display_name,
        "year": data.year,
        "rows": rows,
        "totals": totals,
        "benefits": any(t.benefit_cents for t in data.totals.values()),
        "corrections": [r for r in rows if r["correction"]],
        "pdf_url": statement_url(statement),
        **org_context(),
    }


# --- one donor ------------------------------------------------------------------------------


def statement_for_donor(contact: Contact, year: int, *, dry_run: bool = False) -> Outcome:
    """Save and email the donor's statement unless an earlier run emailed it; a dry run only
    says what would happen. The caller commits (or, in a dry run, rolls back)."""
    existing = find_statement(contact.id, year)
    if existing is not None and existing.emailed_at is not None:
        return Outcome.ALREADY_SENT
    if dry_run:
        return Outcome.SENT if contact.email else Outcome.NO_EMAIL
    data = gather(contact, year)
    statement = save_statement(data)
    if not contact.email:
        return Outcome.NO_EMAIL
    return Outcome.SENT if email_statement(statement, data) else Outcome.ALREADY_SENT
