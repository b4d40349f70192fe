"""A person's data export and erasure."""

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.contacts import services as contacts
from crm.contacts.models import Contact
from crm.dataio import erasers  # noqa: F401
from crm.dataio.models import ConsentMethod, ConsentRecord, ImportConflict, ImportKind
from crm.dataio.privacy import ErasureRefused, erase_contact, export_contact
from crm.donations.models import Donation, DonationStatus, PaymentMethod, PlanStatus, RecurringPlan
from crm.donations.services import record_offline_gift
from crm.mail.services import queue_email
from crm.modelbase import utcnow
from tests.dataio.conftest import dump

pytestmark = pytest.mark.clock  # the outcome depends on today's date

FIRST, LAST = "Zbigniéwa", "Quaxworthy"
EMAIL, PHONE = "zq.private@example.org", "+13125550177"
BIRTHDAY = "1984-06-21"


def needles() -> list[str]:
    plain = [FIRST, LAST, EMAIL, PHONE, "5550177", BIRTHDAY]
    return plain + [json.dumps(n)[1:-1] for n in plain]  # as SQLite's JSON stores them


def everything_about_her(db, make_user, upload, run_import):
    """The person in every place the CRM keeps her: record, update history, note, gift with a
    tribute, registration, consent, outbox message, an import's rejected row."""
    from crm.events import services as events

    staff = make_user("admin")
    person = contacts.create_contact(
        {
            "first_name": FIRST,
            "last_name": LAST,
            "email": EMAIL,
            "phone": PHONE,
            "postcode": "60601",
            "city": "Chicago",
        }
    )
    db.session.commit()
    contacts.update_contact(person, {"phone": PHONE, "address_line1": "9 Secret Lane"})
    contacts.add_note(person, staff, f"{FIRST} called about {EMAIL}")
    gift = record_offline_gift(
        person,
        {
            "amount_cents": 12345,
            "method": PaymentMethod.CASH,
            "received_at": utcnow() - timedelta(days=3),
            "tribute_name": "her late aunt",
            "comment": "for you",
        },
    )
    db.session.add(
        ConsentRecord(
            contact=person,
            topic="email_updates",
            granted=True,
            method=ConsentMethod.WEB_FORM,
            given_at=utcnow(),
        )
    )
    event_type = events.create_event_type("Parent night", None, 60)
    start = utcnow() + timedelta(days=5)
    event = events.create_event(
        {
            "title": "Parents",
            "type_id": event_type.id,
            "starts_at": start,
            "ends_at": start + timedelta(hours=1),
            "capacity": 10,
            "is_public": True,
        }
    )
    events.register(event.id, events.Registrant(FIRST, LAST, EMAIL, PHONE))
    queue_email(to=EMAIL, template="auth/email/reset_password", subject=f"Hello {FIRST}",
                user=staff, url="u", hours=1)  # fmt: skip
    db.session.commit()
    # The import fills her region and birth date, tags her and adds a note: its undo record
    # keeps her values from before. Another first name for her is listed as a conflict.
    run_import(upload(
        f"first,last,email,state,birthday,tags,notes\n"
        f"{FIRST},{LAST},{EMAIL},Elsewhere,{BIRTHDAY},Gala,Asked {FIRST} about {PHONE}\n"
        f",,{EMAIL},,,,\nZbig,{LAST},{EMAIL},,,,\n".encode(), kind=ImportKind.CONTACTS.value,
    ))  # fmt: skip
    return person, gift, staff


def test_export_holds_everything_about_the_person(db, make_user, upload, run_import):
    person, gift, _ = everything_about_her(db, make_user, upload, run_import)
    data = export_contact(person)
    assert data["contact"]["email"] == EMAIL
    records = data["records"]
    assert [d["amount_cents"] for d in records["donations"]] == [12345]
    assert records["notes"][0]["body"].startswith(FIRST)
    assert len(records["registrations"]) == 1 and len(records["consent_records"]) == 1
    assert any(e["action"] == "update" for e in records["audit_log"])
    assert data["contact"]["birth_date"] == BIRTHDAY
    conflict = db.session.scalar(select(ImportConflict))
    assert (conflict.contact_id, conflict.kept, conflict.in_file) == (person.id, FIRST, "Zbig")
    assert sorted(n["body"] for n in records["notes"])[0] == f"Asked {FIRST} about {PHONE}"


def test_export_views_give_json_and_a_safe_csv(client, make_user, make_contact):
    person = make_contact(first_name="=cmd", last_name="-x", email="p@example.org")
    client.login(make_user("admin"))
    data = client.get(f"/contacts/{person.id}/data.json").get_json()
    assert data["contact"]["first_name"] == "=cmd"
    csv_text = client.get(f"/contacts/{person.id}/data.csv").text
    assert "contact,1,first_name,'=cmd" in csv_text and "'-x" in csv_text


def test_erasure_leaves_no_trace_but_keeps_the_gifts(db, make_user, upload, run_import, mail,
                                                     caplog):  # fmt: skip
    caplog.set_level(logging.DEBUG)
    person, gift, staff = everything_about_her(db, make_user, upload, run_import)
    gift_id, amount, received = gift.id, gift.amount_cents, gift.received_at
    erasure = erase_contact(person, "request", staff)
    db.session.commit()
    assert erasure.kept == "1 donations"

    full = json.dumps(dump(skip=set()), ensure_ascii=False).lower()
    logs = "\n".join(r.getMessage() for r in caplog.records).lower()
    for needle in needles():
        assert needle.lower() not in full, needle
        assert needle.lower() not in logs, needle
    kept = db.session.get(Donation, gift_id)
    assert (kept.amount_cents, kept.received_at, kept.status) == (
        amount,
        received,
        DonationStatus.SUCCEEDED,
    )
    assert kept.receipt is not None and kept.tribute_name is None
    anonymous = db.session.get(Contact, kept.contact_id)
    assert (anonymous.first_name, anonymous.email, anonymous.phone) == ("Erased", None, None)
    assert (anonymous.birth_date, anonymous.tags, anonymous.notes) == (None, [], [])
    assert db.session.scalars(select(ImportConflict)).all() == []


def test_a_contact_without_gifts_is_deleted(db, make_contact):
    person = make_contact(first_name="Gone", last_name="Soon", email="gone@example.org")
    erase_contact(person, "request")
    db.session.commit()
    assert db.session.scalars(select(Contact)).all() == []


def test_a_running_monthly_gift_must_be_cancelled_first(db, make_contact):
    import pytest

    person = make_contact(email="m@example.org")
    db.session.add(RecurringPlan(contact=person, amount_cents=1000, currency="USD",
                                 status=PlanStatus.ACTIVE))  # fmt: skip
    db.session.commit()
    with pytest.raises(ErasureRefused, match="cancel it first"):
        erase_contact(person, "request")


def test_erase_view_needs_the_confirmation(client, make_user, make_contact):
    person_id = make_contact(email="v@example.org").id
    client.login(make_user("admin"))
    response = client.form(f"/contacts/{person_id}/erase", {"confirm": "yes", "reason": "request"})
    assert response.status_code == 400 and "Type ERASE" in response.text
    response = client.form(
        f"/contacts/{person_id}/erase", {"confirm": "ERASE", "reason": "request"}
    )
    assert response.status_code == 302
    assert client.get(f"/contacts/{person_id}").status_code == 404
