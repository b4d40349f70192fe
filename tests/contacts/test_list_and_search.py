"""The contacts list at scale: each kind of search finds what it should through its own path,
the count stops at a cap, and giving shows to the roles that see money, summed from the
same gifts as the gifts list."""

from datetime import timedelta

import pytest

from crm.auth.roles import Role
from crm.contacts import search, services
from crm.donations.models import Donation, DonationStatus, PaymentMethod
from crm.modelbase import utcnow
from tests.contacts.test_views import listed


@pytest.fixture
def people(db, make_contact, make_organisation):
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann.lee@example.org",
                       phone="+13125550134")  # fmt: skip
    joann = make_contact(first_name="Joann", last_name="Park", email="joann@example.org",
                         phone="+13125550199")  # fmt: skip
    jose = make_contact(first_name="José", last_name="Núñez", email="José.N@Example.com")
    school = make_organisation(name="Maplewood Middle School")
    church = make_organisation(name="Grace Baptist Church")
    services.link_organisation(jose, school, "Teacher")
    services.link_organisation(joann, church, None)
    db.session.commit()
    return ann, joann, jose


@pytest.mark.parametrize(
    "q, found",
    [
        ("ann.lee@example.org", ["Lee, Ann"]),  # an email: exactly that one, not joann's
        ("ANN.LEE@EXAMPLE.ORG", ["Lee, Ann"]),
        ("ann@", []),  # the beginning of an address: nobody's begins so
        ("joann@exa", ["Park, Joann"]),
        ("josé.n@example.com", ["Núñez, José"]),  # an address keeps its accents
        ("(312) 555-0134", ["Lee, Ann"]),  # a whole number, however typed
        ("+1 312 555 0134", ["Lee, Ann"]),
        ("555-01", ["Lee, Ann", "Park, Joann"]),  # a part of one: digits anywhere
        ("ann", ["Lee, Ann", "Park, Joann"]),  # a word: anywhere in names and emails
        ("nunez", ["Núñez, José"]),  # case and accents do not matter
        ("maplewood middle school", ["Núñez, José"]),  # an organisation's whole name
        ("jose maplewood", ["Núñez, José"]),  # a name and an organisation together
        ("baptist", ["Park, Joann"]),
        ("school", ["Núñez, José"]),
        ("zz", []),
        ("%_\\", []),
    ],
)
def test_each_kind_of_search_finds_its_people(staff, people, q, found):
    page = staff.get("/contacts/", query_string={"q": q})
    assert page.status_code == 200 and listed(page) == found


def test_a_word_common_to_many_organisations_still_finds_people_by_name(
    db, staff, people, make_organisation, monkeypatch
):
    monkeypatch.setattr(search, "WORD_MEMBERS", 0)  # "school" names too many to list
    ann, *_ = people
    services.link_organisation(ann, make_organisation(name="Lincoln High School"), None)
    db.session.commit()
    assert listed(staff.get("/contacts/?q=lincoln high school")) == ["Lee, Ann"]
    assert listed(staff.get("/contacts/?q=lee")) == ["Lee, Ann"]
    monkeypatch.setattr(search, "NAME_MEMBERS", 0)  # and a whole name matched in the database
    assert listed(staff.get("/contacts/?q=lincoln high school")) == ["Lee, Ann"]


def test_the_organisation_filter_takes_a_name_or_an_id(staff, people):
    assert listed(staff.get("/contacts/?organisation=maplewood")) == ["Núñez, José"]
    assert listed(staff.get("/contacts/?organisation=Grace Baptist Church")) == ["Park, Joann"]
    assert listed(staff.get("/contacts/?organisation=Baptist")) == []  # names by their beginning


def test_the_count_stops_at_a_cap(db, staff, make_contact, monkeypatch):
    from crm.contacts import views

    for n in range(5):
        make_contact(first_name=f"P{n}", last_name="Doe")
    monkeypatch.setattr(views, "COUNT_CAP", 3)
    monkeypatch.setitem(staff.application.config, "CONTACTS_PER_PAGE", 2)
    page = staff.get("/contacts/?q=doe")
    assert "more than 3 in all" in page.text and "More than 3 contacts found" in page.text
    assert listed(page) == ["Doe, P0", "Doe, P1"]
    assert "Page 1 of 2" in page.text
    monkeypatch.setattr(views, "COUNT_CAP", 10)
    assert "5 in all" in staff.get("/contacts/?q=doe").text


def gift(db, contact, cents, status=DonationStatus.SUCCEEDED, refunded=0, days=1, currency="USD"):
    db.session.add(Donation(
        contact=contact, amount_cents=cents, refunded_cents=refunded, currency=currency,
        status=status, method=PaymentMethod.CHEQUE, received_at=utcnow() - timedelta(days=days),
    ))  # fmt: skip
    db.session.commit()


def test_giving_columns_add_up_the_gifts_list_and_hide_from_coordinators(
    db, app, client, make_user, people
):
    ann, joann, _ = people
    gift(db, ann, 5000, days=40)
    gift(db, ann, 2500, status=DonationStatus.PARTIALLY_REFUNDED, refunded=1000, days=3)
    gift(db, ann, 9900, status=DonationStatus.FAILED, days=1)  # failed: counts for nothing
    gift(db, joann, 1200, currency="EUR", days=2)
    client.login(make_user(Role.FUNDRAISER))
    page = client.get("/contacts/").text
    assert '<th scope="col" class="text-end">Given</th>' in page
    row = page.split("Lee, Ann</a>", 1)[1].split("</tr>", 1)[0]
    gifts = client.get(f"/donations/?contact_id={ann.id}").text
    # the gifts list's totals of the same person: gross less refunds, failed left out
    assert "$75.00" in gifts and "$10.00" in gifts
    assert ">$65.00</td>" in row
    assert (utcnow() - timedelta(days=3)).strftime("%b") in row  # the latest gift's day
    assert "€12.00" in page.split("Park, Joann</a>", 1)[1].split("</tr>", 1)[0]
    other = app.test_client()
    other.login(make_user(Role.COORDINATOR))
    page = other.get("/contacts/").text
    assert "Given" not in page and "$65.00" not in page and "Last gift" not in page
