"""The dashboard's totals equal the sums of the donations CSV export for the same filter:
every period and campaign, with partial refunds, a lost dispute, failed and pending gifts,
fees, and gifts a few seconds either side of midnight at the period boundaries."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from crm.auth.roles import Role
from crm.dashboard import metrics
from crm.dashboard.calendar import Period, add_months, fy_start, month_end, month_start, today
from crm.donations import services
from crm.donations.models import DonationStatus, PaymentMethod
from crm.payments.money import format_money
from tests import stripe_support as ss
from tests.dashboard.conftest import local

pytestmark = pytest.mark.clock  # the outcome depends on today's date

DONOR_STATUSES = {"pending", "succeeded", "partially_refunded"}


def _at(day, h, m, s):
    return local(day.year, day.month, day.day, h, m, s)


@pytest.fixture
def history(client, db, gift, make_contact, make_campaign, make_fund):
    a, b = make_campaign(name="Alpha"), make_campaign(name="Beta")
    fund = make_fund("Schools")
    now = today()
    month, year = month_start(now), fy_start(now)
    ann, bob, cat = (make_contact(first_name=n, email=None) for n in ("Ann", "Bob", "Cat"))
    # Either side of midnight where the month and the fiscal year begin (org time zone).
    gift(ann, 1111, _at(month, 0, 0, 30), campaign=a, fund=fund, source="letter")
    gift(bob, 2222, _at(month - timedelta(days=1), 23, 59, 30), campaign=a)
    gift(cat, 3333, _at(year, 0, 0, 1), campaign=b, fee_cents=103)
    gift(ann, 4444, _at(year - timedelta(days=1), 23, 59, 59), campaign=b)
    gift(bob, 5555, _at(month_end(month), 23, 59, 59), campaign=a)
    # Refunds: partial, full, and a dispute lost through the webhook.
    partial = gift(cat, 10000, _at(month, 12, 0, 0), campaign=a, method=PaymentMethod.CASH)
    services.apply_refund(partial, 2500)
    full = gift(ann, 6000, _at(month, 13, 0, 0), campaign=b, method=PaymentMethod.CHEQUE,
                cheque_number="7")  # fmt: skip
    services.apply_refund(full, 6000)
    db.session.commit()
    disputed = gift(bob, 8000, _at(month, 14, 0, 0), campaign=a, fee_cents=206,
                    stripe_payment_intent_id="pi_rec1", stripe_charge_id="ch_rec1")  # fmt: skip
    opened = ss.dispute("ch_rec1", "pi_rec1", 8000, "needs_response", id="dp_rec1")
    assert ss.deliver(client, ss.event("charge.dispute.created", opened)).status_code == 200
    lost = ss.dispute("ch_rec1", "pi_rec1", 8000, "lost", id="dp_rec1")
    assert ss.deliver(client, ss.event("charge.dispute.closed", lost)).status_code == 200
    db.session.refresh(disputed)
    assert disputed.status == DonationStatus.REFUNDED
    # Failed and pending gifts.
    gift(cat, 7777, _at(month, 15, 0, 0), campaign=a, status=DonationStatus.FAILED)
    gift(make_contact(email=None), 999, _at(month, 16, 0, 0), status=DonationStatus.PENDING)
    # Older history: last year and the year before.
    for n in range(1, 14):
        day = add_months(year, -n) + timedelta(days=n)
        gift(ann if n % 2 else bob, 1000 + n, _at(day, 9, 0, 0), campaign=a if n % 3 else b)
    return {"a": a.id, "b": b.id}


def export_sums(client, period: Period, campaign_id: int | None) -> dict:
    args = {"date_from": period.first.isoformat(), "date_to": period.last.isoformat()}
    if campaign_id:
        args["campaign"] = campaign_id
    response = client.get("/donations/export.csv", query_string=args)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    counted = [r for r in rows if r["status"] != "failed"]

    def cents(column):
        # A negative net comes as "'-1.00": the export neutralises a leading minus.
        return int(sum(Decimal(r[column].lstrip("'") or "0") for r in counted) * 100)

    return {
        "gifts": len(counted),
        "gross": cents("amount"),
        "refunded": cents("refunded"),
        "fees": cents("fee"),
        "net": cents("net"),
        "donors": len({r["contact_id"] for r in rows if r["status"] in DONOR_STATUSES}),
    }


def periods() -> list[Period]:
    now = today()
    month, year = month_start(now), fy_start(now)
    return [
        Period("month", month, month_end(month)),
        Period("fy", year, add_months(year, 12) - timedelta(days=1)),
        Period("last_fy", add_months(year, -12), year - timedelta(days=1)),
        Period("custom", year - timedelta(days=1), year),  # the two days around the boundary
        Period("custom", month - timedelta(days=1), month + timedelta(days=9)),
        Period("custom", add_months(year, -30), month_end(month)),  # years, months, weeks, days
    ]


def test_dashboard_totals_equal_the_export(client, history, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    checked = 0
    for period in periods():
        for campaign_id in (None, history["a"], history["b"]):
            expected = export_sums(client, period, campaign_id)
            totals = metrics.money(period, campaign_id, "week").totals
            shown = {
                "gifts": totals.gifts,
                "gross": totals.gross_cents,
                "refunded": totals.refunded_cents,
                "fees": totals.fee_cents,
                "net": totals.net_cents,
                "donors": metrics.donors(period, campaign_id).donors,
            }
            assert shown == expected, (period, campaign_id)
            checked += expected["gifts"]
    assert checked > 50  # the periods are not empty


def test_the_page_shows_the_same_totals(client, history, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    period = periods()[0]
    expected = export_sums(client, period, history["a"])
    page = client.get(f"/dashboard?period=month&campaign={history['a']}").text
    assert f"<dd>{format_money(expected['gross'], 'USD')}</dd>" in page
    assert f"<dd>{format_money(expected['net'], 'USD')}</dd>" in page
    assert f"<dt>Gifts</dt><dd>{expected['gifts']}</dd>" in page


def test_series_adds_up_to_the_totals(db, history):
    for period in periods():
        for by in ("week", "month"):
            money = metrics.money(period, None, by)
            assert sum(now.gross_cents for _, _, now, _ in money.series) == money.totals.gross_cents
            before = metrics.money(period.previous(), None, by).totals.gross_cents
            assert sum(b.gross_cents for _, _, _, b in money.series) <= before
