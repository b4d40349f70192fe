"""Soft credits, employers' matches and thanking gifts. The caller commits.

`soft_credit_totals` is the query other features (segments) read soft credits through."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import joinedload, selectinload

from crm.contacts.models import Contact, Organisation
from crm.donations.credit_models import (
    AckMethod,
    AckStatus,
    GiftAcknowledgement,
    MatchingGift,
    SoftCredit,
    SoftCreditRole,
)
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.donations.services import DonationError
from crm.extensions import db
from crm.modelbase import utcnow

# Gifts whose soft credits count: the money arrived and was not all given back.
CREDITED = (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED, DonationStatus.PENDING)
# Gifts there is nothing to thank for.
GONE = (DonationStatus.FAILED, DonationStatus.REFUNDED)


# --- soft credits -----------------------------------------------------------------------------


def add_soft_credit(
    donation: Donation, contact: Contact, role: SoftCreditRole, amount_cents: int | None, user
) -> SoftCredit:
    if contact.id == donation.contact_id:
        raise DonationError("The donor already has this gift; credit someone else.")
    amount = amount_cents if amount_cents is not None else donation.amount_cents
    if amount <= 0:
        raise DonationError("A soft credit must be more than zero.")
    if amount > donation.amount_cents:
        raise DonationError("A soft credit cannot be more than the gift.")
    taken = db.session.scalar(
        select(SoftCredit).where(
            SoftCredit.donation_id == donation.id, SoftCredit.contact_id == contact.id
        )
    )
    if taken is not None:
        raise DonationError(f"{contact.full_name} already has a soft credit for this gift.")
    credit = SoftCredit(donation=donation, contact=contact, role=role, amount_cents=amount,
                        created_by_id=getattr(user, "id", None))  # fmt: skip
    db.session.add(credit)
    db.session.flush()
    return credit


def remove_soft_credit(credit: SoftCredit) -> None:
    db.session.delete(credit)
    db.session.flush()


def credits_of_gift(donation_id: int) -> list[SoftCredit]:
    return list(
        db.session.scalars(
            select(SoftCredit)
            .options(joinedload(SoftCredit.contact))
            .where(SoftCredit.donation_id == donation_id)
            .order_by(SoftCredit.id)
        )
    )


def soft_credit_totals(since: datetime | None = None, until: datetime | None = None) -> Select:
    """(contact_id, soft_credit_cents, soft_credited_gifts, last_soft_credit_at) per contact,
    for gifts that count, received in [since, until). A segment joins it on contact_id, e.g.
    `select(Contact).join(q := soft_credit_totals().subquery(), q.c.contact_id == Contact.id)
    .where(q.c.soft_credit_cents >= 100_00)`. Soft credits are recognition, never money raised:
    a gift's own totals never include them."""
    query = (
        select(
            SoftCredit.contact_id.label("contact_id"),
            func.sum(SoftCredit.amount_cents).label("soft_credit_cents"),
            func.count(SoftCredit.id).label("soft_credited_gifts"),
            func.max(Donation.received_at).label("last_soft_credit_at"),
        )
        .join(Donation, Donation.id == SoftCredit.donation_id)
        .where(Donation.status.in_(CREDITED))
        .group_by(SoftCredit.contact_id)
    )
    if since is not None:
        query = query.where(Donation.received_at >= since)
    if until is not None:
        query = query.where(Donation.received_at < until)
    return query


# --- employers' matches -----------------------------------------------------------------------


@dataclass(frozen=True)
class MatchDetails:
    organisation: Organisation
    amount_cents: int
    received_at: datetime
    method: PaymentMethod
    cheque_number: str | None = None


def record_match(original: Donation, details: MatchDetails) -> Donation:
    """The employer's match as a gift of its own, linked to the gift it matches. It is
    money raised like any gift; the employee's own giving does not include it."""
    if original.status not in (DonationStatus.SUCCEEDED, DonationStatus.PARTIALLY_REFUNDED):
        raise DonationError("Only a gift that was received can be matched.")
    if db.session.scalar(select(MatchingGift.id).where(MatchingGift.donation_id == original.id)):
        raise DonationError("This gift is itself an employer's match.")
    if db.session.scalar(select(MatchingGift.id).where(MatchingGift.original_id == original.id)):
        raise DonationError("This gift has already been matched.")
    if details.method == PaymentMethod.CHEQUE and not details.cheque_number:
        raise DonationError("Enter the cheque number.")
    match = Donation(
        contact_id=original.contact_id, amount_cents=details.amount_cents,
        currency=original.currency, status=DonationStatus.SUCCEEDED, method=details.method,
        received_at=details.received_at, campaign_id=original.campaign_id,
        fund_id=original.fund_id, cheque_number=details.cheque_number,
        comment=f"Matching gift from {details.organisation.name}"[:1000],
    )  # fmt: skip
    db.session.add(match)
    db.session.flush()
    db.session.add(
        MatchingGift(
            donation_id=match.id, original_id=original.id, organisation_id=details.organisation.id
        )  # fmt: skip
    )
    db.session.flush()
    return match


