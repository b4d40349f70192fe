"""The segment builder and a segment's pages, as each role sees them."""

import csv
import io

from sqlalchemy import select

from crm.contacts.models import Tag
from crm.extensions import db as _db
from crm.outreach.models import Segment


def _tag_id(name="parents") -> str:
    return str(_db.session.scalar(select(Tag.id).where(Tag.name == name)))


def _form(name="Parents", **rows) -> dict:
    """The builder's fields for one group: rows={"0": {"kind": ..., "value": ...}}."""
    data = {"name": name, "match": "all", "groups-0-match": "all"}
    for n, row in rows.items():
        for key, value in row.items():
            data[f"groups-0-conditions-{n}-{key}"] = value
    return data


def test_the_builder_adds_rows_draws_the_right_fields_and_counts(signed_in, make_contact):
    make_contact(first_name="Ada", tags=["parents"])
    make_contact(first_name="Bob", tags=["teachers"])
    client, _ = signed_in("fundraiser")
    page = client.get("/outreach/segments/new")
    assert page.status_code == 200 and "LYBUNT" in page.text
    added = client.form("/outreach/segments/new", {**_form(**{"0": {"kind": "tag"}}),
                                                    "action": "add:0"})  # fmt: skip
    assert 'name="groups-0-conditions-1-kind"' in added.text
    assert ">parents</option>" in added.text  # the tag condition's value is a list of tags
    counted = client.form("/outreach/segments/new", {
        **_form(**{"0": {"kind": "tag", "value": _tag_id()}}), "action": "refresh"})  # fmt: skip
    assert "<strong>1</strong> contact match now" in counted.text
    live = client.get("/outreach/segments/count", query_string={
        "groups-0-match": "any", "groups-0-conditions-0-kind": "tag",
        "groups-0-conditions-0-value": _tag_id(), "groups-0-conditions-1-kind": "tag",
        "groups-0-conditions-1-value": _tag_id("teachers")})  # fmt: skip
    assert live.json == {"count": 2, "problem": None}
    bad = client.get("/outreach/segments/count", query_string={
        "groups-0-conditions-0-kind": "total_given"})  # fmt: skip
    assert "give at least or at most" in bad.json["problem"]


def test_saving_a_segment_then_its_list_and_csv(signed_in, make_contact):
    make_contact(first_name="Ada", last_name="=HYPERLINK(1)", email="ada@example.org",
                 tags=["parents"])  # fmt: skip
    make_contact(first_name="Bob", tags=["teachers"])
    client, _ = signed_in("coordinator")
    response = client.form("/outreach/segments/new", {
        **_form(**{"0": {"kind": "tag", "value": _tag_id()}}), "action": "save"})  # fmt: skip
    assert response.status_code == 302
    segment = _db.session.scalars(select(Segment)).one()
    assert segment.uses_money is False
    page = client.get(f"/outreach/segments/{segment.id}")
    assert "<strong>1</strong> contact match now" in page.text and "ada@example.org" in page.text
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(f"/outreach/segments/{segment.id}/contacts.csv").text.lstrip("\ufeff")
            )
        )
    )
    assert [(r["first_name"], r["last_name"]) for r in rows] == [("Ada", "'=HYPERLINK(1)")]


def test_a_segment_needs_a_condition_and_good_values(signed_in):
    client, _ = signed_in("fundraiser")
    empty = client.form("/outreach/segments/new", {**_form(), "action": "save"})
    assert empty.status_code == 422 and "Add at least one condition" in empty.text
    bad = client.form(
        "/outreach/segments/new",
        {**_form(**{"0": {"kind": "gave", "date_from": "yesterday"}}), "action": "save"},
    )
    assert bad.status_code == 422 and "From is not a date" in bad.text
    assert _db.session.scalars(select(Segment)).all() == []


def test_coordinators_never_see_or_use_segments_about_money(signed_in, make_user, make_segment):
    donors = make_segment({"kind": "gave"}, name="Donors")
    parents = make_segment({"kind": "city", "value": "Springfield"}, name="Springfield")
    client, _ = signed_in("coordinator")
    listing = client.get("/outreach/segments/")
    assert "Springfield" in listing.text and "Donors" not in listing.text
    for url in (f"/outreach/segments/{donors.id}", f"/outreach/segments/{donors.id}/contacts.csv",
                f"/outreach/segments/{donors.id}/edit"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    assert client.form(f"/outreach/segments/{donors.id}/delete").status_code == 403
    builder = client.get("/outreach/segments/new")
    assert "LYBUNT" not in builder.text and "Gave in total" not in builder.text
    sneaky = client.form("/outreach/segments/new", {
        **_form(**{"0": {"kind": "lybunt"}}), "action": "save"})  # fmt: skip
    assert sneaky.status_code == 422 and "cannot filter by giving" in sneaky.text
    counted = client.get("/outreach/segments/count", query_string={
        "groups-0-conditions-0-kind": "gave"})  # fmt: skip
    assert counted.json["count"] is None and "cannot filter by giving" in counted.json["problem"]
    assert client.get(f"/outreach/segments/{parents.id}").status_code == 200


def test_deleting_a_segment(signed_in, make_segment):
    segment_id = make_segment({"kind": "city", "value": "Springfield"}).id
    client, _ = signed_in("fundraiser")
    assert client.form(f"/outreach/segments/{segment_id}/delete").status_code == 302
    assert _db.session.scalars(select(Segment)).all() == []
