"""Contacts services without HTTP: saving, tags, duplicates, search, filters, audit, timeline."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm import extensions
from crm.audit.models import AuditEvent
from crm.contacts import services
from crm.contacts.models import Affiliation, Contact, OrganisationType, Tag
from crm.contacts.services import ContactFilter, contact_query
from crm.contacts.timeline import timeline_for

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def search(q: str = "", **filters) -> list[str]:
    query = contact_query(ContactFilter(q=q, **filters))
    return [c.full_name for c in extensions.db.session.scalars(query)]


# --- saving ------------------------------------------------------------------------------


def test_create_contact_trims_values_and_stores_blanks_as_null(db):
    contact = services.create_contact(
        {"first_name": "  José ", "last_name": "Núñez", "preferred_name": "  ", "city": ""}
    )
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Contact, contact.id)
    assert (stored.first_name, stored.preferred_name, stored.city) == ("José", None, None)
    assert stored.search_key == "jose nunez"


def test_contact_keeps_address_opt_in_and_do_not_contact(make_contact):
    contact = make_contact(
        address_line1="1 Main St",
        city="Springfield",
        region="IL",
        postcode="62701",
        country="US",
        email_opt_in=True,
        do_not_contact=True,
    )
    assert contact.address_lines == ["1 Main St", "Springfield IL 62701", "US"]
    assert contact.email_opt_in and contact.do_not_contact


def test_tags_are_reused_case_insensitively_and_not_repeated(db, make_contact):
    first = make_contact(tags=["Donor", "parent"])
    second = make_contact(tags=["donor", "DONOR", " ", "volunteer"])
    assert [t.name for t in second.tags] == ["Donor", "volunteer"]
    assert {t.id for t in first.tags} & {t.id for t in second.tags}
    assert sorted(db.session.scalars(select(Tag.name))) == ["Donor", "parent", "volunteer"]


def test_update_contact_replaces_tags_only_when_given(db, make_contact):
    contact = make_contact(tags=["donor"])
    services.update_contact(contact, {"city": "Springfield"})
    assert [t.name for t in contact.tags] == ["donor"]
    services.update_contact(contact, {}, tags=["parent"])
    db.session.commit()
    assert [t.name for t in contact.tags] == ["parent"]


def test_linking_the_same_organisation_twice_updates_the_role(db, make_contact, make_organisation):
    contact = make_contact()
    school = make_organisation()
    services.link_organisation(contact, school, "Teacher")
    services.link_organisation(contact, school, "Principal")
    db.session.commit()
    affiliations = db.session.scalars(select(Affiliation)).all()
    assert [(a.organisation.name, a.role) for a in affiliations] == [
        ("Lincoln High School", "Principal")
    ]


def test_organisation_is_found_by_name_ignoring_case_and_accents(make_organisation):
    make_organisation(name="Église Saint-Jean", type=OrganisationType.FAITH_GROUP)
    found = services.find_organisation_by_name("  EGLISE saint-jean ")
    assert found is not None and found.type is OrganisationType.FAITH_GROUP
    assert services.find_organisation_by_name("Saint-Jean") is None


# --- duplicates ----------------------------------------------------------------------------


@pytest.fixture
def jose(make_contact):
    return make_contact(
        first_name="José",
        last_name="Núñez",
        email="Jose.Nunez@example.org",
        phone="+12025550143",
        postcode="SW1A 1AA",
    )


@pytest.mark.parametrize(
    "details",
    [
        {"email": "JOSE.NUNEZ@EXAMPLE.ORG"},
        {"phone": "+12025550143"},
        {"first_name": "jose", "last_name": "NUNEZ", "postcode": "sw1a1aa"},
    ],
    ids=["email-any-case", "phone", "name-and-postcode"],
)
def test_duplicates_are_found_by_email_phone_or_name_and_postcode(jose, details):
    assert services.find_duplicates(**details) == [jose]


@pytest.mark.parametrize(
    "details",
    [
        {"email": "jose.nunez@example.com"},
        {"phone": "+12025550144"},
        {"first_name": "José", "last_name": "Núñez", "postcode": "SW1A 2AA"},
        {"first_name": "José", "last_name": "Núñez"},
        {"first_name": "José", "last_name": "Núñez-Ortega", "postcode": "SW1A 1AA"},
        {"first_name": "Jo", "last_name": "Núñez", "postcode": "SW1A 1AA"},
        {},
    ],
)
def test_different_people_are_not_duplicates(jose, details):
    assert services.find_duplicates(**details) == []


def test_a_contact_is_not_its_own_duplicate(jose):
    assert services.find_duplicates(email=jose.email, exclude_id=jose.id) == []


# --- search, filters and sorting -------------------------------------------------------------


@pytest.fixture
def people(make_contact, make_organisation, db):
    jose = make_contact(
        first_name="José", last_name="Núñez", email="jose.nunez@example.org", phone="+12025550143"
    )
    make_contact(
        first_name="Maria", last_name="Smith", email="maria@example.com", phone="+442079460958"
    )
    make_contact(first_name="Chloé", last_name="Dubois", preferred_name="Coco")
    services.link_organisation(jose, make_organisation(name="Lincoln High School"), "Teacher")
    db.session.commit()


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("NUNEZ", ["José Núñez"]),
        ("jose", ["José Núñez"]),
        ("JOSÉ NÚÑEZ", ["José Núñez"]),
        ("nunez   jose", ["José Núñez"]),
        ("jose smith", []),
        ("lincoln", ["José Núñez"]),
        ("LINCOLN jose", ["José Núñez"]),
        ("example.com", ["Maria Smith"]),
        ("jose.nunez@", ["José Núñez"]),
        ("202-555-0143", ["José Núñez"]),
        ("(202) 555 0143", ["José Núñez"]),
        ("+1 202-555-0143", ["José Núñez"]),
        ("7946 0958", ["Maria Smith"]),
        ("coco", ["Chloé Dubois"]),
        ("%", []),
        ("_", []),
        ("", ["Chloé Dubois", "José Núñez", "Maria Smith"]),
    ],
)
def test_search_by_name_email_phone_or_organisation(people, q, found):
    assert search(q) == found


@pytest.fixture
def tagged(make_contact, make_organisation, db):
    school = make_organisation()
    ann = make_contact(first_name="Ann", last_name="Able", tags=["donor"], email_opt_in=True)
    make_contact(first_name="Bob", last_name="Baker", tags=["parent"], do_not_contact=True)
    make_contact(first_name="Cy", last_name="Cole", tags=["donor", "parent"])
    services.link_organisation(ann, school, None)
    db.session.commit()
    return {t.name: t.id for t in db.session.scalars(select(Tag))}, school


def test_filter_by_tag(tagged):
    tags, _ = tagged
    assert search(tag_id=tags["donor"]) == ["Ann Able", "Cy Cole"]
    assert search("cole", tag_id=tags["parent"]) == ["Cy Cole"]


def test_filter_by_organisation(tagged):
    _, school = tagged
    assert search(organisation_id=school.id) == ["Ann Able"]


def test_filter_by_email_opt_in_and_do_not_contact(tagged):
    assert search(email_opt_in=True) == ["Ann Able"]
    assert search(email_opt_in=False) == ["Bob Baker", "Cy Cole"]
    assert search(do_not_contact=True) == ["Bob Baker"]
    assert search(do_not_contact=False) == ["Ann Able", "Cy Cole"]


def test_sorting(db, make_contact):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    for day, (first, last) in enumerate([("Zed", "Adams"), ("Amy", "Young"), ("Bea", "Adams")]):
        contact = make_contact(first_name=first, last_name=last)
        contact.created_at = start + timedelta(days=day)
        contact.updated_at = start + timedelta(days=10 - day)
    db.session.commit()
    assert search(sort="name") == ["Bea Adams", "Zed Adams", "Amy Young"]
    assert search(sort="-name") == ["Amy Young", "Zed Adams", "Bea Adams"]
    assert search(sort="newest") == ["Bea Adams", "Amy Young", "Zed Adams"]
    assert search(sort="updated") == ["Zed Adams", "Amy Young", "Bea Adams"]
    assert search(sort="bogus") == search(sort="name")


# --- audit -----------------------------------------------------------------------------------


def audit_events(db, contact_id: int, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "Contact",
        AuditEvent.entity_id == contact_id,
        AuditEvent.action == action,
    )
    return db.session.scalars(query).all()


def test_creating_a_contact_is_audited_with_its_values(db, make_contact):
    contact = make_contact(first_name="José", last_name="Núñez", email="jose@example.org")
    [event] = audit_events(db, contact.id, "create")
    assert event.summary == "José Núñez"
    assert event.changes["email"] == "jose@example.org"
    assert event.changes["first_name"] == "José"
    assert "search_key" not in event.changes and "email_key" not in event.changes


def test_updating_a_contact_is_audited_with_old_and_new_values_of_changed_fields(db, make_contact):
    contact = make_contact(first_name="José", last_name="Núñez", email="jose@example.org")
    services.update_contact(
        contact, {"first_name": "José", "last_name": "Núñez", "email": "jose@example.com"}
    )
    db.session.commit()
    [event] = audit_events(db, contact.id, "update")
    assert event.changes == {"email": ["jose@example.org", "jose@example.com"]}


# --- timeline ---------------------------------------------------------------------------------


def test_timeline_shows_notes_newest_first_with_their_author(db, make_contact, make_user):
    author = make_user("coordinator", name="Cory Coordinator")
    contact = make_contact()
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for day, body in [(1, "Second"), (0, "First"), (2, "Third")]:
        services.add_note(contact, author, body).created_at = start + timedelta(days=day)
    services.add_note(contact, None, "Imported")  # today: the newest
    db.session.commit()
    db.session.expire_all()
    entries = timeline_for(db.session.get(Contact, contact.id))
    assert [e.body for e in entries] == ["Imported", "Third", "Second", "First"]
    assert [e.title for e in entries[:2]] == ["Note by Someone", "Note by Cory Coordinator"]
    assert {e.kind for e in entries} == {"note"}
