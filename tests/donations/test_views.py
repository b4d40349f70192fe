import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from crm.auth.roles import Role
from crm.donations.models import Donation, DonationStatus, PaymentMethod, Refund

NY = ZoneInfo("America/New_York")


@pytest.fixture
def fundraiser(client, make_user):
    client.login(make_user(Role.FUNDRAISER))
    return client


def export(client, query=""):
    response = client.get(f"/donations/export.csv{query}")
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_list_shows_gifts_and_totals_of_the_filter(fundraiser, make_donation, make_campaign):
    spring = make_campaign(name="Spring appeal")
    make_donation(amount_cents=5000, campaign=spring, fee_cents=140)
    make_donation(
        amount_cents=2500,
        campaign=spring,
        refunded_cents=1000,
        status=DonationStatus.PARTIALLY_REFUNDED,
    )
    make_donation(amount_cents=9900)  # another campaign
    make_donation(amount_cents=7000, campaign=spring, status=DonationStatus.FAILED)
    page = fundraiser.get(f"/donations/?campaign={spring.id}")
    assert page.status_code == 200
    assert "$75.00" in page.text  # gross of the three counted gifts
    assert "$10.00" in page.text  # refunded
    assert "$63.60" in page.text  # net: 75.00 - 10.00 - 1.40
    assert "$99.00" not in page.text


def test_export_sums_equal_the_totals_and_follow_the_filter(
    fundraiser, make_donation, make_campaign, make_fund
):
    spring = make_campaign(name="Spring appeal")
    fund = make_fund(name="School programme", restricted=True)
    make_donation(amount_cents=5000, campaign=spring, fund=fund, source="=cmd|evil")
    make_donation(
        amount_cents=1234, campaign=spring, method=PaymentMethod.CHEQUE, cheque_number="000123"
    )
    make_donation(amount_cents=999)
    rows = export(fundraiser, f"?campaign={spring.id}")
    assert len(rows) == 2
    assert sum(float(r["amount"]) for r in rows) == pytest.approx(62.34)
    assert {r["campaign"] for r in rows} == {"Spring appeal"}
    assert "'=cmd|evil" in {r["source"] for r in rows}  # a formula is neutralised
    assert set(rows[0]) >= {
        "id",
        "date",
        "contact_name",
        "email",
        "amount",
        "currency",
        "fee",
        "net",
        "status",
        "method",
        "campaign",
        "fund",
        "source",
        "recurring_plan",
        "receipt_number",
        "stripe_payment_intent",
    }
    assert len(export(fundraiser, "?method=cheque")) == 1


def test_date_filter_uses_the_organisations_time_zone(fundraiser, make_donation):
    late = datetime(2026, 3, 31, 23, 30, tzinfo=NY)  # 03:30 UTC on 1 April
    early = datetime(2026, 4, 1, 0, 30, tzinfo=NY)
    make_donation(amount_cents=1111, received_at=late)
    make_donation(amount_cents=2222, received_at=early)
    march = export(fundraiser, "?date_from=2026-03-01&date_to=2026-03-31")
    assert [r["amount"] for r in march] == ["11.11"]
    april = export(fundraiser, "?date_from=2026-04-01&date_to=2026-04-30")
    assert [r["amount"] for r in april] == ["22.22"]


def test_bad_filters_do_not_break_the_list(fundraiser):
    for query in (
        "?date_from=31/12/2026",
        "?campaign=abc&fund=-1&page=x",
        "?status=bogus",
        "?q=" + "x" * 500,
    ):
        assert fundraiser.get(f"/donations/{query}").status_code == 200


def test_record_a_cheque_sends_a_receipt(fundraiser, make_contact, make_fund, mail, db):
    donor = make_contact(first_name="Chloé", last_name="Dubois", email="chloe@example.org")
    fund = make_fund(name="Trainings")
    response = fundraiser.form(
        f"/contacts/{donor.id}/gifts/new",
        {
            "method": "cheque",
            "amount": "1,250.00",
            "received_on": "2026-05-02",
            "fund": str(fund.id),
            "cheque_number": "004512",
            "campaign": "",
        },
    )
    assert response.status_code == 302
    gift = db.session.scalars(select(Donation)).one()
    assert gift.amount_cents == 125_000 and gift.method == PaymentMethod.CHEQUE
    assert gift.received_at.astimezone(NY).date().isoformat() == "2026-05-02"
    assert gift.receipt.number.startswith("2026-")
    (receipt_mail,) = mail.to("chloe@example.org")
    assert gift.receipt.number in receipt_mail["Subject"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "abc"}, "Enter an amount like 25"),
        ({"amount": "-5"}, "cannot be negative"),
        ({"amount": "10.999"}, "at most two decimals"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "10", "method": "cheque"}, "Enter the cheque number"),
        ({"amount": "10", "method": "bogus"}, "Not a valid choice"),
        ({"amount": "10", "received_on": "yesterday"}, "Not a valid date value"),
        ({"amount": "10", "comment": "x" * 1001}, "Field cannot be longer than 1000"),
    ],
)
def test_bad_offline_gifts_are_refused_and_write_nothing(
    fundraiser, make_contact, db, mail, data, message
):
    donor = make_contact(email="d@example.org")
    form = {"method": "cash", "received_on": "2026-05-02", **data}
    response = fundraiser.form(f"/contacts/{donor.id}/gifts/new", form)
    assert response.status_code == 200
    assert message in response.text
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    assert mail.messages == []


