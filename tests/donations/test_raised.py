"""One "raised" everywhere: the campaigns list, a campaign's page, the dashboard, the goal
thermometer of the giving page and the campaign CSVs show the same figures for the same
campaign and period, computed here from the same gifts: card gifts with Stripe's fee,
partial and full refunds, a failed and a pending gift, gifts before the campaign's first day
and after its last, monthly instalments recorded by Stripe's webhooks, an offline cheque, and
gifts to another campaign and to none that must not count."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from crm.auth.roles import Role
from crm.dashboard.calendar import today
from crm.donations import services
from crm.donations.models import DonationStatus, Frequency, PaymentMethod
from crm.donations.public_forms import display_money
from tests import stripe_support as ss
from tests.dashboard.conftest import ZONE

pytestmark = pytest.mark.clock


@dataclass
class Expected:
    gifts: int = 0
    gross: int = 0
    refunded: int = 0
    fees: int = 0

    @property
    def net_of_refunds(self) -> int:
        return self.gross - self.refunded

    @property
    def net(self) -> int:
        return self.gross - self.refunded - self.fees


def at(day, hour=12):
    return datetime.combine(day, time(hour), tzinfo=ZONE)


@pytest.fixture
def appeal(client, db, make_campaign, make_contact, make_donation, make_fund):
    """A closed spring appeal and its gifts; returns the campaign, its period and what the
    gifts add up to, counted here by hand, since it began and within its dates."""
    now = today()
    starts, ends = now - timedelta(days=60), now - timedelta(days=10)
    spring = make_campaign(name="Spring appeal", slug="spring", goal_cents=250_000,
                           starts_on=starts, ends_on=ends)  # fmt: skip
    other = make_campaign(name="Other appeal", slug="other")
    ann, bob, cat = (make_contact(first_name=n, email=f"{n.lower()}@example.org")
                     for n in ("Ann", "Bob", "Cat"))  # fmt: skip
    whole, within = Expected(), Expected()

    def give(contact, cents, day, *, fee=None, refunded=0, counted=True, **fields):
        gift = make_donation(contact, cents, campaign=spring, received_at=at(day),
                             fee_cents=fee, **fields)  # fmt: skip
        if refunded:
            give_back(client, db, gift, refunded)
        if counted:
            for sums in (whole, within) if starts <= day <= ends else (whole,):
                sums.gifts += 1
                sums.gross += cents
                sums.refunded += refunded
                sums.fees += fee or 0
        return gift

    give(ann, 10_000, starts, fee=320)  # the first day, fee reported
    give(bob, 25_050, starts + timedelta(days=5), fee=757, refunded=5_050)  # partly refunded
    give(cat, 4_000, starts + timedelta(days=6), fee=146, refunded=4_000)  # a lost dispute
    give(ann, 7_777, starts + timedelta(days=7), status=DonationStatus.FAILED, counted=False)
    give(bob, 3_000, ends, status=DonationStatus.PENDING)  # a bank debit, settling
    give(cat, 1_500, starts - timedelta(days=3))  # before the campaign began
    give(ann, 60_000, ends + timedelta(days=2), method=PaymentMethod.CHEQUE,
         cheque_number="1042")  # after it ended: a cheque in the post  # fmt: skip
    make_donation(ann, 99_900, campaign=other, received_at=at(starts + timedelta(days=1)))
    make_donation(bob, 88_800, received_at=at(starts + timedelta(days=2)))  # no campaign
    instalments = (starts + timedelta(days=1), ends - timedelta(days=1), now)
    intent = monthly_plan(client, db, spring, instalments)
    for day in instalments:
        for sums in (whole, within) if day <= ends else (whole,):
            sums.gifts += 1
            sums.gross += 2_500
    return Appeal(spring, whole, within, intent.public_id)


def give_back(client, db, gift, amount):
    """A refund through Stripe's charge.refunded, or for the whole gift a lost dispute."""
    n = gift.id
    gift.stripe_payment_intent_id, gift.stripe_charge_id = f"pi_raised{n}", f"ch_raised{n}"
    db.session.commit()
    if amount < gift.amount_cents:
        refund = ss.refund(f"ch_raised{n}", f"pi_raised{n}", amount)
        charge = ss.charge(f"pi_raised{n}", gift.amount_cents, amount_refunded=amount,
                           refunds=[refund], id=f"ch_raised{n}")  # fmt: skip
        events = [ss.event("charge.refunded", charge)]
    else:
        lost = ss.dispute(f"ch_raised{n}", f"pi_raised{n}", amount, "lost", id=f"dp_raised{n}")
        events = [ss.event("charge.dispute.created", {**lost, "status": "needs_response"}),
                  ss.event("charge.dispute.closed", lost)]  # fmt: skip
    for event in events:
        assert ss.deliver(client, event).status_code == 200
    db.session.refresh(gift)
    assert gift.refunded_cents == amount


