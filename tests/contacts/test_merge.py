"""Merging two contacts: chosen values kept, the rest in a note, every linked record moved."""

import pytest
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, insert, select

from crm.audit.models import AuditEvent
from crm.contacts import services
from crm.contacts.models import Affiliation, Contact, Note, OrganisationType
from crm.contacts.services import ContactError

KEEP_SURVIVOR = dict.fromkeys(services.MERGE_FIELDS, "survivor")


@pytest.fixture
def pair(db, make_contact, make_organisation, make_user):
    """Two records of the same woman, each with notes, tags and organisations; both are
    linked to the school, with different roles."""
    author = make_user("coordinator")
    school = make_organisation(name="Lincoln High School")
    church = make_organisation(name="Grace Church", type=OrganisationType.FAITH_GROUP)
    acme = make_organisation(name="Acme", type=OrganisationType.BUSINESS)
    survivor = make_contact(
        first_name="María",
        last_name="Núñez",
        email="maria@old.example.org",
        city="Springfield",
        postcode="62701",
        email_opt_in=True,
        tags=["donor"],
    )
    other = make_contact(
        first_name="Maria",
        last_name="Nunez",
        preferred_name="Mari",
        email="maria@new.example.org",
        phone="+12025550143",
        city="Shelbyville",
        postcode="62565",
        do_not_contact=True,
        tags=["donor", "parent"],
    )
    services.link_organisation(survivor, school, "Counsellor")
    services.link_organisation(survivor, church, None)
    services.link_organisation(other, school, "Parent governor")
    services.link_organisation(other, acme, "HR manager")
    services.add_note(survivor, author, "Survivor's note")
    services.add_note(other, author, "Other's note")
    db.session.commit()
    return survivor.id, other.id


def merge_url(survivor_id: int, other_id: int) -> str:
    return f"/contacts/{survivor_id}/merge?other_id={other_id}"


def reload(db, contact_id: int) -> Contact | None:
    db.session.expire_all()
    return db.session.get(Contact, contact_id)


def test_merge_page_compares_the_two_contacts(staff, pair):
    survivor_id, other_id = pair
    page = staff.get(merge_url(survivor_id, other_id))
    assert page.status_code == 200
    assert "Merge Maria Nunez into María Núñez" in page.text
    assert "maria@old.example.org" in page.text and "maria@new.example.org" in page.text


def test_merge_page_finds_the_other_contact_but_not_this_one(staff, pair):
    survivor_id, other_id = pair
    page = staff.get(f"/contacts/{survivor_id}/merge?q=NUNEZ")
    assert page.status_code == 200
    assert f'other_id={other_id}"' in page.text
    assert f'other_id={survivor_id}"' not in page.text


def test_merge_keeps_every_linked_record(db, signed_in, pair, count):
    client, user = signed_in("fundraiser")
    survivor_id, other_id = pair
    choices = {**KEEP_SURVIVOR, "email": "other", "phone": "other", "address": "other"}
    response = client.form(merge_url(survivor_id, other_id), choices, follow_redirects=True)
    assert response.request.path == f"/contacts/{survivor_id}"
    assert "Contacts merged." in response.text
    assert client.get(f"/contacts/{other_id}").status_code == 404
    assert count(Contact) == 1

    merged = reload(db, survivor_id)
    assert (merged.first_name, merged.last_name, merged.preferred_name) == ("María", "Núñez", None)
    assert (merged.email, merged.phone) == ("maria@new.example.org", "+12025550143")
    assert (merged.city, merged.postcode) == ("Shelbyville", "62565")
    assert merged.do_not_contact is True  # either had it
    assert merged.email_opt_in is False  # only one had agreed
    assert [t.name for t in merged.tags] == ["donor", "parent"]
    assert sorted((a.organisation.name, a.role) for a in merged.affiliations) == [
        ("Acme", "HR manager"),
        ("Grace Church", None),
        ("Lincoln High School", "Counsellor"),
    ]
    bodies = [n.body for n in merged.notes]
    assert {"Survivor's note", "Other's note"} <= set(bodies)
    [kept] = [b for b in bodies if b.startswith("Merged from")]
    assert kept.startswith(f"Merged from contact #{other_id} (Maria Nunez). Not kept:")
    for line in [
        "first name: Maria",
        "last name: Nunez",
        "preferred name: Mari",
        "email: maria@old.example.org",
        "city: Springfield",
        "postcode: 62701",
        "role at Lincoln High School: Parent governor",
    ]:
        assert line in kept.splitlines()
    assert count(Note) == 3

    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "merge"))
    assert (event.entity_type, event.entity_id, event.actor_id) == (
        "Contact",
        survivor_id,
        user.id,
    )
    assert event.changes == {"merged_contact_id": other_id}


def test_a_role_held_only_by_the_other_contact_is_kept(db, make_contact, make_organisation):
    school = make_organisation()
    survivor, other = make_contact(), make_contact()
    services.link_organisation(survivor, school, None)
    services.link_organisation(other, school, "Teacher")
    services.merge_contacts(survivor, other, set(), author=None)
    db.session.commit()
    [affiliation] = db.session.scalars(select(Affiliation))
    assert (affiliation.contact_id, affiliation.role) == (survivor.id, "Teacher")


def test_nothing_is_noted_when_the_other_contact_had_nothing_more(db, make_contact):
    survivor = make_contact(first_name="Ann", last_name="Lee", email="ann@example.org")
    other = make_contact(first_name="Ann", last_name="Lee")
    services.merge_contacts(survivor, other, set(), author=None)
    db.session.commit()
    assert reload(db, survivor.id).email == "ann@example.org"
    assert db.session.scalars(select(Note)).all() == []


