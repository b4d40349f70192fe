"""Stripe payouts for the bookkeeper: the list, one payout reconciled, and its CSV."""

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.csvutil import csv_response
from crm.donations import bp, payouts
from crm.donations.ledger_models import Payout, PayoutStatus
from crm.extensions import db
from crm.forms import ConfirmForm
from crm.main.templating import localtime

CSV_COLUMNS = [
    "payout", "arrival_date", "balance_transaction", "kind", "stripe_type", "category",
    "source", "created", "amount", "fee", "net", "currency", "gift_id", "donor", "campaign",
    "fund", "refund_id", "dispute", "description",
]  # fmt: skip


@bp.get("/donations/payouts/")
@role_required(Role.FUNDRAISER)
def payouts_list():
    pagination = db.paginate(
        select(Payout).order_by(Payout.arrival_at.desc().nulls_last(), Payout.id.desc()),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=50,
        error_out=False,
    )
    return render_template("donations/payouts.html", pagination=pagination)


@bp.get("/donations/payouts/<int:payout_id>")
@role_required(Role.FUNDRAISER)
def payout(payout_id: int):
    found = db.get_or_404(Payout, payout_id)
    return render_template(
        "donations/payout.html",
        report=payouts.reconciliation(found),
        confirm_form=ConfirmForm(),
    )


@bp.post("/donations/payouts/<int:payout_id>/fetch")
@role_required(Role.FUNDRAISER)
def payout_fetch(payout_id: int):
    """Fetch the payout's transactions from Stripe again now (after a failure)."""
    db.get_or_404(Payout, payout_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    status = payouts.reconcile_and_commit(payout_id)
    category = "success" if status == PayoutStatus.BALANCED else "warning"
    flash(f"Fetched again: {status.value}.", category)
    return redirect(url_for("donations.payout", payout_id=payout_id))


@bp.get("/donations/payouts/<int:payout_id>.csv")
@role_required(Role.FUNDRAISER)
def payout_csv(payout_id: int):
    found = db.get_or_404(Payout, payout_id)
    lines = payouts.load_lines(found.id)
    return csv_response(f"payout-{found.stripe_payout_id}.csv", CSV_COLUMNS,
                        (_row(found, line) for line in lines))  # fmt: skip


def _major(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _row(found: Payout, line) -> list:
    gift = line.donation
    return [
        found.stripe_payout_id,
        localtime(found.arrival_at, "%Y-%m-%d"),
        line.balance_transaction_id,
        line.kind.value,
        line.stripe_type,
        line.category,
        line.source_id,
        localtime(line.created_at, "%Y-%m-%d %H:%M"),
        _major(line.amount_cents),
        _major(line.fee_cents),
        _major(line.net_cents),
        line.currency,
        gift.id if gift else "",
        gift.contact.full_name if gift else "",
        gift.campaign.name if gift and gift.campaign else "",
        (gift.fund.name if gift.fund else "General fund") if gift else "",
        line.refund_id or "",
        line.dispute.stripe_dispute_id if line.dispute else "",
        line.description,
    ]
