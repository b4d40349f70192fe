"""The gifts CSV export: its columns and their meaning as the README documents them, the
list's filter, a streamed body, and a number of SQL statements that does not grow with rows."""

import csv
import io
from datetime import datetime

import pytest
from sqlalchemy import event

from crm.auth.roles import Role
from crm.donations.export import COLUMNS, major
from crm.donations.models import (
    DonationStatus,
    PaymentMethod,
    Receipt,
    RecurringPlan,
)
from tests.dashboard.conftest import ZONE

README_COLUMNS = (
    "id, date, contact_id, contact_name, email, amount, currency, covered_fee, fee, refunded, "
    "net, deductible, status, method, campaign, fund, source, recurring_plan, receipt_number, "
    "cheque_number, in_kind_description, disputed, stripe_payment_intent, stripe_charge, "
    "stripe_invoice, stripe_checkout_session"
).split(", ")


def rows_of(response) -> list[dict]:
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


@pytest.fixture
def fundraiser(client, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    return client


@pytest.fixture
def make_gifts(db, make_contact, make_donation, make_campaign, make_fund):
    """`n` gifts, each with its own donor, campaign, fund, receipt and monthly plan: all that
    the export once loaded a row at a time."""
    serial = iter(range(1, 100_000))

    def factory(n: int) -> list:
        gifts = []
        for _ in range(n):
            k = next(serial)
            contact = make_contact(first_name=f"Ann{k}", last_name="Lee", email=f"a{k}@example.org")
            plan = RecurringPlan(contact=contact, amount_cents=2_500, currency="USD")
            db.session.add(plan)
            gift = make_donation(
                contact, 10_000 + k, campaign=make_campaign(name=f"Appeal {k}"),
                fund=make_fund(f"Fund {k}"), recurring_plan=plan, fee_cents=330,
                received_at=datetime(2026, 3, 1, 0, 30, tzinfo=ZONE),
            )  # fmt: skip
            db.session.add(Receipt(donation=gift, year=2026, sequence=k, number=f"2026-{k:06d}",
                                   amount_cents=gift.amount_cents, deductible_cents=0,
                                   currency="USD"))  # fmt: skip
            gifts.append(gift)
        db.session.commit()
        return gifts

    return factory


def statements_of(app, db, request) -> tuple[int, int]:
    """The SQL statements one download runs, and its rows."""
    count = 0

    def counted(*args):
        nonlocal count
        count += 1

    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        response = request()
        assert response.status_code == 200
        body = response.get_data()  # the rows are read while the body streams
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)
    return count, body.count(b"\n") - 1


def test_the_statements_do_not_grow_with_the_rows(app, db, fundraiser, make_gifts):
    make_gifts(3)
    few, rows = statements_of(app, db, lambda: fundraiser.get("/donations/export.csv"))
    assert rows == 3
    make_gifts(40)
    many, rows = statements_of(app, db, lambda: fundraiser.get("/donations/export.csv"))
    assert rows == 43
    assert many == few
    # and with the list's filter (a donor's name, a campaign) as well
    search, rows = statements_of(app, db, lambda: fundraiser.get("/donations/export.csv?q=ann4"))
    assert rows == 5  # Ann4 and Ann40 to Ann43
    assert search == few


