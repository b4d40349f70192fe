"""Donor counts, retention, LYBUNT and SYBUNT on a history whose answers are known."""

import csv
import io
from datetime import timedelta

import pytest

from crm.auth.roles import Role
from crm.dashboard import metrics
from crm.dashboard.calendar import Period, add_months, fy_start, today
from crm.donations import services
from crm.donations.models import DonationStatus, PaymentMethod
from tests.dashboard.conftest import local

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def in_year(offset: int, month: int = 3):
    """Noon on the 10th of a month of the fiscal year `offset` years from this one."""
    day = add_months(fy_start(today()), 12 * offset + month) + timedelta(days=9)
    return local(day.year, day.month, day.day, 12, 0, 0)


@pytest.fixture
def history(db, gift, make_contact):
    people = {}
    plan = {
        "sybunt": [-2],  # gave the year before last only
        "lybunt": [-1],  # gave last year only
        "retained": [-1, 0],  # gave last year and this year
        "new": [0],  # first gift this year
        "lybunt_again": [-3, -1],  # gave three years ago and last year
        "came_back": [-2, 0],  # lapsed, then gave again this year
        "old_sybunt": [-4, -3],  # lapsed long ago
    }
    for name, years in plan.items():
        people[name] = make_contact(first_name=name, last_name="Donor", email=f"{name}@example.org")
        for offset in years:
            gift(people[name], 5000, in_year(offset), method=PaymentMethod.CASH)
    # Gave last year, but it was refunded in full: not a donor of last year.
    people["refunded"] = make_contact(first_name="refunded", last_name="Donor", email=None)
    refunded = gift(people["refunded"], 3000, in_year(-1), method=PaymentMethod.CASH)
    services.apply_refund(refunded, 3000)
    # A failed gift this year makes no donor either.
    gift(people["sybunt"], 2000, in_year(0), status=DonationStatus.FAILED)
    db.session.commit()
    return people


def test_retention_new_and_returning(history):
    year = fy_start(today())
    this_year = Period("fy", year, add_months(year, 12) - timedelta(days=1))
    donors = metrics.donors(this_year, None)
    assert donors.donors == 3  # retained, new, came_back
    assert donors.new == 1
    assert donors.returning == 2
    assert donors.last_year_donors == 3  # lybunt, retained, lybunt_again
    assert donors.retained == 1
    assert donors.retention_percent == pytest.approx(33.3)
    assert donors.lybunt == 2
    assert donors.sybunt == 2  # sybunt, old_sybunt
    last_year = Period("last_fy", add_months(year, -12), year - timedelta(days=1))
    before = metrics.donors(last_year, None)
    assert (before.donors, before.new, before.retained, before.last_year_donors) == (3, 2, 0, 2)


def names_in(response) -> set[str]:
    rows = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    return {row["name"].split()[0] for row in rows}


def test_lybunt_and_sybunt_lists_and_exports(client, history, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    assert names_in(client.get("/dashboard/lybunt.csv")) == {"lybunt", "lybunt_again"}
    assert names_in(client.get("/dashboard/sybunt.csv")) == {"sybunt", "old_sybunt"}
    page = client.get("/dashboard/lybunt").text
    assert "lybunt_again Donor" in page and "retained Donor" not in page
    dashboard = client.get("/dashboard?period=fy").text
    assert "LYBUNT: 2" in dashboard and "SYBUNT: 2" in dashboard
    assert "33.3%" in dashboard


def test_month_counts_and_custom_ranges(history):
    gift_day = in_year(0).date()
    month = Period("custom", gift_day.replace(day=1), add_months(gift_day, 1) - timedelta(days=1))
    assert month.is_month
    counted = metrics.donors(month, None)
    assert (counted.donors, counted.new, counted.live) == (3, 1, False)
    week = Period("custom", gift_day - timedelta(days=3), gift_day + timedelta(days=3))
    live = metrics.donors(week, None)
    assert (live.donors, live.new, live.live) == (3, 1, True)
