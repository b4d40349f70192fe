"""The values of gift files: times with zones, signed amounts, payment methods, statuses and
kinds of row, as the other systems write them."""

from datetime import UTC, date
from zoneinfo import ZoneInfo

import pytest

from crm.dataio.gift_words import Outcome, RowKind, parse_kind, parse_status
from crm.dataio.values import (
    AmbiguousDate,
    ValueProblem,
    parse_amount_cents,
    parse_date,
    parse_method,
    parse_money,
)
from crm.donations.models import PaymentMethod

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(("raw", "order", "assume", "day"), [
    ("2024-03-05T10:55:59Z", "", None, date(2024, 3, 5)),
    ("2024-03-05T02:10:11Z", "", None, date(2024, 3, 4)),  # still the 4th in New York
    ("2024-03-05T02:10:11.000+00:00", "", None, date(2024, 3, 4)),
    ("2024-03-05 10:55:59 +0000", "", None, date(2024, 3, 5)),
    ("2024-03-05 23:30:00 -0500", "", None, date(2024, 3, 5)),
    ("2024-03-05 02:10:11", "", None, date(2024, 3, 5)),  # no zone: the day as written
    ("2024-03-05 02:10:11", "", UTC, date(2024, 3, 4)),  # a "(UTC)" column
    ("3/5/2024 10:55 AM", "mdy", None, date(2024, 3, 5)),
    ("3/5/2024 12:30 AM", "mdy", UTC, date(2024, 3, 4)),  # half past midnight UTC
    ("Mar 5, 2024 10:55:59 PM", "", UTC, date(2024, 3, 5)),
    ("15/03/2024 23:59", "", None, date(2024, 3, 15)),
])  # fmt: skip
def test_times_with_a_zone_are_the_organisations_day(raw, order, assume, day):
    assert parse_date(raw, order, NEW_YORK, assume) == day


def test_an_ambiguous_day_with_a_time_still_asks_for_the_order():
    with pytest.raises(AmbiguousDate):
        parse_date("3/5/2024 10:55 AM", "", NEW_YORK)
    with pytest.raises(ValueProblem, match="is not a date"):
        parse_date("2024-03-05T25:00:00Z", "", NEW_YORK)


@pytest.mark.parametrize(("raw", "cents"), [
    ("$1,250.50", 125050), ("-25.00", -2500), ("($25.00)", -2500), ("$-25", -2500),
    ("25.00-", -2500), ("\u221210", -1000), ("1 250,00", 125000), ("0.00", 0),
    ("USD 10", 1000),
])  # fmt: skip
def test_amounts_keep_their_sign(raw, cents):
    assert parse_money(raw) == cents


def test_a_gift_amount_is_more_than_zero():
    with pytest.raises(ValueProblem, match="not a positive amount"):
        parse_amount_cents("-5")
    with pytest.raises(ValueProblem, match="not more than zero"):
        parse_amount_cents("0")
    with pytest.raises(ValueProblem, match="is not an amount"):
        parse_money("twenty")


