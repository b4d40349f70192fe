"""Role x route matrix, built from the app's URL map so every future route is covered."""

import re

import pytest

from crm.auth.access import AUTHENTICATED, PUBLIC
from crm.auth.roles import Role
from crm.extensions import db as _db

pytestmark = pytest.mark.clock  # the outcome depends on today's date

ROLES = [None, *Role]  # None: not signed in

# What the product promises for some routes, independent of how the views declare it.
EXPECTED = {
    "contacts.index": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "contacts.show": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "contacts.export": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "contacts.delete": {Role.ADMIN},
    "auth.users": {Role.ADMIN},
    "auth.invite": {Role.ADMIN},
    "auth.toggle_active": {Role.ADMIN},
    "audit.index": {Role.ADMIN},
    "mail.index": {Role.ADMIN},
    "main.home": PUBLIC,  # the front door for visitors; staff and volunteers get their own
    "auth.account": set(Role),
    "auth.login": PUBLIC,
    "auth.login_alias": PUBLIC,
    "main.health": PUBLIC,
    "events.index": PUBLIC,
    "events.show": PUBLIC,
    "events.register": PUBLIC,
    "events.registered": PUBLIC,
    "events.event_ics": PUBLIC,
    "events.feed": PUBLIC,
    "events.cancel": PUBLIC,
    "events.cancel_confirm": PUBLIC,
    "events.request_training": PUBLIC,
    "events.manage_index": {Role.ADMIN, Role.COORDINATOR},
    "events.check_in": {Role.ADMIN, Role.COORDINATOR},
    "events.mark_attended": {Role.ADMIN, Role.COORDINATOR},
    "events.training_queue": {Role.ADMIN, Role.COORDINATOR},
    "events.cancel_event": {Role.ADMIN, Role.COORDINATOR},
    "events.training_request": {Role.ADMIN, Role.COORDINATOR},
    "events.event_types": {Role.ADMIN},
    "volunteers.apply": PUBLIC,
    "volunteers.feed": PUBLIC,
    "volunteers.index": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.volunteer": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.edit_volunteer": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.deactivate_volunteer": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.reactivate_volunteer": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.shift": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.kiosk_tap": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.review_hours": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.hours_export": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.approve": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.credential": {Role.ADMIN},
    "volunteers.credential_types": {Role.ADMIN},
    "volunteers.portal": {Role.ADMIN, Role.VOLUNTEER},
    "volunteers.sign_up": {Role.ADMIN, Role.VOLUNTEER},
    "volunteers.my_hours": {Role.ADMIN, Role.VOLUNTEER},
    "dashboard.index": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "dashboard.events": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "dashboard.events_csv": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "dashboard.lybunt": {Role.ADMIN, Role.FUNDRAISER},
    "dashboard.lybunt_csv": {Role.ADMIN, Role.FUNDRAISER},
    "dashboard.sybunt": {Role.ADMIN, Role.FUNDRAISER},
    "dashboard.sybunt_csv": {Role.ADMIN, Role.FUNDRAISER},
    "dashboard.breakdown": {Role.ADMIN, Role.FUNDRAISER},
    "dashboard.breakdown_csv": {Role.ADMIN, Role.FUNDRAISER},
    "dashboard.series_csv": {Role.ADMIN, Role.FUNDRAISER},
    "dataio.imports": {Role.ADMIN, Role.FUNDRAISER},
    "dataio.undo": {Role.ADMIN, Role.FUNDRAISER},
    "dataio.discard": {Role.ADMIN, Role.FUNDRAISER},
    "dataio.refunds_to_link": {Role.ADMIN, Role.FUNDRAISER},
    "dataio.link_refund": {Role.ADMIN, Role.FUNDRAISER},
    "dataio.duplicate_queue": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "dataio.export_json": {Role.ADMIN},
    "dataio.export_csv": {Role.ADMIN},
    "dataio.erase": {Role.ADMIN},
    "work.tasks": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "work.new_task": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "work.finish_task": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "contacts.household": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "contacts.add_relationship": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "donations.thanks": {Role.ADMIN, Role.FUNDRAISER},
    "donations.thank_bulk": {Role.ADMIN, Role.FUNDRAISER},
    "donations.add_soft_credit": {Role.ADMIN, Role.FUNDRAISER},
    "donations.record_match": {Role.ADMIN, Role.FUNDRAISER},
    "donations.pledge_list": {Role.ADMIN, Role.FUNDRAISER},
    "donations.pledge": {Role.ADMIN, Role.FUNDRAISER},
    "donations.new_pledge": {Role.ADMIN, Role.FUNDRAISER},
    "donations.write_off": {Role.ADMIN, Role.FUNDRAISER},
    "volunteers.staffing_gaps": {Role.ADMIN, Role.COORDINATOR},
    "volunteers.expiring_credentials": {Role.ADMIN, Role.COORDINATOR},
    "donations.campaign": {Role.ADMIN, Role.FUNDRAISER},
    "outreach.segments_index": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "outreach.segment_csv": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "outreach.mailings_index": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "outreach.send_mailing": {Role.ADMIN, Role.FUNDRAISER, Role.COORDINATOR},
    "outreach.email_settings": {Role.ADMIN},
    "outreach.unsubscribe": PUBLIC,
    "outreach.preferences": PUBLIC,
    "outreach.click": PUBLIC,
    "outreach.opened": PUBLIC,
    "donations.attention_list": {Role.ADMIN, Role.FUNDRAISER},
    "donations.attention_dismiss": {Role.ADMIN, Role.FUNDRAISER},
    "donations.payouts_list": {Role.ADMIN, Role.FUNDRAISER},
    "donations.payout_csv": {Role.ADMIN, Role.FUNDRAISER},
}