@pytest.fixture
def later_tables(db):
    """Tables a later feature might add, pointing at contacts: one plain (gifts), one
    allowing each contact once per event (registrations), one allowing one row per
    contact (profiles)."""
    gifts = Table(
        "test_gifts",
        db.metadata,
        Column("id", Integer, primary_key=True),
        Column("contact_id", ForeignKey("contacts.id"), nullable=False),
        Column("amount_cents", Integer),
    )
    registrations = Table(
        "test_registrations",
        db.metadata,
        Column("id", Integer, primary_key=True),
        Column("event", String(40)),
        Column("contact_id", ForeignKey("contacts.id"), nullable=False),
        Index("ix_test_registrations_event_contact", "event", "contact_id", unique=True),
    )
    profiles = Table(
        "test_profiles",
        db.metadata,
        Column("id", Integer, primary_key=True),
        Column("contact_id", ForeignKey("contacts.id"), nullable=False, unique=True),
        Column("bio", String(40)),
    )
    tables = [gifts, registrations, profiles]
    db.metadata.create_all(db.engine, tables=tables)
    yield gifts, registrations, profiles
    db.session.remove()
    db.metadata.drop_all(db.engine, tables=tables)
    for table in tables:
        db.metadata.remove(table)


def test_merge_moves_rows_of_tables_added_later(db, make_contact, later_tables):
    gifts, registrations, profiles = later_tables
    survivor, other = make_contact(), make_contact()
    db.session.execute(
        insert(gifts),
        [
            {"contact_id": survivor.id, "amount_cents": 500},
            {"contact_id": other.id, "amount_cents": 2500},
        ],
    )
    db.session.execute(
        insert(registrations),
        [
            {"event": "gala", "contact_id": survivor.id},
            {"event": "gala", "contact_id": other.id},
            {"event": "training", "contact_id": other.id},
        ],
    )
    db.session.execute(
        insert(profiles),
        [{"contact_id": survivor.id, "bio": "Mine"}, {"contact_id": other.id, "bio": "Theirs"}],
    )
    db.session.commit()
    services.merge_contacts(survivor, other, set(), author=None)
    db.session.commit()
    moved = db.session.execute(select(gifts.c.contact_id, gifts.c.amount_cents)).all()
    assert sorted(moved) == [(survivor.id, 500), (survivor.id, 2500)]
    events = db.session.execute(select(registrations.c.event, registrations.c.contact_id)).all()
    assert sorted(events) == [("gala", survivor.id), ("training", survivor.id)]
    assert db.session.execute(select(profiles.c.contact_id, profiles.c.bio)).all() == [
        (survivor.id, "Mine")
    ]


def test_choices_that_are_not_offered_are_refused(db, staff, pair, count):
    survivor_id, other_id = pair
    response = staff.form(merge_url(survivor_id, other_id), {**KEEP_SURVIVOR, "email": "both"})
    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    assert count(Contact) == 2
    assert reload(db, survivor_id).email == "maria@old.example.org"


def test_a_contact_cannot_be_merged_with_itself(db, staff, pair, count):
    survivor_id, _ = pair
    assert staff.get(merge_url(survivor_id, survivor_id)).status_code == 404
    assert staff.form(merge_url(survivor_id, survivor_id), KEEP_SURVIVOR).status_code == 404
    contact = db.session.get(Contact, survivor_id)
    with pytest.raises(ContactError, match="itself"):
        services.merge_contacts(contact, contact, set(), author=None)
    assert count(Contact) == 2


def test_merge_with_an_unknown_contact_is_404(staff, pair, count):
    survivor_id, other_id = pair
    assert staff.form(merge_url(survivor_id, other_id + 100), KEEP_SURVIVOR).status_code == 404
    assert staff.form(merge_url(other_id + 100, survivor_id), KEEP_SURVIVOR).status_code == 404
    assert count(Contact) == 2


def test_volunteers_may_not_merge(signed_in, pair, count):
    client, _ = signed_in("volunteer")
    survivor_id, other_id = pair
    assert client.form(merge_url(survivor_id, other_id), KEEP_SURVIVOR).status_code == 403
    assert count(Contact) == 2


def test_merge_keeps_the_payment_customer_id(db, make_contact, make_user):
    from crm.contacts import services

    survivor = make_contact(email="keep@example.org")
    other = make_contact(email="old@example.org")
    other.stripe_customer_id = "cus_OTHER"
    db.session.commit()
    services.merge_contacts(survivor, other, set(), make_user())
    db.session.commit()
    db.session.refresh(survivor)
    assert survivor.stripe_customer_id == "cus_OTHER"


def test_a_date_of_birth_is_kept_from_either(db, make_contact, make_user):
    from datetime import date

    author = make_user("coordinator")
    survivor = make_contact(first_name="Ann", last_name="Lee")
    other = make_contact(first_name="Ann", last_name="Lee", birth_date=date(1980, 4, 17))
    services.merge_contacts(survivor, other, set(), author)
    db.session.commit()
    assert reload(db, survivor.id).birth_date == date(1980, 4, 17)

    third = make_contact(first_name="Ann", last_name="Lee", birth_date=date(1981, 4, 17))
    services.merge_contacts(reload(db, survivor.id), third, set(), author)
    db.session.commit()
    kept = reload(db, survivor.id)
    assert kept.birth_date == date(1980, 4, 17)
    assert "birth date: 1981-04-17" in kept.notes[0].body
