"""Every difference between a payout's balance transactions and the CRM's records, in words a
bookkeeper can act on."""

from crm.donations.ledger_models import LineKind, Payout, PayoutLine, PayoutStatus
from crm.payments.money import format_money


def differences(payout: Payout, lines: list[PayoutLine], total_cents: int) -> list[str]:
    money = lambda cents: format_money(cents, payout.currency)  # noqa: E731
    found = []
    if payout.status == PayoutStatus.INCOMPLETE:
        found.append(f"Not every transaction could be fetched from Stripe: {payout.error}")
    elif payout.status == PayoutStatus.FETCHING:
        found.append("The payout's transactions have not been fetched yet.")
    elif total_cents != payout.amount_cents:
        found.append(
            f"The transactions add up to {money(total_cents)} but {money(payout.amount_cents)} "
            f"{'was sent to' if payout.failed_at else 'reached'} the bank: "
            f"{money(payout.amount_cents - total_cents)} unexplained."
        )
    for line in lines:
        found += _line_differences(payout, line)
    return found


def _line_differences(payout: Payout, line: PayoutLine) -> list[str]:
    money = lambda cents: format_money(cents, line.currency)  # noqa: E731
    ref = f"{line.balance_transaction_id} ({line.source_id or line.stripe_type})"
    if line.currency != payout.currency:
        return [f"{ref} is in {line.currency}, the payout in {payout.currency}."]
    gift = line.donation
    if line.kind == LineKind.GIFT:
        if gift is None:
            return [f"{ref}: a payment of {money(line.amount_cents)} with no gift in the CRM."]
        found = []
        if gift.amount_cents != line.amount_cents:
            found.append(
                f"{ref}: gift #{gift.id} is {money(gift.amount_cents)}, Stripe charged "
                f"{money(line.amount_cents)}."
            )
        if gift.processing_fee_cents != line.fee_cents:
            recorded = gift.processing_fee_cents
            said = "no fee" if recorded is None else money(recorded)
            found.append(
                f"{ref}: gift #{gift.id} records {said} in fees, Stripe took "
                f"{money(line.fee_cents)}."
            )
        return found
    if line.kind == LineKind.REFUND:
        if line.refund is None:
            whose = f" of gift #{gift.id}" if gift else ""
            return [
                f"{ref}: a refund{whose} of {money(-line.amount_cents)} not recorded in the CRM."
            ]
        if line.refund.amount_cents != -line.amount_cents:
            return [
                f"{ref}: refund #{line.refund.id} is {money(line.refund.amount_cents)}, Stripe "
                f"returned {money(-line.amount_cents)}."
            ]
    if line.kind == LineKind.DISPUTE and line.dispute is None:
        return [f"{ref}: a dispute movement of {money(line.net_cents)} not recorded in the CRM."]
    return []