@pytest.fixture
def records(db, make_user, make_contact, make_organisation):
    """One of each record a URL can name, so that URLs resolve to real rows."""
    return build_records(db, make_user, make_contact, make_organisation)


def build_records(db, make_user, make_contact, make_organisation) -> dict:
    from crm.contacts import services
    from crm.mail.services import queue_email

    contact = make_contact(email="a@example.org")
    make_contact(email="b@example.org")
    organisation = make_organisation()
    affiliation = services.link_organisation(contact, organisation, "Teacher")
    message = queue_email(to="x@example.org", template="auth/email/reset_password",
                          subject="s", user=make_user(), url="u", hours=1)  # fmt: skip
    from crm.donations.models import Donation, DonationStatus, PaymentMethod
    from crm.donations.receipts import send_receipt
    from crm.modelbase import utcnow

    donation = Donation(contact=contact, amount_cents=5000, currency="USD", received_at=utcnow(),
                        status=DonationStatus.SUCCEEDED, method=PaymentMethod.CASH)  # fmt: skip
    db.session.add(donation)
    send_receipt(donation)
    from crm.donations.ledger_models import Payout

    payout = Payout(stripe_payout_id="po_access", amount_cents=0, currency="USD")
    db.session.add(payout)
    waiting = _stripe_event_waiting()
    from crm.donations.models import Campaign, Fund, RecurringPlan

    fund = Fund(name="General fund")
    campaign = Campaign(name="Spring", slug="spring", goal_cents=100_000, currency="USD")
    plan = RecurringPlan(contact=contact, amount_cents=2500, currency="USD")
    from crm.donations.models import CampaignStatus, DonationIntent, Frequency

    giving = Campaign(name="Giving", slug="giving", goal_cents=100_000, currency="USD",
                      status=CampaignStatus.ACTIVE)  # fmt: skip
    intent = DonationIntent(campaign=giving, currency="USD", frequency=Frequency.ONE_TIME,
                            amount_cents=2500, first_name="A", last_name="B",
                            email="a@example.org")  # fmt: skip
    db.session.add_all([giving, intent])
    db.session.add_all([fund, campaign, plan])
    db.session.commit()
    events = _event_records(contact)
    volunteers = _volunteer_records(make_contact, make_user, events["event_id"])
    dataio = _dataio_records(contact, make_contact(first_name="Twin", email="a@example.org"))
    record = _donor_records(contact, make_contact(first_name="Spouse"), donation, make_user())
    outreach = _outreach_records(make_user, campaign)
    return {
        **record,
        **outreach,
        **dataio,
        **events,
        **volunteers,
        "plan_id": plan.id,
        "campaign_id": campaign.id,
        "fund_id": fund.id,
        "contact_id": contact.id,
        "organisation_id": organisation.id,
        "affiliation_id": affiliation.id,
        "message_id": message.id,
        "user_id": make_user(Role.VOLUNTEER).id,
        "token": "not-a-token",
        "donation_id": donation.id,
        "payout_id": payout.id,
        "stripe_event_id": waiting.id,
        "year": utcnow().year,
        "slug": giving.slug,
        "public_id": intent.public_id,
    }


