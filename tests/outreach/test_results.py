"""What each mailing brought, computed once and shown in four places (its page, the mailings
list, the campaign's page, the dashboard), reconciled with the gifts export; registrations by
its recipients; a contact's timeline; erasure."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from crm.donations.models import DonationStatus
from crm.events.models import Registration, RegistrationStatus
from crm.extensions import db as _db
from crm.modelbase import utcnow
from crm.outreach import results
from crm.outreach.models import Mailing, MailingRecipient
from crm.payments.money import format_money
from tests.outreach.test_sending import _tag_condition, _tagged, send

pytestmark = pytest.mark.clock  # the outcome depends on today's date


@pytest.fixture
def sent(db, mail, make_contact, make_segment, make_mailing, make_user, make_campaign):
    """A mailing sent to Ada and Bob of the Spring campaign."""
    ada = _tagged(make_contact, first_name="Ada", email="ada@example.org", email_opt_in=True)
    bob = _tagged(make_contact, first_name="Bob", email="bob@example.org", email_opt_in=True)
    user = make_user("fundraiser")
    campaign = make_campaign(name="Spring appeal 2026")
    mailing = make_mailing(make_segment(_tag_condition()), user=user, campaign=campaign.id)
    send(mailing, user)
    _db.session.refresh(mailing)
    return mailing, ada, bob, campaign


def test_gifts_with_its_source_code_within_30_days_and_everywhere_the_same(
    sent, make_donation, make_contact, signed_in
):
    mailing, ada, bob, campaign = sent
    code, start = mailing.source_code, mailing.started_at
    in_window = [
        make_donation(ada, 5000, source=code, received_at=start + timedelta(hours=2)),
        make_donation(bob, 12550, source=code, received_at=start + timedelta(days=29)),
        make_donation(make_contact(), 2500, source=code, received_at=start + timedelta(days=1),
                      status=DonationStatus.REFUNDED, refunded_cents=2500),  # counted, gross
    ]  # fmt: skip
    make_donation(ada, 9900, source=code, received_at=start + timedelta(days=31))  # too late
    make_donation(ada, 7000, source=code, received_at=start - timedelta(days=1))  # before it
    make_donation(ada, 4400, source="other-code", received_at=start + timedelta(days=1))
    make_donation(bob, 3300, source=code, received_at=start + timedelta(days=2),
                  status=DonationStatus.FAILED)  # fmt: skip
    figures = results.figures([mailing.id])[mailing.id]
    assert (figures.gifts, figures.gift_cents) == (3, sum(d.amount_cents for d in in_window))

    client, _ = signed_in("fundraiser")
    export = client.get("/donations/export.csv").text.lstrip("\ufeff")
    rows = [
        r
        for r in csv.DictReader(io.StringIO(export))
        if r["source"] == code
        and r["status"] != "failed"
        and start <= datetime.fromisoformat(r["date"]) < mailing.attribution_ends_at
    ]
    from_export = sum(Decimal(r["amount"]) for r in rows)
    assert (len(rows), int(from_export * 100)) == (figures.gifts, figures.gift_cents)

    shown = f"{figures.gifts} · {format_money(figures.gift_cents, 'USD')}"
    assert shown in client.get(f"/outreach/mailings/{mailing.id}").text
    assert shown in client.get("/outreach/mailings/").text
    amount = format_money(figures.gift_cents, "USD")
    campaign_page = client.get(f"/donations/campaigns/{campaign.id}").text
    assert mailing.subject in campaign_page and amount in campaign_page
    dashboard = client.get(f"/dashboard?period=fy&campaign={campaign.id}").text
    assert mailing.subject in dashboard and amount in dashboard


def test_registrations_by_its_recipients_within_the_window(sent, make_event, make_contact):
    mailing, ada, bob, _ = sent
    event = make_event()
    start = mailing.started_at
    _db.session.add_all([
        Registration(event_id=event.id, contact_id=ada.id, status=RegistrationStatus.CONFIRMED,
                     created_at=start + timedelta(days=3)),
        Registration(event_id=event.id, contact_id=bob.id, status=RegistrationStatus.CONFIRMED,
                     created_at=start + timedelta(days=40)),  # too late
        Registration(event_id=event.id, contact_id=make_contact().id,
                     status=RegistrationStatus.CONFIRMED,
                     created_at=start + timedelta(days=1)),  # not a recipient
    ])  # fmt: skip
    _db.session.commit()
    assert results.figures([mailing.id])[mailing.id].registrations == 1


def test_coordinators_see_the_mailings_without_money(sent, signed_in, make_donation):
    mailing, ada, _, campaign = sent
    make_donation(ada, 5000, source=mailing.source_code,
                  received_at=mailing.started_at + timedelta(hours=1))  # fmt: skip
    client, _ = signed_in("coordinator")
    dashboard = client.get(f"/dashboard?period=fy&campaign={campaign.id}").text
    assert mailing.subject in dashboard and "$50.00" not in dashboard
    page = client.get(f"/outreach/mailings/{mailing.id}").text
    assert "$50.00" not in page and "Gifts" not in page
    assert client.get(f"/donations/campaigns/{campaign.id}").status_code == 403


def test_the_timeline_shows_what_a_contact_received_clicked_and_left(sent, signed_in, app):
    import re

    mailing, ada, _, _ = sent
    from crm.outreach import tokens

    row = _db.session.scalar(select(MailingRecipient).where(MailingRecipient.contact_id == ada.id))
    visitor = app.test_client()
    visitor.get(f"/email/c/{tokens.sign('click', [row.id, 0])}")
    visitor.post(f"/email/unsubscribe/{tokens.sign('unsubscribe', row.id)}",
                 data={"List-Unsubscribe": "One-Click"})  # fmt: skip
    client, _ = signed_in("coordinator")
    page = client.get(f"/contacts/{ada.id}").text
    assert f"Received: {mailing.subject}" in page
    assert f"Clicked a link in: {mailing.subject}" in page
    assert re.search(rf"Unsubscribed from: {mailing.subject} \(appeals for support\)", page)


def test_the_mailings_list_costs_the_same_whatever_its_length(sent, signed_in, make_mailing,
                                                              make_segment):  # fmt: skip
    client, user = signed_in("fundraiser")

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(_db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/outreach/mailings/").status_code == 200
        finally:
            event.remove(_db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for _ in range(6):
        make_mailing(make_segment(_tag_condition()), user=user)
    assert statements() == few


def test_erasing_a_person_keeps_the_counts_and_forgets_the_address(sent, signed_in):
    from crm.dataio import privacy
    from crm.outreach.models import Suppression, SuppressionReason

    mailing, ada, _, _ = sent
    _db.session.add(Suppression(email_key="ada@example.org", reason=SuppressionReason.BOUNCED))
    _db.session.commit()
    privacy.erase_contact(ada, "request")
    _db.session.commit()
    rows = _db.session.scalars(select(MailingRecipient)).all()
    assert len(rows) == 2 and results.figures([mailing.id])[mailing.id].recipients == 2
    assert "ada@example.org" not in {r.email for r in rows}
    assert _db.session.get(Suppression, "ada@example.org") is None
    assert _db.session.get(Mailing, mailing.id) is not None
    assert utcnow()
