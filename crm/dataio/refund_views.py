"""Refunds to link: the list of money returned that an import could not match to a gift,
and linking one to its gift."""

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from crm.auth.access import role_required
from crm.auth.roles import Role
from crm.contacts.views import get_or_404
from crm.dataio import bp, refund_links
from crm.dataio.forms import LinkRefundForm
from crm.dataio.models import UnmatchedRefund
from crm.extensions import db
from crm.payments.money import format_money


@bp.route("/imports/refunds-to-link")
@role_required(Role.FUNDRAISER)
def refunds_to_link():
    refunds = refund_links.waiting()
    count, cents = refund_links.waiting_totals()
    return render_template(
        "dataio/refunds_to_link.html", refunds=refunds, count=count, cents=cents,
        offered=refund_links.gifts_to_offer(refunds), form=LinkRefundForm(),
    )  # fmt: skip


@bp.route("/imports/refunds-to-link/<int:refund_id>/link", methods=["POST"])
@role_required(Role.FUNDRAISER)
def link_refund(refund_id: int):
    unmatched = get_or_404(UnmatchedRefund, refund_id)
    form = LinkRefundForm()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "danger")
        return redirect(url_for("dataio.refunds_to_link"))
    try:
        refund = refund_links.link(unmatched, form.gift.data, current_user)
    except refund_links.LinkProblem as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("dataio.refunds_to_link"))
    db.session.commit()
    flash(f"Recorded the refund of {format_money(refund.amount_cents, unmatched.currency)} on "
          f"gift {refund.donation_id}.", "success")  # fmt: skip
    return redirect(url_for("dataio.refunds_to_link"))