def match_of(donation_id: int) -> tuple[MatchingGift | None, MatchingGift | None]:
    """(the match answering this gift, the link if this gift is itself a match)."""
    rows = db.session.scalars(
        select(MatchingGift)
        .options(joinedload(MatchingGift.organisation))
        .where(
            (MatchingGift.original_id == donation_id) | (MatchingGift.donation_id == donation_id)
        )
    ).all()
    answer = next((m for m in rows if m.original_id == donation_id), None)
    itself = next((m for m in rows if m.donation_id == donation_id), None)
    return answer, itself


def employers_of(contact_id: int) -> list[Organisation]:
    from crm.contacts.models import Affiliation, AffiliationKind

    query = (
        select(Organisation)
        .join(Affiliation)
        .where(Affiliation.contact_id == contact_id)
        .order_by(Affiliation.kind != AffiliationKind.EMPLOYEE, Organisation.name_key)
    )
    return list(db.session.scalars(query))


# --- thanking ---------------------------------------------------------------------------------


def acknowledgement_rows(gifts: list[Donation]) -> list[dict]:
    """The acknowledgement each new gift starts with: waiting for a thank-you, unless it was
    received so long ago (history typed in late, an old import) that thanking it now would be
    odd. Failed gifts are never listed to thank (the list reads the gift's status)."""
    window = timedelta(days=current_app.config["THANK_WINDOW_DAYS"])
    now = utcnow()
    return [
        {"donation_id": g.id, "received_at": g.received_at,
         "status": AckStatus.PENDING if now - g.received_at <= window and g.status not in GONE
         else AckStatus.NOT_NEEDED}
        for g in gifts
    ]  # fmt: skip


def nothing_to_thank(conn, donation_ids: list[int]) -> None:
    """Gifts that failed or went back in full wait for no thank-you any more (in the flush
    that changed them)."""
    conn.execute(
        update(GiftAcknowledgement)
        .where(GiftAcknowledgement.donation_id.in_(donation_ids),
               GiftAcknowledgement.status == AckStatus.PENDING)
        .values(status=AckStatus.NOT_NEEDED)
    )  # fmt: skip


def to_thank_query(campaign_id: int | None = None, minimum_cents: int | None = None) -> Select:
    """The acknowledgements of gifts waiting for a thank-you, oldest first, their gifts loaded
    page by page (the list and its count read the acknowledgements' index alone)."""
    ack = GiftAcknowledgement
    query = (
        select(ack)
        .options(selectinload(ack.donation).selectinload(Donation.contact),
                 selectinload(ack.donation).selectinload(Donation.campaign))
        .where(ack.status == AckStatus.PENDING)
        .order_by(ack.received_at, ack.donation_id)
    )  # fmt: skip
    if campaign_id or minimum_cents:
        query = query.join(Donation, Donation.id == ack.donation_id)
    if campaign_id:
        query = query.where(Donation.campaign_id == campaign_id)
    if minimum_cents:
        query = query.where(Donation.amount_cents >= minimum_cents)
    return query


def mark_thanked(donation_ids: list[int], method: AckMethod, user, note: str | None) -> int:
    """Thank every gift given that is waiting (or not tracked); gifts already thanked keep
    how and when they were. Returns how many were marked."""
    if not donation_ids:
        raise DonationError("Tick at least one gift to mark as thanked.")
    ids = sorted(set(donation_ids))
    known = set(db.session.scalars(select(Donation.id).where(Donation.id.in_(ids))))
    if len(known) != len(ids):
        raise DonationError("Some of the gifts ticked no longer exist; reload the list.")
    have = set(
        db.session.scalars(
            select(GiftAcknowledgement.donation_id).where(GiftAcknowledgement.donation_id.in_(ids))
        )
    )
    for gift in db.session.scalars(select(Donation).where(Donation.id.in_(known - have))):
        db.session.add(GiftAcknowledgement(donation_id=gift.id, received_at=gift.received_at))
    db.session.flush()
    result = db.session.execute(
        update(GiftAcknowledgement)
        .where(
            GiftAcknowledgement.donation_id.in_(ids),
            GiftAcknowledgement.status != AckStatus.THANKED,
        )
        .values(
            status=AckStatus.THANKED,
            method=method,
            thanked_at=utcnow(),
            thanked_by_id=user.id,
            note=note or None,
        )  # fmt: skip
    )
    db.session.expire_all()
    return result.rowcount


def undo_thanks(donation: Donation) -> None:
    ack = db.session.get(GiftAcknowledgement, donation.id)
    if ack is None or ack.status != AckStatus.THANKED:
        raise DonationError("This gift has not been marked as thanked.")
    ack.status, ack.method, ack.thanked_at, ack.thanked_by_id, ack.note = (
        AckStatus.PENDING, None, None, None, None,
    )  # fmt: skip
    db.session.flush()


def acknowledgement_of(donation_id: int) -> GiftAcknowledgement | None:
    return db.session.scalar(
        select(GiftAcknowledgement)
        .options(joinedload(GiftAcknowledgement.thanked_by))
        .where(GiftAcknowledgement.donation_id == donation_id)
    )
