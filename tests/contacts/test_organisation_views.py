"""Organisations, and linking people to them with a role."""

import re

import pytest
from sqlalchemy import select

from crm.contacts import services
from crm.contacts.models import Affiliation, Organisation, OrganisationType

SCHOOL = {"name": "Lincoln High School", "type": "school", "city": "Springfield"}


def listed(response) -> list[str]:
    return re.findall(r'<a href="/organisations/\d+"[^>]*>([^<]+)</a>', response.text)


# --- organisations --------------------------------------------------------------------------


def test_every_organisation_type_can_be_chosen(staff):
    page = staff.get("/organisations/new")
    offered = re.findall(r'<option[^>]*value="([a-z_]+)"', page.text)
    assert offered == [t.value for t in OrganisationType]
    assert [t.label for t in OrganisationType] == [
        "School",
        "Faith group",
        "Business",
        "Agency",
        "Partner",
        "Community",
        "Other",
    ]


def test_create_organisation(db, staff):
    data = {
        **SCHOOL,
        "type": "faith_group",
        "name": "Grace Church",
        "phone": "202 555 0143",
        "email": "Office@Grace.example.org",
        "website": "https://grace.example.org",
    }
    response = staff.form("/organisations/new", data, follow_redirects=True)
    assert "Organisation Grace Church created." in response.text
    assert "Faith group" in response.text
    organisation = db.session.scalars(select(Organisation)).one()
    assert response.request.path == f"/organisations/{organisation.id}"
    assert organisation.type is OrganisationType.FAITH_GROUP
    assert (organisation.phone, organisation.email) == ("+12025550143", "Office@grace.example.org")


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"type": "church"}, "Not a valid choice"),
        ({"name": " "}, "This field is required."),
        ({"name": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"website": "grace church"}, "Enter a full web address starting with https://"),
        ({"phone": "12"}, "This phone number is not valid."),
        ({"notes": "x" * 10_000}, "Field cannot be longer than 5000 characters."),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_bad_organisation_input_is_explained_and_nothing_is_written(staff, count, changes, error):
    response = staff.form("/organisations/new", {**SCHOOL, **changes})
    assert response.status_code == 200
    assert error in response.text
    assert count(Organisation) == 0


def test_a_long_name_that_grows_when_folded_is_still_saved(db, staff):
    response = staff.form("/organisations/new", {**SCHOOL, "name": "ß" * 200})
    assert response.status_code == 302
    assert db.session.scalars(select(Organisation.name)).one() == "ß" * 200


def test_an_organisation_with_the_same_name_needs_confirming(staff, count, make_organisation):
    existing = make_organisation(name="Lincoln High School")
    response = staff.form("/organisations/new", {**SCHOOL, "name": "LINCOLN high school "})
    assert response.status_code == 200
    assert "already exists" in response.text
    assert f'href="/organisations/{existing.id}"' in response.text
    assert count(Organisation) == 1
    response = staff.form("/organisations/new", {**SCHOOL, "confirm_duplicate": "y"})
    assert response.status_code == 302
    assert count(Organisation) == 2


def test_organisation_list_search_and_type_filter(staff, make_organisation):
    make_organisation(name="Lincoln High School")
    make_organisation(name="Église Saint-Jean", type=OrganisationType.FAITH_GROUP)
    make_organisation(name="Acme", type=OrganisationType.BUSINESS)
    assert listed(staff.get("/organisations/")) == [
        "Acme",
        "Église Saint-Jean",
        "Lincoln High School",
    ]
    assert listed(staff.get("/organisations/?q=EGLISE")) == ["Église Saint-Jean"]
    assert listed(staff.get("/organisations/?type=business")) == ["Acme"]
    for bad in ["type=church", "page=abc", "page=99999999999999999999", "q=%25"]:
        assert staff.get(f"/organisations/?{bad}").status_code == 200


def test_edit_organisation(db, staff, make_organisation):
    organisation = make_organisation(name="Lincoln High School")
    page = staff.get(f"/organisations/{organisation.id}/edit")
    assert 'value="school" selected' in page.text or 'selected value="school"' in page.text
    data = {**SCHOOL, "name": "Lincoln Academy", "type": "partner"}
    response = staff.form(f"/organisations/{organisation.id}/edit", data)
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Organisation, organisation.id)
    assert (saved.name, saved.type) == ("Lincoln Academy", OrganisationType.PARTNER)
    assert services.find_organisation_by_name("lincoln academy") == saved