@dataclass
class Appeal:
    campaign: object
    whole: Expected  # since it began
    within: Expected  # from its first day to its last
    monthly_intent: str  # the public id of the monthly gift's intent


def monthly_plan(client, db, campaign, days):
    """A donor's monthly gift set up through Checkout, with an instalment paid on each day;
    returns its intent."""
    intent = services.create_intent(campaign, {
        "frequency": Frequency.MONTHLY, "amount_cents": 2_500, "first_name": "Dee",
        "last_name": "Monthly", "email": "dee@example.org",
    })  # fmt: skip
    db.session.commit()
    subscription = "sub_raised1"
    session = ss.checkout_session(intent, subscription=subscription, customer="cus_raised1")
    assert ss.deliver(client, ss.event("checkout.session.completed", session)).status_code == 200
    for n, day in enumerate(days):
        invoice = ss.invoice(subscription, 2_500, customer="cus_raised1", id=f"in_raised{n}")
        paid_at = int(at(day, 9).astimezone(UTC).timestamp())
        invoice["status_transitions"]["paid_at"] = paid_at
        assert ss.deliver(client, ss.event("invoice.paid", invoice)).status_code == 200
    return intent


# --- reading each place -------------------------------------------------------------------


def cents(text: str) -> int:
    return int(Decimal(text.replace("$", "").replace(",", "").lstrip("'")) * 100)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def totals(html: str) -> dict:
    """The figures of a `raised_totals` list: {"Gross": 1250, ..., "Gifts": 3}."""
    pairs = re.findall(r"<dt>([^<]+)</dt><dd>([^<]*)</dd>", html)
    return {
        k: (int(v.replace(",", "")) if k in ("Gifts", "Donors") else cents(v)) for k, v in pairs
    }


def section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</section>", start)]


def from_totals(figures: dict) -> dict:
    return {
        "gifts": figures["Gifts"],
        "gross": figures["Gross"],
        "refunded": figures["Refunded"],
        "fees": figures["Fees"],
        "net_of_refunds": figures["Net of refunds"],
        "net": figures["Net of refunds and fees"],
    }


def from_line(text: str) -> dict:
    """The one-line "against the goal" figures of the list and the dashboard tile."""
    pattern = (
        r"(\$[\d,.]+) net of refunds of \$[\d,.]+ goal \((\d+)%\).*?"
        r"Gross (\$[\d,.]+) · net of refunds and fees (-?\$[\d,.]+)"
    )
    found = re.search(pattern, text)
    assert found, text
    return {"net_of_refunds": cents(found[1]), "percent": int(found[2]),
            "gross": cents(found[3]), "net": cents(found[4])}  # fmt: skip


def expected(sums: Expected, *keys) -> dict:
    values = {"gifts": sums.gifts, "gross": sums.gross, "refunded": sums.refunded,
              "fees": sums.fees, "net_of_refunds": sums.net_of_refunds,
              "net": sums.net}  # fmt: skip
    return {k: values[k] for k in keys} if keys else values


def gifts_csv(client, **args) -> dict:
    response = client.get("/donations/export.csv", query_string=args)
    rows = [r for r in csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
            if r["status"] != "failed"]  # fmt: skip
    total = {c: sum(cents(r[c] or "0") for r in rows) for c in ("amount", "refunded", "fee", "net")}
    return {"gifts": len(rows), "gross": total["amount"], "refunded": total["refunded"],
            "fees": total["fee"], "net_of_refunds": total["amount"] - total["refunded"],
            "net": total["net"]}  # fmt: skip


def campaigns_csv(client, campaign_id, **args) -> dict:
    response = client.get(
        "/donations/campaigns.csv", query_string={"campaign": campaign_id, **args}
    )
    (row,) = csv.DictReader(io.StringIO(response.text.lstrip("\ufeff")))
    return {"gifts": int(row["gifts"]), "gross": cents(row["gross"]),
            "refunded": cents(row["refunded"]), "fees": cents(row["fees"]),
            "net_of_refunds": cents(row["net_of_refunds"]),
            "net": cents(row["net_of_refunds_and_fees"])}  # fmt: skip


# --- the tests ----------------------------------------------------------------------------