def test_unknown_ids_are_404(fundraiser):
    assert fundraiser.get("/donations/999").status_code == 404
    assert fundraiser.get("/contacts/999/gifts/new").status_code == 404
    assert fundraiser.form("/donations/999/refund", {"amount": "1"}).status_code == 404
    assert fundraiser.get("/donations/plans/999").status_code == 404


def test_change_designation(fundraiser, make_donation, make_fund, make_campaign, db):
    gift = make_donation()
    fund, campaign = make_fund(name="Restricted"), make_campaign()
    fundraiser.form(
        f"/donations/{gift.id}/designation", {"fund": str(fund.id), "campaign": str(campaign.id)}
    )
    db.session.refresh(gift)
    assert gift.fund_id == fund.id and gift.campaign_id == campaign.id
    bad = fundraiser.form(f"/donations/{gift.id}/designation", {"fund": "999", "campaign": ""})
    assert bad.status_code == 400


def test_refund_of_an_offline_gift_is_recorded(fundraiser, make_donation, db):
    gift = make_donation(amount_cents=4000, method=PaymentMethod.CASH)
    fundraiser.form(f"/donations/{gift.id}/refund", {"amount": "15", "reason": "Duplicate"})
    db.session.refresh(gift)
    assert gift.refunded_cents == 1500 and gift.status == DonationStatus.PARTIALLY_REFUNDED
    too_much = fundraiser.form(
        f"/donations/{gift.id}/refund", {"amount": "30"}, follow_redirects=True
    )
    assert "more than what is left" in too_much.text
    assert db.session.scalar(select(func.count()).select_from(Refund)) == 1


def test_refund_of_an_imported_card_gift_is_recorded_without_stripe(fundraiser, make_donation, db):
    # Charged in the system it was imported from: there is no Stripe payment to refund here.
    gift = make_donation(amount_cents=5000, method=PaymentMethod.CARD)
    page = fundraiser.get(f"/donations/{gift.id}").text
    assert "make the refund there first" in page and "goes back to the donor's card" not in page
    done = fundraiser.form(
        f"/donations/{gift.id}/refund",
        {"amount": "50", "reason": "Refunded in Givebutter"},
        follow_redirects=True,
    )
    assert "Refund made." in done.text
    db.session.refresh(gift)
    assert gift.refunded_cents == 5000 and gift.status == DonationStatus.REFUNDED
    refund = db.session.scalars(select(Refund)).one()
    assert refund.stripe_refund_id is None and refund.reason == "Refunded in Givebutter"


def test_a_contact_with_gifts_cannot_be_deleted(client, make_user, make_donation, db):
    gift = make_donation()
    client.login(make_user(Role.ADMIN))
    response = client.form(f"/contacts/{gift.contact_id}/delete", follow_redirects=True)
    assert "cannot be deleted" in response.text
    assert db.session.get(Donation, gift.id) is not None


def test_coordinators_see_no_money(client, make_user, make_donation):
    gift = make_donation()
    client.login(make_user(Role.COORDINATOR))
    for url in (
        "/donations/",
        "/donations/export.csv",
        f"/donations/{gift.id}",
        "/donations/plans/",
        "/donations/campaigns/",
    ):
        assert client.get(url).status_code == 403


def test_campaign_admin(fundraiser, db):
    from crm.donations.models import Campaign

    response = fundraiser.form(
        "/donations/campaigns/new",
        {
            "name": "Back to school",
            "slug": "back-to-school",
            "goal": "20,000",
            "status": "active",
            "starts_on": "2026-08-01",
            "ends_on": "2026-09-30",
        },
    )
    assert response.status_code == 302
    campaign = db.session.scalars(select(Campaign)).one()
    assert campaign.goal_cents == 2_000_000 and campaign.currency == "USD"
    clash = fundraiser.form(
        "/donations/campaigns/new",
        {"name": "Other", "slug": "back-to-school", "goal": "1", "status": "draft"},
    )
    assert "already uses" in clash.text
    backwards = fundraiser.form(
        "/donations/campaigns/new",
        {
            "name": "X",
            "slug": "x",
            "goal": "1",
            "status": "draft",
            "starts_on": "2026-09-01",
            "ends_on": "2026-08-01",
        },
    )
    assert "before the start date" in backwards.text
    assert db.session.scalar(select(func.count()).select_from(Campaign)) == 1
    assert "Back to school" in fundraiser.get("/donations/campaigns/").text


def test_gifts_on_the_contact_timeline_only_for_money_roles(app, client, make_user, make_donation):
    gift = make_donation(amount_cents=4321)
    client.login(make_user(Role.FUNDRAISER))
    page = client.get(f"/contacts/{gift.contact_id}")
    assert "$43.21 gift" in page.text and "Record a gift" in page.text
    coordinator = app.test_client()
    coordinator.login(make_user(Role.COORDINATOR))
    page = coordinator.get(f"/contacts/{gift.contact_id}")
    assert page.status_code == 200
    assert "$43.21" not in page.text and "Record a gift" not in page.text