def test_the_columns_and_their_meaning(fundraiser, db, make_contact, make_donation,
                                       make_campaign, make_fund):  # fmt: skip
    ann = make_contact(first_name="Ann", last_name="O'Brien", email="ann@example.org")
    gift = make_donation(
        ann, 25_830, covered_fee_cents=830, fee_cents=600, refunded_cents=5_000,
        benefit_cents=2_000, status=DonationStatus.PARTIALLY_REFUNDED,
        campaign=make_campaign(name="Spring appeal"), fund=make_fund("Schools"),
        source="spring-letter", disputed=True, stripe_payment_intent_id="pi_1",
        stripe_charge_id="ch_1", stripe_invoice_id="in_1", stripe_checkout_session_id="cs_1",
        received_at=datetime(2026, 3, 1, 0, 30, tzinfo=ZONE),
    )  # fmt: skip
    cheque = make_donation(
        ann, 1_000, method=PaymentMethod.CHEQUE, cheque_number="=1+2",
        received_at=datetime(2026, 2, 1, 9, 0, tzinfo=ZONE),
    )  # fmt: skip
    failed = make_donation(ann, 700, status=DonationStatus.FAILED, fee_cents=None,
                           received_at=datetime(2026, 1, 1, 9, 0, tzinfo=ZONE))  # fmt: skip
    response = fundraiser.get("/donations/export.csv", buffered=False)
    assert response.is_streamed
    assert response.headers["Content-Disposition"] == 'attachment; filename="donations.csv"'
    rows = rows_of(response)
    assert list(rows[0]) == README_COLUMNS == COLUMNS
    assert [r["id"] for r in rows] == [str(gift.id), str(cheque.id), str(failed.id)]  # newest first
    assert rows[0] == {
        "id": str(gift.id), "date": "2026-03-01T00:30:00-05:00", "contact_id": str(ann.id),
        "contact_name": "Ann O'Brien", "email": "ann@example.org", "amount": "258.30",
        "currency": "USD", "covered_fee": "8.30", "fee": "6.00", "refunded": "50.00",
        "net": "202.30", "deductible": "188.30", "status": "partially_refunded",
        "method": "card", "campaign": "Spring appeal", "fund": "Schools",
        "source": "spring-letter", "recurring_plan": "", "receipt_number": "",
        "cheque_number": "", "in_kind_description": "", "disputed": "yes",
        "stripe_payment_intent": "pi_1", "stripe_charge": "ch_1", "stripe_invoice": "in_1",
        "stripe_checkout_session": "cs_1",
    }  # fmt: skip
    assert rows[1]["cheque_number"] == "'=1+2"  # never a formula in a spreadsheet
    assert (rows[1]["fee"], rows[1]["net"], rows[1]["disputed"]) == ("", "10.00", "no")
    assert (rows[2]["status"], rows[2]["amount"]) == ("failed", "7.00")


@pytest.mark.parametrize(
    "cents, text",
    [(0, "0.00"), (5, "0.05"), (1250, "12.50"), (-1, "-0.01"), (-12345, "-123.45"),
     (123456789, "1234567.89"), (None, "")],
)  # fmt: skip
def test_major_units(cents, text):
    assert major(cents) == text


def test_every_cell_people_or_other_systems_typed_is_neutralised(
    fundraiser, make_contact, make_donation, make_campaign, make_fund
):
    """The export neutralises its text cells itself (csv_response(neutralised=True)): a
    cell that would start a formula in a spreadsheet starts with an apostrophe instead."""
    donor = make_contact(first_name="=HYPERLINK(\"http://x\")", last_name="Lee",
                         email="=evil@example.org")  # fmt: skip
    make_donation(
        donor, 1_000, campaign=make_campaign(name="+Spring"), fund=make_fund("@SUM(A1)"),
        source="-2+3", method=PaymentMethod.IN_KIND, in_kind_description="=1+1",
        cheque_number="=2", stripe_payment_intent_id="=pi", stripe_charge_id="+ch",
        stripe_invoice_id="@in", stripe_checkout_session_id="=cs",
    )  # fmt: skip
    (row,) = rows_of(fundraiser.get("/donations/export.csv"))
    typed = ["contact_name", "email", "campaign", "fund", "source", "in_kind_description",
             "cheque_number", "stripe_payment_intent", "stripe_charge", "stripe_invoice",
             "stripe_checkout_session"]  # fmt: skip
    assert {c: row[c][:1] for c in typed} == dict.fromkeys(typed, "'")
    assert row["amount"] == "10.00" and row["status"] == "succeeded"


def test_a_gift_whose_receipt_was_corrected_is_one_row_with_the_receipt_in_force(
    fundraiser, db, make_contact, make_donation
):
    """A refund after the receipt brings a corrected receipt; the old one is kept, replaced.
    The export lists the gift once, with the corrected receipt's number."""
    from crm.donations.receipts import bring_up_to_date, send_receipt
    from crm.donations.services import apply_refund

    gift = make_donation(make_contact(email="kim@example.org"), 10_000,
                         stripe_payment_intent_id="pi_export_corrected")  # fmt: skip
    first = send_receipt(gift)
    db.session.commit()
    apply_refund(gift, 4_000, stripe_refund_id="re_export_corrected", reason="donor asked")
    corrected = bring_up_to_date(gift)
    db.session.commit()
    assert corrected is not None and corrected.number != first.number

    rows = rows_of(fundraiser.get("/donations/export.csv"))
    assert [r["id"] for r in rows] == [str(gift.id)]
    assert rows[0]["receipt_number"] == corrected.number
    assert (rows[0]["refunded"], rows[0]["deductible"]) == ("40.00", "60.00")