def test_bad_input_on_organisation_edit_saves_nothing(db, staff, make_organisation):
    organisation = make_organisation(name="Lincoln High School")
    response = staff.form(f"/organisations/{organisation.id}/edit", {**SCHOOL, "type": "x"})
    assert response.status_code == 200
    assert "Not a valid choice" in response.text
    db.session.expire_all()
    assert db.session.get(Organisation, organisation.id).type is OrganisationType.SCHOOL


def test_volunteers_may_not_open_organisations(signed_in, make_organisation, count):
    organisation = make_organisation()
    client, _ = signed_in("volunteer")
    paths = [
        "/organisations/",
        "/organisations/new",
        f"/organisations/{organisation.id}",
        f"/organisations/{organisation.id}/edit",
    ]
    assert {p: client.get(p).status_code for p in paths} == dict.fromkeys(paths, 403)
    assert client.form("/organisations/new", SCHOOL).status_code == 403
    assert count(Organisation) == 1


# --- people at organisations -------------------------------------------------------------------


def test_link_a_contact_to_an_organisation_with_a_role(db, staff, make_contact, make_organisation):
    contact = make_contact(first_name="José", last_name="Núñez")
    school = make_organisation(name="Lincoln High School")
    data = {"organisation": "  lincoln HIGH school", "role": "Counsellor"}
    response = staff.form(f"/contacts/{contact.id}/organisations", data, follow_redirects=True)
    assert "Linked to Lincoln High School." in response.text
    assert "Lincoln High School</a> · Counsellor" in response.text
    affiliation = db.session.scalars(select(Affiliation)).one()
    assert (affiliation.contact_id, affiliation.organisation_id) == (contact.id, school.id)
    page = staff.get(f"/organisations/{school.id}")
    assert f'href="/contacts/{contact.id}">José Núñez</a> · Counsellor' in page.text


def test_linking_again_changes_the_role_without_a_second_link(
    db, staff, make_contact, make_organisation, count
):
    contact = make_contact()
    make_organisation(name="Lincoln High School")
    url = f"/contacts/{contact.id}/organisations"
    staff.form(url, {"organisation": "Lincoln High School", "role": "Teacher"})
    staff.form(url, {"organisation": "Lincoln High School", "role": "Principal"})
    assert count(Affiliation) == 1
    assert db.session.scalars(select(Affiliation.role)).one() == "Principal"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"organisation": "Nowhere School"}, "There is no organisation called"),
        ({"organisation": ""}, "This field is required."),
        ({"organisation": "Lincoln High School", "role": "r" * 121}, "longer than 120"),
    ],
    ids=["unknown", "blank", "long-role"],
)
def test_a_bad_link_is_explained_and_not_saved(
    staff, make_contact, make_organisation, count, data, error
):
    contact = make_contact()
    make_organisation(name="Lincoln High School")
    url = f"/contacts/{contact.id}/organisations"
    response = staff.form(url, data, follow_redirects=True)
    assert response.status_code == 200
    assert error in response.text
    assert count(Affiliation) == 0


def test_unlink_an_organisation(db, staff, make_contact, make_organisation, count):
    contact = make_contact()
    affiliation = services.link_organisation(contact, make_organisation(), "Teacher")
    db.session.commit()
    url = f"/contacts/{contact.id}/organisations/{affiliation.id}/delete"
    response = staff.form(url, follow_redirects=True)
    assert "Organisation link removed." in response.text
    assert count(Affiliation) == 0
    assert count(Organisation) == 1


def test_a_link_cannot_be_removed_through_another_contact(
    db, staff, make_contact, make_organisation, count
):
    owner, stranger = make_contact(), make_contact()
    affiliation = services.link_organisation(owner, make_organisation(), "Teacher")
    db.session.commit()
    url = f"/contacts/{stranger.id}/organisations/{affiliation.id}/delete"
    assert staff.form(url).status_code == 404
    assert count(Affiliation) == 1
