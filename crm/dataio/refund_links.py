"""Refunds to link: money an imported gift file says was given back, for which the import
found no gift to refund (see gift_refunds.py). Each already counts as refunded; staff link
it to its gift, which records it as a refund of that gift and takes it off the list. The
import that brought it can still be undone as a whole, the link with it."""

from sqlalchemy import func, insert, select
from sqlalchemy.orm import joinedload

from crm.audit.services import record_event
from crm.dataio.gift_refunds import COUNTED
from crm.dataio.models import ImportChange, UnmatchedRefund
from crm.donations import services as donations
from crm.donations.models import Donation, Refund
from crm.extensions import db
from crm.modelbase import utcnow
from crm.payments.money import format_money

SHOWN = 200  # refunds listed at a time, oldest first
GIFTS_OFFERED = 20  # of each donor's gifts, newest first


class LinkProblem(ValueError):
    """The refund cannot be linked to that gift; the message says why."""


def _waiting():
    return select(UnmatchedRefund).where(UnmatchedRefund.refund_id.is_(None))


def waiting() -> list[UnmatchedRefund]:
    """The refunds not linked yet, oldest first, with their donors and imports."""
    query = (
        _waiting()
        .options(joinedload(UnmatchedRefund.contact), joinedload(UnmatchedRefund.batch))
        .order_by(UnmatchedRefund.refunded_at, UnmatchedRefund.id)
        .limit(SHOWN)
    )
    return list(db.session.scalars(query))


def waiting_totals() -> tuple[int, int]:
    """How many refunds wait to be linked, and their money in cents."""
    query = _waiting().with_only_columns(
        func.count(), func.coalesce(func.sum(UnmatchedRefund.amount_cents), 0)
    )
    count, cents = db.session.execute(query).one()
    return count, cents


def gifts_to_offer(refunds: list[UnmatchedRefund]) -> dict[int, list[Donation]]:
    """Refund id -> the gifts of its donor it could refund (still money, with as much not
    refunded yet), newest first: one query for the whole list."""
    donors = {r.contact_id for r in refunds if r.contact_id}
    if not donors:
        return {}
    gifts = db.session.scalars(
        select(Donation)
        .options(joinedload(Donation.campaign))
        .where(Donation.contact_id.in_(donors), Donation.status.in_(COUNTED),
               Donation.refunded_cents < Donation.amount_cents)
        .order_by(Donation.received_at.desc(), Donation.id.desc())
    ).all()  # fmt: skip
    offered: dict[int, list[Donation]] = {}
    for refund in refunds:
        fitting = [
            g
            for g in gifts
            if g.contact_id == refund.contact_id
            and g.currency == refund.currency
            and g.amount_cents - g.refunded_cents >= refund.amount_cents
        ]
        offered[refund.id] = fitting[:GIFTS_OFFERED]
    return offered


def link(unmatched: UnmatchedRefund, gift_id: int, user) -> Refund:
    """Record the money returned as a refund of the gift `gift_id`."""
    # Read again under a lock: two people linking the same refund at once link it once.
    unmatched = db.session.scalar(
        select(UnmatchedRefund)
        .where(UnmatchedRefund.id == unmatched.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if unmatched.refund_id is not None:
        raise LinkProblem("This refund is linked to a gift already.")
    gift = db.session.get(Donation, gift_id)
    if gift is None:
        raise LinkProblem(f"There is no gift number {gift_id}.")
    if gift.status not in COUNTED or gift.currency != unmatched.currency:
        raise LinkProblem(f"Gift {gift_id} is not money received in {unmatched.currency}.")
    left = gift.amount_cents - gift.refunded_cents
    if unmatched.amount_cents > left:
        raise LinkProblem(
            f"Gift {gift_id} has only {format_money(left, gift.currency)} left to refund."
        )
    before = gift.updated_at.isoformat()
    refund = donations.apply_refund(
        gift, unmatched.amount_cents, reason=f"Refunded in {unmatched.system}", user=user,
        made_elsewhere=True,
    )  # fmt: skip
    refund.created_at = unmatched.refunded_at  # when it was refunded there
    unmatched.refund_id, unmatched.linked_at = refund.id, utcnow()
    unmatched.linked_by_id = user.id if user else None
    db.session.flush()
    # The import that brought the refund takes the link back with it when it is undone.
    db.session.execute(insert(ImportChange), [{
        "batch_id": unmatched.batch_id, "entity": "refund", "action": "created",
        "entity_ids": [refund.id], "before": {str(gift.id): before}, "after": None,
    }])  # fmt: skip
    record_event("refund_linked", "Donation", gift.id,
                 {"refund_id": refund.id, "amount_cents": refund.amount_cents,
                  "import": unmatched.batch_id, "line": unmatched.line},
                 actor_id=user.id if user else None,
                 summary="Linked an imported refund to its gift")  # fmt: skip
    return refund
