"""Soft credits, employers' matches and thanking: recorded, refused when wrong (with nothing
written), and the list of gifts to thank, oldest first, marked in bulk."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from crm.auth.roles import Role
from crm.donations import credits, services
from crm.donations.credit_models import (
    AckStatus,
    GiftAcknowledgement,
    MatchingGift,
    SoftCredit,
    SoftCreditRole,
)
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.donations.statements import gather
from crm.modelbase import utcnow

pytestmark = pytest.mark.clock  # the outcome depends on today's date

ZONE = ZoneInfo("America/New_York")  # TestingConfig's ORG_TIMEZONE


@pytest.fixture
def money_client(client, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    return client


def count(db, model) -> int:
    db.session.expire_all()
    return len(db.session.scalars(select(model)).all())


def test_soft_credits_are_checked(db, make_contact, make_donation, make_user):
    ann, ben = make_contact(first_name="Ann"), make_contact(first_name="Ben")
    gift = make_donation(ann, 5_000)
    user = make_user()
    for person, amount, problem in ((ann, None, "already has this gift"),
                                    (ben, 5_001, "more than the gift"),
                                    (ben, 0, "more than zero")):  # fmt: skip
        with pytest.raises(services.DonationError, match=problem):
            credits.add_soft_credit(gift, person, SoftCreditRole.HOUSEHOLD, amount, user)
    credit = credits.add_soft_credit(gift, ben, SoftCreditRole.HOUSEHOLD, None, user)
    assert credit.amount_cents == 5_000
    with pytest.raises(services.DonationError, match="already has a soft credit"):
        credits.add_soft_credit(gift, ben, SoftCreditRole.SOLICITOR, 100, user)


def test_soft_credits_from_the_gift_page(db, money_client, make_contact, make_donation):
    ann = make_contact(first_name="Ann", last_name="Lee")
    ben = make_contact(first_name="Ben", last_name="Lee", email="ben@example.org")
    gift = make_donation(ann, 5_000)
    url = f"/donations/{gift.id}/soft-credits"
    page = money_client.form(url, {"person": "nobody@example.org", "role": "household"},
                             follow_redirects=True)  # fmt: skip
    assert "No contact matches" in page.text
    page = money_client.form(url, {"person": "ben@example.org", "role": "solicitor",
                                   "amount": "12,50"}, follow_redirects=True)  # fmt: skip
    assert "Enter an amount like 25 or 25.50" in page.text
    assert count(db, SoftCredit) == 0
    page = money_client.form(url, {"person": "ben@example.org", "role": "solicitor",
                                   "amount": "20"}, follow_redirects=True)  # fmt: skip
    assert "Ben Lee is credited with this gift" in page.text and "$20.00" in page.text
    [credit] = db.session.scalars(select(SoftCredit)).all()
    timeline = money_client.get(f"/contacts/{ben.id}?kind=gifts").text
    assert "Soft credit of $20.00" in timeline
    money_client.form(f"/donations/{gift.id}/soft-credits/{credit.id}/delete")
    assert count(db, SoftCredit) == 0


def test_the_query_for_segments(db, make_contact, make_donation, make_user):
    ann, ben = make_contact(), make_contact()
    user = make_user()
    for cents, status in ((5_000, DonationStatus.SUCCEEDED), (7_000, DonationStatus.FAILED),
                          (3_000, DonationStatus.REFUNDED)):  # fmt: skip
        gift = make_donation(ann, cents, status=status)
        credits.add_soft_credit(gift, ben, SoftCreditRole.SOLICITOR, None, user)
    db.session.commit()
    rows = db.session.execute(credits.soft_credit_totals()).all()
    assert [(r.contact_id, r.soft_credit_cents, r.soft_credited_gifts) for r in rows] == [
        (ben.id, 5_000, 1)
    ]
    later = utcnow() + timedelta(days=1)
    assert db.session.execute(credits.soft_credit_totals(since=later)).all() == []


def test_an_employers_match_is_a_gift_of_its_own(db, money_client, make_contact, make_donation,
                                                make_organisation):  # fmt: skip
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann@example.org")
    acme = make_organisation(name="Acme Logistics", type="business")
    gift = make_donation(ann, 10_000, received_at=utcnow() - timedelta(days=3))
    url = f"/donations/{gift.id}/match"
    refused = money_client.form(url, {"organisation": "Nobody Inc", "amount": "100",
                                      "received_on": "2026-01-05", "method": "cheque",
                                      "cheque_number": "1"}, follow_redirects=True)  # fmt: skip
    assert "There is no organisation called" in refused.text
    refused = money_client.form(url, {"organisation": "Acme Logistics", "amount": "100",
                                      "received_on": "2026-01-05", "method": "cheque"},
                                follow_redirects=True)  # fmt: skip
    assert "Enter the cheque number" in refused.text
    assert count(db, MatchingGift) == 0 and count(db, Donation) == 1
    today = services.org_today().isoformat()
    done = money_client.form(url, {"organisation": "acme logistics", "amount": "100",
                                   "received_on": today, "method": "cheque",
                                   "cheque_number": "4411"}, follow_redirects=True)  # fmt: skip
    assert "match is recorded as a gift of its own" in done.text
    assert "This gift is" in done.text and "match of" in done.text
    [link] = db.session.scalars(select(MatchingGift)).all()
    match = db.session.get(Donation, link.donation_id)
    assert (match.amount_cents, match.contact_id, match.cheque_number) == (10_000, ann.id, "4411")
    assert "Matched by Acme Logistics" in money_client.get(f"/donations/{gift.id}").text
    again = money_client.form(url, {"organisation": "Acme Logistics", "amount": "100",
                                    "received_on": today, "method": "cash"},
                              follow_redirects=True)  # fmt: skip
    assert "This gift has already been matched" in again.text
    assert count(db, MatchingGift) == 1
    with pytest.raises(services.DonationError, match="itself an employer's match"):
        credits.record_match(match, credits.MatchDetails(acme, 1, utcnow(), PaymentMethod.CASH))
    # the employee's year-end statement leaves the employer's gift out
    for year in {gift.received_at.astimezone(ZONE).year, match.received_at.astimezone(ZONE).year}:
        assert match.id not in [line.donation.id for line in gather(ann, year).lines]


def test_every_new_gift_waits_for_a_thank_you(db, make_contact, make_donation):
    ann = make_contact()
    fresh = make_donation(ann, 5_000)
    old = make_donation(ann, 5_000, received_at=utcnow() - timedelta(days=400))
    acks = {a.donation_id: a.status for a in db.session.scalars(select(GiftAcknowledgement))}
    assert acks == {fresh.id: AckStatus.PENDING, old.id: AckStatus.NOT_NEEDED}


def test_the_list_of_gifts_to_thank(db, money_client, make_contact, make_donation, make_campaign):
    spring = make_campaign(name="Spring")
    ann, ben = make_contact(first_name="Ann"), make_contact(first_name="Ben")
    now = utcnow()
    oldest = make_donation(ann, 2_000, received_at=now - timedelta(days=20), campaign=spring)
    newer = make_donation(ben, 90_000, received_at=now - timedelta(days=2))
    make_donation(ben, 3_000, status=DonationStatus.FAILED)  # nothing to thank for
    page = money_client.get("/donations/thanks/").text
    assert page.index(f"gift-{oldest.id}") < page.index(f"gift-{newer.id}")
    assert "failed" not in page
    assert (
        f"gift-{newer.id}" not in money_client.get(f"/donations/thanks/?campaign={spring.id}").text
    )
    assert f"gift-{oldest.id}" not in money_client.get("/donations/thanks/?minimum=500").text
    assert "Enter an amount" in money_client.get("/donations/thanks/?minimum=abc").text
    nothing = money_client.form("/donations/thanks/mark", {"method": "letter"},
                                follow_redirects=True)  # fmt: skip
    assert "Tick at least one gift" in nothing.text
    marked = money_client.form("/donations/thanks/mark",
                               {"method": "call", "gifts": [oldest.id, newer.id], "note": "Lovely"},
                               follow_redirects=True)  # fmt: skip
    assert "2 gifts marked as thanked" in marked.text and "Every gift is thanked" in marked.text
    ack = db.session.get(GiftAcknowledgement, oldest.id)
    assert (ack.status, ack.method.value, ack.note) == (AckStatus.THANKED, "call", "Lovely")
    shown = money_client.get(f"/donations/{oldest.id}").text
    assert "By call" in shown
    money_client.form(f"/donations/{oldest.id}/thank/undo")
    assert f"gift-{oldest.id}" in money_client.get("/donations/thanks/").text
    gone = money_client.form("/donations/thanks/mark", {"method": "call", "gifts": [99999]},
                             follow_redirects=True)  # fmt: skip
    assert "no longer exist" in gone.text