def _stripe_event_waiting():
    """A refund of a charge no gift knows, on the Needs attention list."""
    from crm.donations.models import StripeEvent, StripeEventStatus
    from tests import stripe_support as ss

    refund = ss.event("charge.refunded", ss.charge("pi_access", 5000, amount_refunded=1000,
                                                   id="ch_access"))  # fmt: skip
    row = StripeEvent(
        id=refund["id"],
        type=refund["type"],
        payload=refund,
        status=StripeEventStatus.ATTENTION,
        error="No gift has charge ch_access.",
    )
    _db.session.add(row)
    return row


def _event_records(contact) -> dict:
    from datetime import timedelta

    from crm.events import services as events
    from crm.events.models import Audience, TrainingRequest
    from crm.modelbase import utcnow

    event_type = events.create_event_type("School presentation", None, 60)
    start = utcnow() + timedelta(days=10)
    event = events.create_event({"title": "Parent night", "type_id": event_type.id,
                                 "starts_at": start, "ends_at": start + timedelta(hours=1),
                                 "capacity": 50, "is_public": True})  # fmt: skip
    registration, cancel_token = events.register(
        event.id, events.Registrant("Ada", "Lovelace", "a@example.org")
    )
    request = TrainingRequest(organisation_name="Lincoln High", organisation_type="school",
                              contact=contact, audience=Audience.STUDENTS, estimated_size=120,
                              preferred_1=start, place="1 School Rd")  # fmt: skip
    _db.session.add(request)
    _db.session.commit()
    return {"event_id": event.id, "type_id": event_type.id, "registration_id": registration.id,
            "request_id": request.id, "cancel_token": cancel_token}  # fmt: skip


def _volunteer_records(make_contact, make_user, event_id: int) -> dict:
    from datetime import date, timedelta

    from crm.auth.models import User
    from crm.modelbase import utcnow
    from crm.volunteers import applications, services
    from crm.volunteers.models import CredentialStatus, VolunteerRole

    types = {t.key: t for t in services.ensure_default_credential_types()}
    admin = _db.session.scalar(_db.select(User).where(User.role == Role.ADMIN))
    details = applications.ApplicationDetails(
        first_name="Val", last_name="Unteer", email="val@example.org", emergency_name="Em",
        emergency_phone="+12025550100", adult=True, conduct_agreed=True,
    )  # fmt: skip
    application = applications.submit(details)
    volunteer = applications.approve(application, admin)
    credential = services.record_credential(
        volunteer, types["background_check"], CredentialStatus.PASSED,
        date.today() - timedelta(days=10), "Clear", admin,
    )  # fmt: skip
    start = utcnow() + timedelta(days=5)
    shift = services.create_shift(
        {"title": "Welcome desk", "role": VolunteerRole.EVENT_HELPER, "event_id": event_id,
         "starts_at": start, "ends_at": start + timedelta(hours=2), "capacity": 3}, [], admin,
    )  # fmt: skip
    signup = services.sign_up(shift.id, volunteer)
    _db.session.commit()
    return {"volunteer_id": volunteer.id, "credential_id": credential.id,
            "application_id": application.id, "shift_id": shift.id, "signup_id": signup.id,
            "credential_type_id": types["safeguarding_training"].id}  # fmt: skip


def _outreach_records(make_user, campaign) -> dict:
    from crm.outreach import mailings, segments
    from crm.outreach.models import Audience, Topic

    author = make_user(Role.FUNDRAISER)
    segment = segments.save(
        None,
        "Parents",
        None,
        {
            "match": "all",
            "groups": [{"match": "all", "conditions": [{"kind": "city", "value": "Springfield"}]}],
        },
        author,
    )
    mailing = mailings.save(None, {
        "subject": "Spring", "preview_text": None, "from_name": "Us", "reply_to": None,
        "body": "Hello {{ first_name | friend }}", "audience": Audience.SEGMENT,
        "topic": Topic.APPEALS, "segment_id": segment.id, "event_id": None,
        "event_audience": None, "shift_id": None, "campaign_id": campaign.id,
        "source_code": "spring-mail",
    }, author)  # fmt: skip
    _db.session.commit()
    return {"segment_id": segment.id, "mailing_id": mailing.id}


