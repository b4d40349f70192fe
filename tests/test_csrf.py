"""Every state-changing route refuses a missing or foreign CSRF token and writes nothing."""

import re

from sqlalchemy import select

from crm.auth.roles import Role
from crm.extensions import db as _db
from tests.test_access import access_rules, build_url, records  # noqa: F401


def snapshot() -> dict:
    """Every row of every table (session bookkeeping aside)."""
    rows = {}
    for table in _db.metadata.sorted_tables:
        columns = [c for c in table.c if c.name != "last_seen_at"]
        result = _db.session.execute(select(*columns)).all()
        rows[table.name] = sorted(map(repr, result))
    _db.session.rollback()
    return rows


def post_routes(app):
    return [(rule, access) for rule, access in access_rules(app) if "POST" in rule.methods]


def test_there_are_state_changing_routes(app):
    assert len(post_routes(app)) >= 15


def test_missing_or_foreign_token_is_refused_and_writes_nothing(app, records, make_user):  # noqa: F811
    admin = make_user(Role.ADMIN)
    stranger = app.test_client()
    foreign_token = stranger.csrf_token()
    failures = []
    for rule, _ in post_routes(app):
        url = build_url(rule, records)
        for label, data in (("missing", {}), ("foreign", {"csrf_token": foreign_token}),
                            ("garbage", {"csrf_token": "abc"})):  # fmt: skip
            client = app.test_client()
            client.login_as(admin)
            client.csrf_token()  # the session has a token of its own
            before = snapshot()
            response = client.post(
                url,
                data={
                    **data,
                    "email": "admin1@example.org",
                    "password": "x",
                    "name": "X",
                    "body": "x",
                },
            )
            after = snapshot()
            if response.status_code != 400:
                failures.append(f"{url} with {label} token: {response.status_code}")
            if before != after:
                failures.append(f"{url} with {label} token wrote to the database")
    assert failures == []


def test_refusal_explains_itself(client, make_user):
    client.login_as(make_user(Role.FUNDRAISER))
    response = client.post("/contacts/new", data={"first_name": "A", "last_name": "B"})
    assert response.status_code == 400
    assert re.search(r"expired or did not come from this site", response.text)
