"""The contact pages as staff use them: who may open them, the list, search and export,
creating and editing (with duplicate warnings), the contact page, notes and deletion."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from crm.audit.models import AuditEvent
from crm.contacts import services
from crm.contacts.models import Contact, Note, Tag

pytestmark = pytest.mark.clock  # the outcome depends on today's date

JOSE = {
    "first_name": "José",
    "last_name": "Núñez",
    "email": "  Jose.Nunez@EXAMPLE.org ",
    "phone": "(202) 555-0143",
    "address_line1": "1 Main St",
    "city": "Springfield",
    "region": "IL",
    "postcode": "62701",
    "country": "us",
    "tags": "donor, parent, Donor",
    "email_opt_in": "y",
}


def listed(response) -> list[str]:
    """The names in the contacts table, in the order shown ("Last, First")."""
    return re.findall(
        r'data-label="Name"[^>]*><a href="/contacts/\d+"[^>]*>([^<]+)<', response.text
    )


def exported(response) -> list[dict]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    return list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))


def contact_events(db, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(
        AuditEvent.entity_type == "Contact", AuditEvent.action == action
    )
    return db.session.scalars(query.order_by(AuditEvent.id)).all()


def contact_in_db(db, contact_id: int) -> Contact | None:
    db.session.expire_all()
    return db.session.get(Contact, contact_id)


# --- who may open the pages --------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, make_contact):
    contact = make_contact()
    for path in ["/contacts/", f"/contacts/{contact.id}", "/contacts/export.csv"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response.location.startswith("/auth/login?next=")


@pytest.mark.parametrize("role", ["admin", "fundraiser", "coordinator"])
def test_staff_may_open_the_contact_list(signed_in, role):
    client, _ = signed_in(role)
    assert client.get("/contacts/").status_code == 200


def test_volunteers_get_403_on_every_contact_page(signed_in, make_contact, count):
    contact = make_contact()
    client, _ = signed_in("volunteer")
    paths = [
        "/contacts/",
        "/contacts/new",
        "/contacts/export.csv",
        f"/contacts/{contact.id}",
        f"/contacts/{contact.id}/edit",
        f"/contacts/{contact.id}/merge",
    ]
    assert {p: client.get(p).status_code for p in paths} == dict.fromkeys(paths, 403)
    assert client.form("/contacts/new", JOSE).status_code == 403
    assert client.form(f"/contacts/{contact.id}/notes", {"body": "Hi"}).status_code == 403
    assert (count(Contact), count(Note)) == (1, 0)


@pytest.mark.parametrize("role", ["fundraiser", "coordinator"])
def test_only_admins_may_delete_a_contact(db, signed_in, make_contact, role):
    contact = make_contact()
    client, _ = signed_in(role)
    assert client.form(f"/contacts/{contact.id}/delete").status_code == 403
    assert contact_in_db(db, contact.id) is not None


def test_admin_deletes_a_contact_with_their_notes(db, signed_in, make_contact, count):
    client, admin = signed_in("admin")
    contact = make_contact(first_name="José", last_name="Núñez", tags=["donor"])
    services.add_note(contact, admin, "Met at the fair")
    db.session.commit()
    contact_id = contact.id
    response = client.form(f"/contacts/{contact_id}/delete", follow_redirects=True)
    assert response.request.path == "/contacts/"
    assert "Contact José Núñez deleted." in response.text
    assert (count(Contact), count(Note), count(Tag)) == (0, 0, 1)
    assert client.get(f"/contacts/{contact_id}").status_code == 404
    [event] = contact_events(db, "delete")
    assert (event.entity_id, event.actor_id) == (contact_id, admin.id)


# --- the list: search, filters, sorting, pagination ------------------------------------------


def test_search_is_case_and_accent_insensitive_and_multi_word(staff, make_contact):
    make_contact(first_name="José", last_name="Núñez", email="jose@example.org")
    make_contact(first_name="Maria", last_name="Nunes")
    assert listed(staff.get("/contacts/?q=NUNEZ")) == ["Núñez, José"]
    assert listed(staff.get("/contacts/?q=jose")) == ["Núñez, José"]
    assert listed(staff.get("/contacts/?q=n%C3%BA%C3%B1ez+JOS%C3%89")) == ["Núñez, José"]
    assert listed(staff.get("/contacts/?q=nun")) == ["Nunes, Maria", "Núñez, José"]
    response = staff.get("/contacts/?q=jose+nunes")
    assert listed(response) == []
    assert "No contacts match." in response.text


def test_search_by_organisation_and_by_phone_as_displayed(
    db, staff, make_contact, make_organisation
):
    jose = make_contact(first_name="José", last_name="Núñez", phone="+12025550143")
    make_contact(first_name="Maria", last_name="Nunes", phone="+12025550178")
    services.link_organisation(jose, make_organisation(name="Lincoln High School"), "Teacher")
    db.session.commit()
    assert listed(staff.get("/contacts/?q=lincoln+high")) == ["Núñez, José"]
    page = staff.get("/contacts/?q=%2B1+202-555-0143")  # "+1 202-555-0143", as the page shows it
    assert listed(page) == ["Núñez, José"]
    assert "+1 202-555-0143" in page.text


def test_list_filters(db, staff, make_contact, make_organisation):
    school = make_organisation()
    ann = make_contact(first_name="Ann", last_name="Able", tags=["donor"], email_opt_in=True)
    make_contact(first_name="Bob", last_name="Baker", tags=["parent"], do_not_contact=True)
    make_contact(first_name="Cy", last_name="Cole", tags=["donor"])
    services.link_organisation(ann, school, None)
    db.session.commit()
    donor = db.session.scalar(select(Tag.id).where(Tag.name == "donor"))
    assert listed(staff.get(f"/contacts/?tag={donor}")) == ["Able, Ann", "Cole, Cy"]
    assert listed(staff.get(f"/contacts/?organisation={school.id}")) == ["Able, Ann"]
    assert listed(staff.get("/contacts/?email_opt_in=yes")) == ["Able, Ann"]
    assert listed(staff.get("/contacts/?email_opt_in=no")) == ["Baker, Bob", "Cole, Cy"]
    page = staff.get("/contacts/?do_not_contact=yes")
    assert listed(page) == ["Baker, Bob"]
    assert "Do not contact</span>" in page.text
    assert listed(staff.get("/contacts/?do_not_contact=no")) == ["Able, Ann", "Cole, Cy"]
    assert listed(staff.get(f"/contacts/?tag={donor}&q=cole")) == ["Cole, Cy"]


def test_list_sorting(db, staff, make_contact):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    people = [("Zed", "Adams"), ("Amy", "Young"), ("Bea", "Adams")]
    zed, *_ = [make_contact(first_name=first, last_name=last) for first, last in people]
    for day, contact in enumerate(db.session.scalars(select(Contact).order_by(Contact.id))):
        contact.created_at = contact.updated_at = start + timedelta(days=day)
    db.session.commit()
    by_name = ["Adams, Bea", "Adams, Zed", "Young, Amy"]
    assert listed(staff.get("/contacts/")) == by_name
    assert listed(staff.get("/contacts/?sort=name")) == by_name
    assert listed(staff.get("/contacts/?sort=-name")) == by_name[::-1]
    assert listed(staff.get("/contacts/?sort=newest")) == ["Adams, Bea", "Young, Amy", "Adams, Zed"]
    assert listed(staff.get("/contacts/?sort=updated")) == [
        "Adams, Bea",
        "Young, Amy",
        "Adams, Zed",
    ]
    edit = {"first_name": "Zed", "last_name": "Adams", "city": "Springfield"}
    assert staff.form(f"/contacts/{zed.id}/edit", edit).status_code == 302
    assert listed(staff.get("/contacts/?sort=updated"))[0] == "Adams, Zed"


def test_list_is_paginated_25_to_a_page_keeping_the_search(staff, make_contact):
    for n in range(26):
        make_contact(first_name=f"Person{n:02d}", last_name="Doe")
    make_contact(first_name="Other", last_name="Smith")
    first = staff.get("/contacts/?q=doe")
    assert len(listed(first)) == 25
    assert "Page 1 of 2 · 26 in all" in first.text
    assert 'href="/contacts/?q=doe&amp;page=2" rel="next"' in first.text
    second = staff.get("/contacts/?q=doe&page=2")
    assert listed(second) == ["Doe, Person25"]
    assert listed(staff.get("/contacts/?q=doe&page=3")) == []


BAD_QUERIES = [
    "page=abc",
    "page=-1",
    "page=0",
    "page=99999999999999999999",
    "tag=xyz",
    "tag=99999999999999999999",
    "organisation=abc",
    "organisation=-3",
    "sort=bogus",
    "email_opt_in=maybe",
    "do_not_contact=%00",
    "q=" + "x" * 500,
    "q=%25_%5C",
]


def test_bad_query_parameters_do_not_break_the_list_or_the_export(staff, make_contact):
    make_contact(first_name="Ann", last_name="Able")
    pages = {q: staff.get(f"/contacts/?{q}") for q in BAD_QUERIES}
    assert {q: r.status_code for q, r in pages.items()} == dict.fromkeys(BAD_QUERIES, 200)
    assert listed(pages["page=abc"]) == listed(pages["sort=bogus"]) == ["Able, Ann"]
    exports = {q: staff.get(f"/contacts/export.csv?{q}").status_code for q in BAD_QUERIES}
    assert exports == dict.fromkeys(BAD_QUERIES, 200)


# --- CSV export -------------------------------------------------------------------------------


def test_export_contains_the_current_view_only(db, staff, make_contact, make_organisation):
    jose = make_contact(
        first_name="José", last_name="Núñez", email="jose@example.org", tags=["donor", "parent"]
    )
    make_contact(first_name="Maria", last_name="Nunes", tags=["parent"])
    make_contact(first_name="Ann", last_name="Able", tags=["donor"])
    services.link_organisation(jose, make_organisation(name="Lincoln High School"), "Teacher")
    db.session.commit()
    parent = db.session.scalar(select(Tag.id).where(Tag.name == "parent"))

    response = staff.get(f"/contacts/export.csv?tag={parent}&sort=-name&page=2")
    assert 'filename="contacts.csv"' in response.headers["Content-Disposition"]
    rows = exported(response)
    assert [(r["first_name"], r["last_name"]) for r in rows] == [
        ("José", "Núñez"),
        ("Maria", "Nunes"),
    ]
    assert rows[0]["organisations"] == "Lincoln High School"
    assert rows[0]["tags"] == "donor; parent"
    assert rows[0]["email_opt_in"] == "no"

    rows = exported(staff.get("/contacts/export.csv?q=NUNEZ"))
    assert [r["email"] for r in rows] == ["jose@example.org"]


def test_the_list_links_to_the_export_of_the_same_search(staff):
    page = staff.get("/contacts/?q=nunez&sort=newest&page=2")
    link = re.search(r'href="(/contacts/export\.csv[^"]*)"', page.text).group(1)
    assert set(link.split("?")[1].split("&amp;")) == {"q=nunez", "sort=newest"}


def test_export_neutralises_cells_a_spreadsheet_would_run(staff, make_contact):
    make_contact(
        first_name='=HYPERLINK("http://evil.example")',
        last_name="+SUM(A1)",
        preferred_name="-1+cmd|' /C calc'!A0",
        address_line1="@cmd",
        city="Safe=City",
        phone="+12025550143",
    )
    [row] = exported(staff.get("/contacts/export.csv"))
    assert row["first_name"] == '\'=HYPERLINK("http://evil.example")'
    assert row["last_name"] == "'+SUM(A1)"
    assert row["preferred_name"] == "'-1+cmd|' /C calc'!A0"
    assert row["address_line1"] == "'@cmd"
    assert row["city"] == "Safe=City"
    # a phone number is not a formula: it is exported as it is, without an apostrophe
    assert row["phone"] == "+12025550143"


def test_export_streams_with_three_queries_whatever_its_size(
    db, app, staff, make_contact, make_organisation, monkeypatch
):
    from sqlalchemy import event

    from crm.contacts import export

    school, church = make_organisation(name="Lincoln High School"), make_organisation(name="Grace")
    for n in range(7):
        person = make_contact(first_name=f"P{n}", last_name="Doe", phone=f"+1202555014{n}",
                              tags=["donor", f"t{n}"] if n % 3 else [])  # fmt: skip
        for organisation in (school, church)[: n % 3]:
            services.link_organisation(person, organisation, "Parent")
    make_contact(first_name="Ann", last_name="Able", tags=["donor"])  # not in the search
    db.session.commit()
    monkeypatch.setattr(export, "CHUNK", 3)
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = staff.get("/contacts/export.csv?q=doe&sort=-name", buffered=False)
        assert response.is_streamed
        rows = exported(response)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert [r["first_name"] for r in rows] == [f"P{n}" for n in reversed(range(7))]
    by_name = {r["first_name"]: r for r in rows}
    assert [by_name[f"P{n}"]["tags"] for n in range(4)] == ["", "donor; t1", "donor; t2", ""]
    assert [by_name[f"P{n}"]["organisations"] for n in range(3)] == [
        "",
        "Lincoln High School",
        "Lincoln High School; Grace",
    ]
    assert by_name["P3"]["phone"] == "+12025550143"
    # the contacts, their tags, their organisations: not one query per contact or per chunk
    assert len([s for s in statements if "FROM contacts" in s]) == 3


@pytest.mark.parametrize(("role", "allowed"), [("volunteer", False), ("coordinator", True)])
def test_only_staff_may_export_contacts(signed_in, make_contact, role, allowed):
    make_contact(first_name="Ann", last_name="Able")
    client, _ = signed_in(role)
    response = client.get("/contacts/export.csv")
    if allowed:
        assert [r["first_name"] for r in exported(response)] == ["Ann"]
    else:
        assert response.status_code == 403 and "Able" not in response.text


# --- creating ----------------------------------------------------------------------------------


def test_new_contact_form_suggests_the_default_country(staff):
    page = staff.get("/contacts/new")
    assert page.status_code == 200
    assert 'name="country" type="text" value="US"' in page.text


def test_create_contact_stores_normalised_values(db, signed_in, count):
    client, user = signed_in("coordinator")
    response = client.form("/contacts/new", JOSE)
    assert response.status_code == 302
    contact = db.session.scalars(select(Contact)).one()
    assert response.location == f"/contacts/{contact.id}"
    assert contact.email == "Jose.Nunez@example.org"
    assert contact.phone == "+12025550143"
    assert contact.country == "US"
    assert [t.name for t in contact.tags] == ["donor", "parent"]
    assert (contact.email_opt_in, contact.do_not_contact) == (True, False)
    assert contact.address_lines == ["1 Main St", "Springfield IL 62701", "US"]
    page = client.get(response.location)
    assert "Contact José Núñez created." in page.text
    assert "+1 202-555-0143" in page.text
    [event] = contact_events(db, "create")
    assert (event.entity_id, event.actor_id) == (contact.id, user.id)
    assert event.changes["email"] == "Jose.Nunez@example.org"
    assert event.changes["phone"] == "+12025550143"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"email": "jose@"}, "There must be something after the @-sign."),
        ({"email": "jose.example.org"}, "An email address must have an @-sign."),
        ({"phone": "555-1234"}, "This phone number is not valid."),
        ({"phone": "call me"}, "This is not a phone number."),
        ({"first_name": ""}, "This field is required."),
        ({"last_name": "   "}, "This field is required."),
        ({"first_name": "J" * 101}, "Field cannot be longer than 100 characters."),
        ({"address_line1": "x" * 10_000}, "Field cannot be longer than 200 characters."),
        ({"postcode": "ß" * 21}, "Field cannot be longer than 20 characters."),
        ({"tags": "t" * 501}, "Field cannot be longer than 500 characters."),
        ({"country": "USA"}, "Use a two-letter country code, e.g. US."),
    ],
    ids=lambda v: next(iter(v)) if isinstance(v, dict) else None,
)
def test_bad_input_is_explained_and_nothing_is_written(db, staff, count, changes, error):
    response = staff.form("/contacts/new", {**JOSE, **changes})
    assert response.status_code == 200
    assert "Please correct 1 problem" in response.text
    assert error in response.text
    assert (count(Contact), count(Tag)) == (0, 0)
    assert contact_events(db, "create") == []


def test_phone_numbers_without_a_country_code_use_the_configured_region(
    db, app, staff, monkeypatch
):
    monkeypatch.setitem(app.config, "DEFAULT_PHONE_REGION", "GB")
    data = {"first_name": "Ann", "last_name": "Lee", "phone": "020 7946 0958"}
    assert staff.form("/contacts/new", data).status_code == 302
    assert db.session.scalars(select(Contact.phone)).one() == "+442079460958"


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(staff, count):
    response = staff.post("/contacts/new", data={"first_name": "Ann", "last_name": "Lee"})
    assert response.status_code == 400
    assert "nothing was saved" in response.text
    assert count(Contact) == 0


def test_values_that_only_grow_when_normalised_still_fit(db, staff):
    response = staff.form("/contacts/new", {**JOSE, "postcode": "ß" * 20})
    assert response.status_code == 302
    assert db.session.scalars(select(Contact)).one().postcode == "ß" * 20


# --- duplicate warnings ------------------------------------------------------------------------


@pytest.fixture
def existing(make_contact):
    return make_contact(
        first_name="José",
        last_name="Núñez",
        email="jose.nunez@example.org",
        phone="+12025550143",
        postcode="SW1A 1AA",
    )


SAME_PERSON = [
    {"email": "JOSE.NUNEZ@example.org"},
    {"phone": "+1 (202) 555-0143"},
    {"first_name": "jose", "last_name": "NUNEZ", "postcode": "sw1a1aa"},
]
SAME_IDS = ["email", "phone", "name-and-postcode"]


@pytest.mark.parametrize("details", SAME_PERSON, ids=SAME_IDS)
def test_creating_a_likely_duplicate_warns_and_writes_nothing(staff, count, existing, details):
    data = {"first_name": "Someone", "last_name": "Else", **details}
    response = staff.form("/contacts/new", data)
    assert response.status_code == 200
    assert "This may be someone we already have" in response.text
    assert f'href="/contacts/{existing.id}"' in response.text
    assert "This is a different person; create the contact anyway" in response.text
    assert count(Contact) == 1

    response = staff.form("/contacts/new", {**data, "confirm_duplicate": "y"})
    assert response.status_code == 302
    assert count(Contact) == 2


def test_a_different_person_is_created_without_a_warning(staff, count, existing):
    data = {"first_name": "José", "last_name": "Núñez", "postcode": "SW1A 2AA"}
    assert staff.form("/contacts/new", data).status_code == 302
    assert count(Contact) == 2


@pytest.mark.parametrize("details", SAME_PERSON, ids=SAME_IDS)
def test_editing_into_a_likely_duplicate_warns_and_saves_nothing(
    db, staff, make_contact, existing, details
):
    other = make_contact(first_name="Maria", last_name="Smith", email="maria@example.org")
    data = {"first_name": "Maria", "last_name": "Smith", "email": "maria@example.org", **details}
    response = staff.form(f"/contacts/{other.id}/edit", data)
    assert response.status_code == 200
    assert "This may be someone we already have" in response.text
    assert f'href="/contacts/{existing.id}"' in response.text
    saved = contact_in_db(db, other.id)
    assert (saved.first_name, saved.email, saved.phone) == ("Maria", "maria@example.org", None)

    response = staff.form(f"/contacts/{other.id}/edit", {**data, "confirm_duplicate": "y"})
    assert response.status_code == 302


def test_a_contact_is_not_a_duplicate_of_itself(staff, existing):
    data = {
        "first_name": "José",
        "last_name": "Núñez",
        "email": "jose.nunez@example.org",
        "phone": "+12025550143",
        "postcode": "SW1A 1AA",
        "city": "London",
    }
    assert staff.form(f"/contacts/{existing.id}/edit", data).status_code == 302


# --- editing -----------------------------------------------------------------------------------


def test_edit_form_shows_the_current_values(staff, make_contact):
    contact = make_contact(first_name="José", last_name="Núñez", tags=["parent", "donor"])
    page = staff.get(f"/contacts/{contact.id}/edit")
    assert page.status_code == 200
    assert 'value="Núñez"' in page.text
    assert 'value="donor, parent"' in page.text


def test_edit_saves_the_changes_and_audits_them(db, signed_in, make_contact):
    client, user = signed_in("fundraiser")
    contact = make_contact(
        first_name="José", last_name="Núñez", email="jose@example.org", tags=["donor"]
    )
    data = {
        "first_name": "José",
        "last_name": "Núñez",
        "email": "Jose@Example.COM",
        "phone": "202 555 0143",
        "do_not_contact": "y",
        "tags": "parent",
    }
    response = client.form(f"/contacts/{contact.id}/edit", data, follow_redirects=True)
    assert "Contact saved." in response.text
    saved = contact_in_db(db, contact.id)
    assert (saved.email, saved.phone, saved.do_not_contact) == (
        "Jose@example.com",
        "+12025550143",
        True,
    )
    assert [t.name for t in saved.tags] == ["parent"]
    [event] = contact_events(db, "update")
    assert (event.entity_type, event.entity_id, event.actor_id) == ("Contact", contact.id, user.id)
    assert event.changes == {
        "email": ["jose@example.org", "Jose@example.com"],
        "phone": [None, "+12025550143"],
        "do_not_contact": [False, True],
    }


def test_bad_input_on_edit_is_explained_and_nothing_is_saved(db, staff, make_contact):
    contact = make_contact(first_name="José", last_name="Núñez", email="jose@example.org")
    data = {"first_name": "", "last_name": "Núñez", "email": "not-an-email"}
    response = staff.form(f"/contacts/{contact.id}/edit", data)
    assert response.status_code == 200
    assert "Please correct 2 problems" in response.text
    saved = contact_in_db(db, contact.id)
    assert (saved.first_name, saved.email) == ("José", "jose@example.org")
    assert contact_events(db, "update") == []


# --- the contact page, notes ---------------------------------------------------------------------


def test_contact_page_shows_details_organisations_and_tags(
    db, staff, make_contact, make_organisation
):
    contact = make_contact(
        first_name="José",
        last_name="Núñez",
        preferred_name="Pepe",
        email="jose@example.org",
        phone="+12025550143",
        city="Springfield",
        postcode="62701",
        do_not_contact=True,
        tags=["donor"],
    )
    services.link_organisation(contact, make_organisation(name="Lincoln High School"), "Teacher")
    db.session.commit()
    page = staff.get(f"/contacts/{contact.id}")
    assert page.status_code == 200
    for text in [
        "José Núñez",
        "Pepe",
        "jose@example.org",
        "+1 202-555-0143",
        "Springfield 62701",
        "Lincoln High School</a> · Teacher",
        "donor",
        "Do not contact",
        "Not opted in",
    ]:
        assert text in page.text


def test_timeline_shows_notes_newest_first(db, staff, make_contact, make_user):
    author = make_user("coordinator", name="Cory Coordinator")
    contact = make_contact()
    start = datetime(2024, 5, 1, tzinfo=UTC)
    for day, body in [(1, "Second note"), (0, "First note"), (2, "Third note")]:
        services.add_note(contact, author, body).created_at = start + timedelta(days=day)
    db.session.commit()
    text = staff.get(f"/contacts/{contact.id}").text
    positions = [text.index(body) for body in ["Third note", "Second note", "First note"]]
    assert positions == sorted(positions)
    assert "Note by Cory Coordinator" in text


def test_adding_a_note(db, signed_in, make_contact):
    client, user = signed_in("coordinator")
    contact = make_contact()
    response = client.form(f"/contacts/{contact.id}/notes", {"body": "  Called <b>back</b> "})
    assert response.location == f"/contacts/{contact.id}#timeline"
    page = client.get(response.location)
    assert "Note added." in page.text
    assert "Called &lt;b&gt;back&lt;/b&gt;" in page.text
    note = db.session.scalars(select(Note)).one()
    assert (note.contact_id, note.author_id, note.body) == (
        contact.id,
        user.id,
        "Called <b>back</b>",
    )


@pytest.mark.parametrize(
    ("body", "error"),
    [("x" * 10_000, "Field cannot be longer than 5000 characters."), ("  ", "required")],
)
def test_a_bad_note_is_explained_and_not_saved(staff, make_contact, count, body, error):
    contact = make_contact()
    response = staff.form(f"/contacts/{contact.id}/notes", {"body": body}, follow_redirects=True)
    assert response.status_code == 200
    assert "The note was not saved" in response.text
    assert error in response.text
    assert count(Note) == 0


# --- unknown ids ---------------------------------------------------------------------------------


def test_unknown_ids_are_404(signed_in, make_contact, count):
    client, _ = signed_in("admin")
    contact = make_contact()
    missing = contact.id + 1000
    huge = 99999999999999999999
    gets = [
        f"/contacts/{missing}",
        f"/contacts/{missing}/edit",
        f"/contacts/{missing}/merge",
        f"/contacts/{huge}",
        f"/organisations/{missing}",
        f"/organisations/{missing}/edit",
        f"/contacts/{contact.id}/merge?other_id={missing}",
        f"/contacts/{contact.id}/merge?other_id={huge}",
    ]
    posts = [
        f"/contacts/{missing}/edit",
        f"/contacts/{missing}/delete",
        f"/contacts/{missing}/notes",
        f"/contacts/{missing}/organisations",
        f"/contacts/{contact.id}/organisations/{missing}/delete",
    ]
    assert {p: client.get(p).status_code for p in gets} == dict.fromkeys(gets, 404)
    statuses = {
        p: client.form(p, {"body": "x", "first_name": "A", "last_name": "B"}).status_code
        for p in posts
    }
    assert statuses == dict.fromkeys(posts, 404)
    assert (count(Contact), count(Note)) == (1, 0)