@pytest.mark.parametrize(("raw", "method"), [
    ("card", PaymentMethod.CARD), ("Credit Card", PaymentMethod.CARD),
    ("American Express", PaymentMethod.CARD), ("apple_pay", PaymentMethod.CARD),
    ("google_pay", PaymentMethod.CARD), ("link", PaymentMethod.CARD),
    ("venmo", PaymentMethod.ONLINE), ("PayPal", PaymentMethod.ONLINE),
    ("cashapp", PaymentMethod.ONLINE), ("ach", PaymentMethod.BANK_TRANSFER),
    ("us_bank_account", PaymentMethod.BANK_TRANSFER), ("EFT", PaymentMethod.BANK_TRANSFER),
    ("Bank", PaymentMethod.BANK_TRANSFER), ("check", PaymentMethod.CHEQUE),
    ("Cheque", PaymentMethod.CHEQUE), ("In Kind", PaymentMethod.IN_KIND),
    ("None", PaymentMethod.OTHER), ("", PaymentMethod.OTHER),
    # words written together read as the same words apart
    ("applePayOrGooglePay", PaymentMethod.CARD), ("creditCard", PaymentMethod.CARD),
    ("bankTransfer", PaymentMethod.BANK_TRANSFER), ("BANKTRANSFER", PaymentMethod.BANK_TRANSFER),
    ("creditcard", PaymentMethod.CARD), ("ACHDebit", PaymentMethod.BANK_TRANSFER),
    ("Visa/Mastercard", PaymentMethod.CARD), ("cashApp", PaymentMethod.ONLINE),
    ("preAuthorizedDebit", PaymentMethod.BANK_TRANSFER), ("InKind", PaymentMethod.IN_KIND),
])  # fmt: skip
def test_payment_methods_of_online_platforms(raw, method):
    assert parse_method(raw) == (method, None)


@pytest.mark.parametrize("raw", ["barter", "daf", "Crypto (BTC)", "Credit Card / PayPal",
                                 "Cardinal", "manual"])  # fmt: skip
def test_an_unknown_method_is_other_and_its_word_is_kept(raw):
    assert parse_method(raw) == (PaymentMethod.OTHER, raw)


@pytest.mark.parametrize(("raw", "day"), [
    ("05.03.2024", date(2024, 3, 5)),  # dots: the day first, as German spreadsheets write
    ("05.03.2024 10:55", date(2024, 3, 5)),
    ("5.3.24", date(2024, 3, 5)),
])  # fmt: skip
def test_dates_with_dots_start_with_the_day(raw, day):
    assert parse_date(raw) == day
    assert parse_date(raw, "mdy") == date(day.year, day.day, day.month)  # unless told so


@pytest.mark.parametrize(("raw", "outcome"), [
    ("Succeeded", Outcome.RECEIVED), ("Paid", Outcome.RECEIVED), ("Completed", Outcome.RECEIVED),
    ("Closed Won", Outcome.RECEIVED), ("Posted", Outcome.RECEIVED), ("", Outcome.RECEIVED),
    ("Partially refunded", Outcome.PARTLY_REFUNDED), ("Refunded", Outcome.REFUNDED),
    ("Reversed", Outcome.REFUNDED), ("Chargeback", Outcome.REFUNDED),
    ("Pending", Outcome.PENDING), ("In Progress", Outcome.PENDING),
    ("Partially paid", Outcome.PENDING), ("Pledged", Outcome.PENDING),
    ("Failed", Outcome.FAILED), ("Declined", Outcome.FAILED), ("Canceled", Outcome.FAILED),
    ("Cancelled", Outcome.FAILED), ("Closed Lost", Outcome.FAILED),
])  # fmt: skip
def test_statuses_of_the_usual_systems(raw, outcome):
    assert parse_status(raw) == outcome


def test_an_unknown_status_is_refused_with_the_reason():
    with pytest.raises(ValueProblem, match="cannot tell whether the money was received"):
        parse_status("Sent to accounting")


@pytest.mark.parametrize(("raw", "kind"), [
    ("Donation", RowKind.GIFT), ("PledgePayment", RowKind.GIFT),
    ("RecurringDonationPayment", RowKind.GIFT), ("Recurring Donation", RowKind.GIFT),
    ("RecurringDonation", RowKind.PLEDGE), ("Pledge", RowKind.PLEDGE),
    ("In-Kind Gift", RowKind.IN_KIND), ("refund", RowKind.REFUND), ("", RowKind.GIFT),
])  # fmt: skip
def test_kinds_of_row(raw, kind):
    assert parse_kind(raw) == kind


def test_a_payout_is_not_a_gift():
    with pytest.raises(ValueProblem, match="payout, fee or transfer is not a gift"):
        parse_kind("payout")
