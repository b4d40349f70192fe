"""Pledges: the schedule, payments online or offline, balance and next due date, a refund that
reopens a pledge, write-off with a reason, reminders through SMTP once each, and the
dashboard's figures per campaign against the pledges' own pages."""

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import pledges, services
from crm.donations.models import DonationStatus, PaymentMethod
from crm.donations.pledge_models import (
    Pledge,
    PledgeFrequency,
    PledgeInstalment,
    PledgePayment,
    PledgeStatus,
)
from crm.donations.pledge_queries import totals_by_campaign

pytestmark = pytest.mark.clock
ZONE = ZoneInfo("America/New_York")


def today() -> date:
    return datetime.now(ZONE).date()


@pytest.fixture
def money_client(client, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    return client


def pledge_of(contact, cents=30_000, first=None, frequency=PledgeFrequency.MONTHLY, n=3, **extra):
    first = first or today()
    data = pledges.PledgeData(cents, min(today(), first), first, frequency, n, **extra)
    return pledges.create_pledge(contact, data)


def received_by_hand(pledge) -> int:
    """What the payments count, worked out here from the gifts: at most what is left of each
    gift, nothing of a gift that failed or went back in full."""
    total = 0
    for payment in pledge.payments:
        gift = payment.donation
        if gift.status not in (DonationStatus.FAILED, DonationStatus.REFUNDED):
            total += min(payment.amount_cents, gift.amount_cents - gift.refunded_cents)
    return total


def test_the_schedule_splits_the_amount(db):
    parts = pledges.schedule(10_000, date(2027, 1, 31), PledgeFrequency.MONTHLY, 3)
    assert parts == [(date(2027, 1, 31), 3_334), (date(2027, 2, 28), 3_333),
                     (date(2027, 3, 31), 3_333)]  # fmt: skip
    assert pledges.schedule(500, date(2027, 5, 1), PledgeFrequency.ONCE, 12) == [
        (date(2027, 5, 1), 500)
    ]
    assert pledges.schedule(900, date(2027, 5, 1), PledgeFrequency.QUARTERLY, 2)[1][0] == date(
        2027, 8, 1
    )
    for cents, n, problem in ((100, 0, "from 1 to 120"), (100, 121, "from 1 to 120"),
                              (2, 3, "too small")):  # fmt: skip
        with pytest.raises(services.DonationError, match=problem):
            pledges.schedule(cents, date(2027, 1, 1), PledgeFrequency.MONTHLY, n)


def test_payments_balance_and_next_due(db, make_contact, make_donation):
    ann = make_contact()
    pledge = pledge_of(ann, first=today() - timedelta(days=40))  # first two due already
    db.session.commit()
    state = pledges.state_of(pledge, 0)
    assert (state.balance_cents, state.next_due, state.overdue) == (
        30_000,
        pledge.instalments[0].due_on,
        True,
    )
    gift = make_donation(ann, 15_000, method=PaymentMethod.CHEQUE)
    pledges.apply_payment(pledge, gift, None, None)
    state = pledges.state_of(pledge, pledge.received_cents)
    assert state.paid_cents == 15_000 and state.balance_cents == 15_000
    assert state.next_due == pledge.instalments[1].due_on and state.next_due_cents == 5_000
    assert [s.label for s in state.instalments][:2] == ["Paid", "Part paid, overdue"]
    online = make_donation(ann, 20_000, method=PaymentMethod.CARD)
    with pytest.raises(services.DonationError, match="more than the pledge's balance"):
        pledges.apply_payment(pledge, online, 20_000, None)
    pledges.apply_payment(pledge, online, None, None)  # the balance, not the whole gift
    assert pledge.status == PledgeStatus.FULFILLED
    assert db.session.scalar(select(PledgePayment.amount_cents).where(
        PledgePayment.donation_id == online.id)) == 15_000  # fmt: skip
    # a refund of an applied gift reopens the pledge, in the refund's own flush
    services.apply_refund(online, 10_000, made_elsewhere=True)
    db.session.commit()
    db.session.refresh(pledge)
    assert pledge.status == PledgeStatus.OPEN
    assert pledge.received_cents == received_by_hand(pledge) == 25_000
    assert pledge.next_due_on == pledge.instalments[2].due_on
    assert pledges.state_of(pledge, pledge.received_cents).balance_cents == 5_000


def test_payments_that_cannot_be_applied(db, make_contact, make_donation):
    ann, ben = make_contact(), make_contact()
    pledge = pledge_of(ann)
    wrong = (
        (make_donation(ben, 100), "from someone else"),
        (make_donation(ann, 100, status=DonationStatus.FAILED), "failed"),
        (make_donation(ann, 100, currency="EUR"), "another currency"),
    )
    for gift, problem in wrong:
        with pytest.raises(services.DonationError, match=problem):
            pledges.apply_payment(pledge, gift, None, None)
    gift = make_donation(ann, 100)
    pledges.apply_payment(pledge, gift, None, None)
    with pytest.raises(services.DonationError, match="already been applied"):
        pledges.apply_payment(pledge_of(ann), gift, None, None)


def test_recording_writing_off_and_the_list(db, money_client, make_contact, make_donation,
                                           make_campaign):  # fmt: skip
    spring = make_campaign(name="Spring")
    ann = make_contact(first_name="Ann", last_name="Lee")
    url = f"/contacts/{ann.id}/pledges/new"
    assert "Record a pledge" in money_client.get(f"/contacts/{ann.id}").text
    yesterday = (today() - timedelta(days=1)).isoformat()
    bad = money_client.form(url, {"amount": "300", "pledged_on": today().isoformat(),
                                  "frequency": "monthly", "instalments": "3",
                                  "first_due_on": yesterday})  # fmt: skip
    assert "cannot be due before the pledge was made" in bad.text
    bad = money_client.form(url, {"amount": "-5", "pledged_on": today().isoformat(),
                                  "frequency": "weekly", "instalments": "0",
                                  "first_due_on": today().isoformat()})  # fmt: skip
    assert bad.status_code == 200 and "Please correct 3 problems" in bad.text
    assert db.session.scalars(select(Pledge)).all() == []
    done = money_client.form(url, {"amount": "300", "pledged_on": today().isoformat(),
                                   "frequency": "monthly", "instalments": "3",
                                   "first_due_on": today().isoformat(),
                                   "campaign": str(spring.id)})  # fmt: skip
    pledge_url = done.location
    page = money_client.get(pledge_url).text
    assert page.count("$100.00") >= 3 and "Apply a gift" not in page  # no gift to apply yet
    gift = make_donation(ann, 10_000, method=PaymentMethod.CASH)
    page = money_client.get(pledge_url).text
    assert "Apply a gift" in page
    money_client.form(f"{pledge_url}/payments", {"gift": str(gift.id)})
    page = money_client.get(pledge_url).text
    assert "$200.00" in page and "Paid" in page
    refused = money_client.form(f"{pledge_url}/write-off", {"reason": ""}, follow_redirects=True)
    assert "say why" in refused.text
    money_client.form(f"{pledge_url}/write-off", {"reason": "Moved abroad"})
    page = money_client.get(pledge_url).text
    assert "Written off" in page and "Moved abroad" in page
    listed = money_client.get(f"/donations/pledges/?status=written_off&campaign={spring.id}").text
    assert "Ann Lee" in listed
    assert "Ann Lee" not in money_client.get("/donations/pledges/").text  # open ones by default


def test_the_dashboard_shows_what_the_pledges_say(db, money_client, make_contact, make_donation,
                                                  make_campaign):  # fmt: skip
    spring, autumn = make_campaign(name="Spring"), make_campaign(name="Autumn")
    people = [make_contact() for _ in range(3)]
    first = pledge_of(people[0], 60_000, campaign_id=spring.id)
    pledges.apply_payment(first, make_donation(people[0], 25_000), None, None)
    second = pledge_of(people[1], 40_000, campaign_id=spring.id)
    pledges.write_off(second, "No longer able", None)
    pledge_of(people[2], 10_000, campaign_id=autumn.id, frequency=PledgeFrequency.ONCE, n=1)
    db.session.commit()
    db.session.expire_all()
    spring_pledges = db.session.scalars(select(Pledge).where(Pledge.campaign_id == spring.id)).all()
    assert sum(received_by_hand(p) for p in spring_pledges) == 25_000
    rows = {r.campaign.name: r for r in totals_by_campaign()}
    assert (rows["Spring"].pledged_cents, rows["Spring"].received_cents,
            rows["Spring"].written_off_cents, rows["Spring"].outstanding_cents) == (
        100_000, 25_000, 40_000, 35_000)  # fmt: skip
    assert rows["Autumn"].outstanding_cents == 10_000
    # the same figures, from the pledges' own list
    listed = money_client.get(f"/donations/pledges/?status=&campaign={spring.id}").text
    balances = re.findall(r'data-label="Balance" class="text-end">\$([\d,.]+)<', listed)
    assert (
        sum(float(b.replace(",", "")) for b in balances) * 100 == rows["Spring"].outstanding_cents
    )
    page = money_client.get("/dashboard").text
    assert "Pledges" in page and "$350.00" in page and "$400.00 written off" in page


def test_reminders_go_once_before_each_instalment(db, runner, mail, make_contact, make_donation):
    ann = make_contact(first_name="Ann", email="ann@example.org")
    quiet = make_contact(first_name="Quiet", email="quiet@example.org", do_not_contact=True)
    ahead = make_contact(first_name="Ahead", email="ahead@example.org")
    soon = today() + timedelta(days=5)
    pledge = pledge_of(ann, 30_000, first=soon)
    pledge_of(quiet, 30_000, first=soon)
    paid = pledge_of(ahead, 30_000, first=soon)
    pledges.apply_payment(paid, make_donation(ahead, 10_000), None, None)  # the first is paid
    pledge_of(ann, 5_000, first=today() + timedelta(days=20), frequency=PledgeFrequency.ONCE, n=1)
    db.session.commit()
    mail.clear()
    result = runner.invoke(args=["crm", "pledge-reminders"])
    assert result.exit_code == 0 and "Queued 1 pledge reminder(s)." in result.output
    [message] = mail.to("ann@example.org")
    assert "$100.00" in message["Subject"]
    body = message.get_body(("plain",)).get_content()
    assert "$300.00" in body and "$300.00 left to give in all" in body
    assert not mail.to("quiet@example.org") and not mail.to("ahead@example.org")
    again = runner.invoke(args=["crm", "pledge-reminders"])
    assert "Queued 0 pledge reminder(s)." in again.output and len(mail.messages) == 1
    # a month on, the second instalment's turn
    second = datetime.combine(pledge.instalments[1].due_on - timedelta(days=3), time(9), ZONE)
    with time_machine.travel(second, tick=False):
        later = runner.invoke(args=["crm", "pledge-reminders"])
    assert "Queued 2 pledge reminder(s)." in later.output  # Ann's second; Ahead's second
    assert len(mail.to("ann@example.org")) == 2
    reminded = db.session.scalars(select(PledgeInstalment).where(
        PledgeInstalment.reminded_at.is_not(None))).all()  # fmt: skip
    assert len(reminded) == 3