def _dataio_records(contact, twin) -> dict:
    import io

    from crm.dataio import batches
    from crm.dataio.models import DuplicatePair, ImportKind, ImportStatus, UnmatchedRefund
    from crm.modelbase import utcnow

    batch = batches.create_batch(ImportKind.CONTACTS, io.BytesIO(b"first,last\nA,B\n"),
                                 "a.csv", "auto", "auto", None)  # fmt: skip
    # the refund comes from another file, one that was imported (only an import writes one)
    imported = batches.create_batch(ImportKind.GIFTS, io.BytesIO(b"id,amount\nr1,-5\n"),
                                    "gifts.csv", "auto", "auto", None)  # fmt: skip
    imported.status = ImportStatus.DONE
    pair = DuplicatePair(first_id=contact.id, second_id=twin.id, reason="email")
    refund = UnmatchedRefund(batch=imported, contact=contact, system="lgl", transaction_id="r1",
                             amount_cents=500, currency="USD", refunded_at=utcnow(),
                             line=2)  # fmt: skip
    _db.session.add_all([pair, refund])
    _db.session.commit()
    return {"batch_id": batch.id, "pair_id": pair.id, "refund_id": refund.id}


def _donor_records(contact, spouse, donation, user) -> dict:
    from crm.contacts import relations
    from crm.contacts.models import RelationshipKind
    from crm.donations import credits, pledges
    from crm.donations.credit_models import SoftCreditRole
    from crm.donations.models import Donation, DonationStatus, PaymentMethod
    from crm.donations.pledge_models import PledgeFrequency
    from crm.donations.services import org_today
    from crm.modelbase import utcnow
    from crm.work import services as work

    household = relations.start_household(contact)
    link = relations.relate(contact, spouse, RelationshipKind.SPOUSE, None)
    credit = credits.add_soft_credit(donation, spouse, SoftCreditRole.HOUSEHOLD, None, user)
    today = org_today()
    pledge = pledges.create_pledge(contact, pledges.PledgeData(
        amount_cents=10_000, pledged_on=today, first_due_on=today,
        frequency=PledgeFrequency.ONCE, instalments=1))  # fmt: skip
    payment = pledges.apply_payment(pledge, donation, 1000, user)
    spare = Donation(contact=contact, amount_cents=5000, currency="USD", received_at=utcnow(),
                     status=DonationStatus.SUCCEEDED, method=PaymentMethod.CHEQUE)  # fmt: skip
    _db.session.add(spare)
    task = work.create_task(work.TaskData("Call", None, None, None, Role.FUNDRAISER),
                            {"contact_id": contact.id}, user)  # fmt: skip
    _db.session.commit()
    return {"household_id": household.id, "relationship_id": link.id, "credit_id": credit.id,
            "pledge_id": pledge.id, "payment_id": payment.id, "task_id": task.id,
            "spare_donation_id": spare.id}  # fmt: skip


def access_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule, getattr(app.view_functions[rule.endpoint], "access", None)


def build_url(rule, records) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:\w+:)?{name}>", str(records[name]), url)
    return url


def test_every_route_declares_who_may_use_it(app):
    undeclared = [rule.endpoint for rule, access in access_rules(app) if access is None]
    assert undeclared == []


def test_declared_access_matches_the_product_rules(app):
    declared = {rule.endpoint: access for rule, access in access_rules(app)}
    for endpoint, expected in EXPECTED.items():
        actual = declared[endpoint]
        if actual == AUTHENTICATED:
            actual = set(Role)
        assert actual == expected, endpoint


def test_role_route_matrix(app, records, make_user):
    users = {role: make_user(role) for role in Role}
    failures = []
    for rule, access in access_rules(app):
        method = "GET" if "GET" in rule.methods else "POST"
        url = build_url(rule, records)
        for role in ROLES:
            client = app.test_client()
            if role is not None:
                client.login_as(users[role])
            data = {"csrf_token": client.csrf_token()} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            problem = judge(access, role, response)
            if problem:
                failures.append(f"{method} {url} as {role or 'anonymous'}: {problem}")
    assert not failures, "\n".join(failures)


def judge(access, role, response) -> str | None:
    status, location = response.status_code, response.headers.get("Location", "")
    if status >= 500:
        return f"server error {status}"
    if access == PUBLIC:
        return "refused" if status == 403 else None
    if role is None:
        if status != 302 or "/auth/login" not in location:
            return f"expected a redirect to sign in, got {status} {location}"
        return None
    allowed = access == AUTHENTICATED or role in access
    if allowed and status == 403:
        return "refused although allowed"
    if not allowed and status != 403:
        return f"expected 403, got {status}"
    return None


def test_volunteer_sees_no_contact_data(client, make_user, make_contact):
    contact = make_contact(first_name="Private", last_name="Person", email="p@example.org")
    client.login_as(make_user(Role.VOLUNTEER))
    for url in ("/contacts/", f"/contacts/{contact.id}", "/contacts/export.csv", "/"):
        response = client.get(url)
        assert "p@example.org" not in response.text
        assert "Private" not in response.text