def test_every_place_shows_one_raised_since_the_campaign_began(client, make_user, appeal):
    spring, whole = appeal.campaign, appeal.whole
    client.login_as(make_user(Role.FUNDRAISER))
    want = expected(whole)
    assert want == {"gifts": 9, "gross": 111_050, "refunded": 9_050, "fees": 1_223,
                    "net_of_refunds": 102_000, "net": 100_777}  # by hand  # fmt: skip
    goal_line = {**expected(whole, "net_of_refunds", "gross", "net"), "percent": 41}

    page = client.get(f"/donations/campaigns/{spring.id}").text
    assert from_totals(totals(section(page, 'id="raised-h"'))) == want
    assert totals(page)["Donors"] == 4  # Ann, Bob, Cat (one gift kept), Dee
    assert "$1,020.00 net of refunds of $2,500.00 goal (41%)" in words(page)
    assert ("3 of these gifts ($640.00 gross, $640.00 net of refunds) were received outside "
            "the campaign's dates") in words(page)  # fmt: skip

    listed = words(client.get("/donations/campaigns/").text)
    assert from_line(listed[listed.index("Spring appeal") :]) == goal_line

    # The dashboard: the campaign's tile since it began, and the Raised tile for every day
    # of its history (a custom period from its first gift to today).
    first = spring.starts_on - timedelta(days=3)
    dashboard = client.get("/dashboard", query_string={
        "campaign": spring.id, "period": "custom", "from": first.isoformat(),
        "to": today().isoformat()}).text  # fmt: skip
    assert from_line(words(section(dashboard, 'id="tile-campaigns"'))) == goal_line
    assert from_totals(totals(section(dashboard, 'id="tile-raised"'))) == want

    # The appeal has ended, so its giving page says so; the thermometer is on the thank-you
    # page of the monthly donor (and of any gift).
    thanks = words(client.get(f"/give/thanks/{appeal.monthly_intent}").text)
    assert f"{display_money(whole.net_of_refunds, 'USD')} raised of our $2,500 goal" in thanks
    assert "41% of the goal · 4 donors" in thanks
    assert "Net of refunds, since the campaign began." in thanks

    assert campaigns_csv(client, spring.id) == want
    assert gifts_csv(client, campaign=spring.id) == want


def test_every_place_shows_one_raised_for_a_period(client, make_user, appeal):
    spring, within = appeal.campaign, appeal.within
    client.login_as(make_user(Role.FUNDRAISER))
    days = {"date_from": spring.starts_on.isoformat(), "date_to": spring.ends_on.isoformat()}
    want = expected(within)
    assert (want["gifts"], want["gross"], want["net"]) == (6, 47_050, 36_777)  # by hand

    page = client.get(f"/donations/campaigns/{spring.id}", query_string=days).text
    assert from_totals(totals(section(page, 'id="raised-h"'))) == want
    dashboard = client.get("/dashboard", query_string={
        "campaign": spring.id, "period": "custom", "from": days["date_from"],
        "to": days["date_to"]}).text  # fmt: skip
    assert from_totals(totals(section(dashboard, 'id="tile-raised"'))) == want
    assert campaigns_csv(client, spring.id, **days) == want
    assert gifts_csv(client, campaign=spring.id, **days) == want


def test_the_thermometer_of_an_open_campaign_agrees(client, make_user, appeal, db):
    spring, whole = appeal.campaign, appeal.whole
    spring.ends_on = None  # reopened: its giving page takes gifts again
    db.session.commit()
    thermometer = words(client.get("/give/spring").text)
    assert f"{display_money(whole.net_of_refunds, 'USD')} raised of our $2,500 goal" in thermometer
    assert "41% of the goal · 4 donors" in thermometer
    client.login_as(make_user(Role.FUNDRAISER))
    listed = words(client.get("/donations/campaigns/").text)
    line = from_line(listed[listed.index("Spring appeal") :])
    assert line["net_of_refunds"] == whole.net_of_refunds and line["percent"] == 41


def test_a_period_with_an_open_end_and_a_backwards_one(client, make_user, appeal):
    spring, whole, within = appeal.campaign, appeal.whole, appeal.within
    client.login_as(make_user(Role.FUNDRAISER))
    url = f"/donations/campaigns/{spring.id}"
    until_end = totals(client.get(url, query_string={"date_to": spring.ends_on}).text)
    assert until_end["Gross"] == within.gross + 1_500  # and the gift before it began
    backwards = client.get(url, query_string={"date_from": spring.ends_on,
                                              "date_to": spring.starts_on})  # fmt: skip
    assert "The end date is before the start date." in backwards.text
    assert totals(backwards.text)["Gross"] == whole.gross  # since the campaign began


def test_staff_only(app, make_user, appeal):
    urls = (f"/donations/campaigns/{appeal.campaign.id}", "/donations/campaigns.csv")
    for role, status in ((None, 302), (Role.COORDINATOR, 403), (Role.FUNDRAISER, 200)):
        client = app.test_client()
        if role:
            client.login_as(make_user(role))
        assert [client.get(url).status_code for url in urls] == [status, status]
