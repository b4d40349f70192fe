"""People linked to people, and households: read from either side, refused when wrong, and
kept through a merge."""

import pytest
from sqlalchemy import select

from crm.contacts import relations, services
from crm.contacts.models import Contact, Household, Relationship, RelationshipKind
from crm.contacts.services import ContactError

KEEP = dict.fromkeys(services.MERGE_FIELDS, "survivor")


@pytest.fixture
def family(db, make_contact):
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann@example.org",
                       address_line1="1 Elm St", city="Springfield", postcode="62701")  # fmt: skip
    ben = make_contact(first_name="Ben", last_name="Lee", phone="+12025550111")
    kid = make_contact(first_name="Cy", last_name="Lee")
    return ann, ben, kid


def test_a_link_reads_both_ways(db, family):
    ann, ben, kid = family
    relations.relate(ann, kid, RelationshipKind.PARENT, "Lives at home")
    relations.relate(ann, ben, RelationshipKind.SPOUSE, None)
    db.session.commit()
    assert [(link.label, link.other.first_name) for link in relations.links_of(ann.id)] == [
        ("Spouse of", "Ben"),
        ("Parent of", "Cy"),
    ]
    [link] = relations.links_of(kid.id)
    assert (link.label, link.other.first_name, link.relationship.note) == (
        "Child of",
        "Ann",
        "Lives at home",
    )


def test_a_person_is_not_linked_to_themselves_nor_twice(db, family, count):
    ann, ben, _ = family
    with pytest.raises(ContactError, match="themselves"):
        relations.relate(ann, ann, RelationshipKind.FRIEND, None)
    relations.relate(ann, ben, RelationshipKind.SPOUSE, None)
    with pytest.raises(ContactError, match="already linked"):
        relations.relate(ben, ann, RelationshipKind.SPOUSE, None)  # the other way round
    db.session.commit()
    assert count(Relationship) == 1


def test_finding_the_person_typed(db, family, make_contact):
    ann, ben, _ = family
    assert relations.find_contact(f"#{ben.id}").id == ben.id
    assert relations.find_contact(" ANN@example.org ").id == ann.id
    assert relations.find_contact("(202) 555-0111").id == ben.id
    assert relations.find_contact("ann  lee").id == ann.id
    make_contact(first_name="Ann", last_name="Lee", email="other-ann@example.org")
    with pytest.raises(ContactError, match="More than one"):
        relations.find_contact("Ann Lee")
    for typed, problem in (("", "Say who"), ("#99999", "no contact number"),
                           ("nobody@example.org", "No contact matches")):  # fmt: skip
        with pytest.raises(ContactError, match=problem):
            relations.find_contact(typed)


def test_a_household_shares_an_address_and_a_salutation(db, family):
    ann, ben, kid = family
    household = relations.start_household(ann)
    assert household.name == "The Lee household" and household.salutation == "Ann Lee"
    assert household.city == "Springfield"
    relations.add_member(household, ben, take_address=True)
    assert ben.address_line1 == "1 Elm St" and ben.postcode == "62701"
    relations.add_member(household, kid, take_address=False)
    assert kid.address_line1 is None
    assert relations.default_salutation([ann, ben]) == "Ann and Ben Lee"
    with pytest.raises(ContactError, match="already in this household"):
        relations.add_member(household, ben, take_address=False)
    other = relations.start_household(make_other(db))
    with pytest.raises(ContactError, match="another household"):
        relations.add_member(other, ben, take_address=False)
    data = {"name": "The Lees", "salutation": "The Lee family", "address_line1": "9 Oak Ave",
            "city": "Shelbyville", "postcode": "62565"}  # fmt: skip
    relations.update_household(household, data, share_address=True)
    db.session.commit()
    assert {m.address_line1 for m in household.members} == {"9 Oak Ave"}
    relations.remove_member(household, kid)
    db.session.commit()
    assert [m.first_name for m in household.members] == ["Ann", "Ben"]


def make_other(db):
    person = Contact(first_name="Dee", last_name="Roe")
    person.refresh_search_key()
    db.session.add(person)
    db.session.flush()
    return person


def test_a_merge_keeps_the_links_and_the_household(db, family, make_contact, make_user):
    """The merge walks the foreign keys: the duplicate's links move to the survivor, a link
    between the two disappears, and a link both had to the same person is kept once."""
    ann, ben, kid = family
    twin = make_contact(first_name="Ann", last_name="Lee", email="ann.lee@example.org")
    household = relations.start_household(twin)
    relations.add_member(household, ben, take_address=False)
    relations.relate(twin, kid, RelationshipKind.PARENT, None)  # the survivor has it too
    relations.relate(ann, kid, RelationshipKind.PARENT, None)
    relations.relate(ben, twin, RelationshipKind.SPOUSE, None)  # pointing at the duplicate
    relations.relate(twin, ann, RelationshipKind.SIBLING, None)  # between the two
    db.session.commit()
    services.merge_contacts(ann, twin, set(), make_user())
    db.session.commit()
    links = {(link.label, link.other.first_name) for link in relations.links_of(ann.id)}
    assert links == {("Spouse of", "Ben"), ("Parent of", "Cy")}
    assert (
        db.session.scalar(
            select(Relationship).where(Relationship.contact_id == Relationship.related_id)
        )
        is None
    )
    assert ann.household_id == household.id
    assert {m.first_name for m in db.session.get(Household, household.id).members} == {"Ann", "Ben"}


def test_the_pages_link_people_and_refuse_bad_input(db, staff, family, count):
    ann, ben, _ = family
    page = staff.get(f"/contacts/{ann.id}")
    assert "Link a person" in page.text and "Start a household" in page.text
    response = staff.form(f"/contacts/{ann.id}/relationships",
                          {"kind": "spouse", "person": "ben lee"})  # fmt: skip
    assert response.status_code == 302
    assert "Spouse of" in staff.get(f"/contacts/{ben.id}").text
    refused = (
        ({"kind": "spouse", "person": "nobody"}, "No contact matches"),
        ({"kind": "uncle", "person": "ben lee"}, "Not a valid choice"),
        ({"kind": "friend", "person": ""}, "This field is required"),
    )
    for data, problem in refused:
        page = staff.form(f"/contacts/{ann.id}/relationships", data, follow_redirects=True)
        assert problem in page.text
    assert count(Relationship) == 1
    started = staff.form(f"/contacts/{ann.id}/household")
    household_url = started.location
    added = staff.form(f"{household_url}/members", {"person": f"#{ben.id}", "take_address": "y"},
                       follow_redirects=True)  # fmt: skip
    assert "Ben Lee is in the household" in added.text
    assert "Households" in staff.get("/households/?q=lee").text
    assert "The Lee household" in staff.get("/households/?q=LEE&sort=newest").text
