"""What other systems' gift files say about a payment: its status ("Succeeded", "Closed Won",
"Declined", "Partially refunded"...) and the kind of row ("Donation", "Refund", "Pledge"...),
read into the few outcomes that decide what the import does with the money."""

import enum

from crm.dataio.values import ValueProblem, plain_words


class Outcome(enum.StrEnum):
    RECEIVED = "received"  # the money came in: a gift
    PARTLY_REFUNDED = "partly_refunded"  # a gift, part of which was given back
    REFUNDED = "refunded"  # a gift given back in full (refund, reversal, chargeback)
    PENDING = "pending"  # not settled, or only promised: no money yet, so not imported
    FAILED = "failed"  # declined, cancelled, lost: never money, not imported


_STATUS_WORDS = {
    Outcome.RECEIVED: [
        "completed", "complete", "succeeded", "success", "successful", "paid", "posted",
        "closed won", "won", "received", "approved", "captured", "settled", "cleared",
        "processed", "deposited", "finalized", "confirmed", "accepted",
    ],
    Outcome.PARTLY_REFUNDED: [
        "partially refunded", "partial refund", "partly refunded", "partially reversed",
        "partial refunded",
    ],
    Outcome.REFUNDED: [
        "refunded", "refund", "fully refunded", "reversed", "reversal", "chargeback",
        "charged back", "charge back", "dispute lost", "lost dispute", "disputed",
    ],
    Outcome.PENDING: [
        "pending", "in progress", "processing", "authorized", "authorised", "pledged",
        "pledge", "open", "scheduled", "incomplete", "requires action", "requires capture",
        "requires payment method", "requires confirmation", "awaiting payment", "overdue",
        "partially paid", "unpaid", "uncaptured", "on hold", "held", "prospecting",
        "qualification", "needs analysis", "proposal", "negotiation", "cultivation",
        "solicitation", "id decision makers", "perception analysis", "value proposition",
    ],
    Outcome.FAILED: [
        "failed", "failure", "declined", "denied", "cancelled", "canceled", "voided", "void",
        "closed lost", "lost", "expired", "rejected", "blocked", "returned", "abandoned",
        "not paid", "error", "refused", "written off", "write off",
    ],
}  # fmt: skip
_STATUSES = {word: outcome for outcome, words in _STATUS_WORDS.items() for word in words}
_STATUSES.update({word.replace(" ", ""): outcome for word, outcome in list(_STATUSES.items())})


class RowKind(enum.StrEnum):
    GIFT = "gift"  # money given
    IN_KIND = "in_kind"  # goods or services given (the method is "in kind")
    REFUND = "refund"  # money given back: a refund of an earlier gift
    PLEDGE = "pledge"  # a promise or a recurring schedule, not money: not imported


_KIND_WORDS = {
    RowKind.GIFT: [
        "gift", "donation", "donations", "payment", "charge", "sale", "one time", "onetime",
        "single", "recurring", "recurring donation", "recurring gift", "recurring payment",
        "monthly", "pledge payment", "pledgepayment", "recurringdonationpayment",
        "recurring donation payment", "grant", "major gift", "matching gift", "matching",
        "membership", "dues", "member dues", "contribution", "tribute", "in honor",
        "in memory", "memorial", "donation one time", "donation recurring", "subscription",
        "general", "cash", "planned gift", "bequest", "fundraiser",
        "peer to peer", "p2p", "text to give", "event donation", "sponsorship",
        # PayPal's activity download
        "donation payment", "website payment", "express checkout payment",
        "subscription payment", "mobile payment", "general payment", "payment received",
        "preapproved payment", "virtual terminal transaction", "paypal here payment",
        # Raiser's Edge's gift types: payments of pledges, recurring and matching gifts
        "pay cash", "recurring gift pay cash", "mg pay cash", "matching gift pay cash",
        "pay stock property", "pay other",
    ],
    RowKind.IN_KIND: ["in kind", "inkind", "in kind gift", "gift in kind", "gik",
                      "stock property", "stock", "stock gift", "property", "securities"],
    RowKind.REFUND: [
        "refund", "refunds", "refunded", "reversal", "payment reversal", "chargeback",
        "charge back", "dispute", "disputed", "returned payment", "refund payment",
        "payment refund", "donation refund",
    ],
    # Bloomerang writes the schedule of a recurring gift as "RecurringDonation" and each
    # payment of it as "RecurringDonationPayment": the first is a promise, like a pledge.
    RowKind.PLEDGE: ["pledge", "pledged", "promise", "recurringdonation", "commitment"],
}  # fmt: skip
_KINDS = {word: kind for kind, words in _KIND_WORDS.items() for word in words}


def parse_status(raw: str) -> Outcome:
    """A payment status; an empty cell is a received gift (a list of gifts has no status)."""
    text = plain_words(raw)
    if not text:
        return Outcome.RECEIVED
    outcome = _STATUSES.get(text) or _STATUSES.get(plain_words(raw, joined=True))
    if outcome is None:
        raise ValueProblem(
            f"“{raw}” is not a payment status we know: we cannot tell whether the money was "
            "received (completed, paid, closed won), is pending, failed or was refunded."
        )
    return outcome


def parse_kind(raw: str) -> RowKind:
    """The kind of row; an empty cell is a gift."""
    text = plain_words(raw)
    if not text:
        return RowKind.GIFT
    # Written together first: Bloomerang's "RecurringDonation" is a schedule, while another
    # system's "Recurring donation" is a gift.
    kind = (_KINDS.get(text) or _KINDS.get(text.replace(" ", ""))
            or _KINDS.get(plain_words(raw, joined=True)))  # fmt: skip
    if kind is None:
        raise ValueProblem(
            f"“{raw}” is not a kind of row we know (a gift, a refund or a pledge): a payout, "
            "fee or transfer is not a gift."
        )
    return kind
