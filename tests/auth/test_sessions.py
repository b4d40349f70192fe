"""Sign-in, sign-out and sessions that really end."""

import logging

import pytest
from sqlalchemy import func, select

from crm.audit.models import AuditEvent
from crm.auth.models import UserSession
from crm.auth.roles import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def copy_of_cookie(client, app):
    cookie = client.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    return thief


def signed_out(client) -> bool:
    response = client.get("/account")
    return response.status_code == 302 and "/auth/login" in response.location


def test_sign_in_with_the_form_and_reach_a_page(client, make_user):
    user = make_user(Role.FUNDRAISER, name="Farah Fundraiser")
    response = client.form("/auth/login", {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302
    assert "Farah Fundraiser" in client.get("/account").text


def test_wrong_password_is_refused_with_a_message(client, make_user, db):
    user = make_user(Role.FUNDRAISER)
    response = client.form("/auth/login", {"email": user.email, "password": "wrong password"})
    assert response.status_code == 200
    assert "The email or password is not correct." in response.text
    assert signed_out(client)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_sign_in_creates_a_new_session(client, make_user):
    user = make_user(Role.FUNDRAISER)
    client.csrf_token()
    before = client.get_cookie("session").value
    client.login(user)
    assert client.get_cookie("session").value != before
    with client.session_transaction() as sess:
        assert "sid" in sess


def test_next_is_followed_only_within_the_site(client, make_user):
    user = make_user(Role.FUNDRAISER)
    data = {"email": user.email, "password": PASSWORD}
    ok = client.form("/auth/login?next=/contacts/%3Fq%3Dx", data)
    assert ok.location == "/contacts/?q=x"
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        other = client.application.test_client()
        response = other.form(f"/auth/login?next={target}", data)
        assert response.location == "/", target


def test_cookie_copied_before_sign_out_no_longer_works(app, client, make_user):
    client.login(make_user(Role.FUNDRAISER))
    thief = copy_of_cookie(client, app)
    assert not signed_out(thief)
    assert client.form("/auth/logout").status_code == 302
    assert signed_out(thief)
    assert signed_out(client)


def test_password_change_ends_every_other_session(app, client, make_user):
    user = make_user(Role.COORDINATOR)
    client.login(user)
    laptop = app.test_client()
    laptop.login(user)
    copied = copy_of_cookie(client, app)
    response = client.form(
        "/account/password",
        {"current_password": PASSWORD, "password": "a brand new passphrase",
         "confirm": "a brand new passphrase"},
    )  # fmt: skip
    assert response.status_code == 302
    assert signed_out(laptop)
    assert signed_out(copied)
    assert not signed_out(client)  # the one who changed it stays in, on a new session
    fresh = app.test_client()
    fresh.login(user, "a brand new passphrase")


def test_password_change_needs_the_current_password(client, make_user):
    client.login(make_user(Role.COORDINATOR))
    response = client.form(
        "/account/password",
        {"current_password": "nope", "password": "another good phrase",
         "confirm": "another good phrase"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "current password is not correct" in response.text


def test_deactivation_ends_the_users_sessions(app, client, make_user):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FUNDRAISER)
    victim = app.test_client()
    victim.login(user)
    copied = copy_of_cookie(victim, app)
    client.login(admin)
    assert client.form(f"/admin/users/{user.id}/active").status_code == 302
    assert signed_out(victim)
    assert signed_out(copied)
    response = app.test_client().form("/auth/login", {"email": user.email, "password": PASSWORD})
    assert "not correct" in response.text  # a deactivated account cannot sign in


def test_role_change_applies_at_once(app, client, make_user):
    admin = make_user(Role.ADMIN)
    user = make_user(Role.FUNDRAISER)
    other = app.test_client()
    other.login(user)
    client.login(admin)
    client.form(f"/admin/users/{user.id}", {"name": user.name, "role": "volunteer"})
    assert signed_out(other)
    other.login(user)
    assert other.get("/contacts/").status_code == 403


def test_end_other_sessions(app, client, make_user):
    user = make_user(Role.FUNDRAISER)
    client.login(user)
    phone = app.test_client()
    phone.login(user)
    client.form("/account/sessions/end-others")
    assert signed_out(phone)
    assert not signed_out(client)


def test_idle_session_expires(app, client, make_user, db):
    from datetime import timedelta

    from crm.modelbase import utcnow

    client.login(make_user(Role.FUNDRAISER))
    record = db.session.scalars(select(UserSession)).one()
    record.last_seen_at = utcnow() - timedelta(seconds=app.config["SESSION_IDLE_TIMEOUT"] + 5)
    db.session.commit()
    assert signed_out(client)
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0


def test_every_sign_in_is_logged_without_the_password(client, make_user, db, caplog):
    user = make_user(Role.FUNDRAISER)
    with caplog.at_level(logging.INFO, logger="crm.auth"):
        client.form("/auth/login", {"email": user.email, "password": "secret-wrong-1"})
        client.form("/auth/login", {"email": "nobody@example.org", "password": "secret-wrong-2"})
        client.login(user)
    lines = [r.getMessage() for r in caplog.records]
    assert sum("sign-in failure" in line for line in lines) == 2
    assert sum("sign-in success" in line for line in lines) == 1
    assert not any("secret-wrong" in line or PASSWORD in line for line in lines)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions.count("sign_in_failed") == 2 and actions.count("sign_in") == 1
    stored = " ".join(str(e.changes) for e in db.session.scalars(select(AuditEvent)))
    assert "secret-wrong" not in stored and PASSWORD not in stored


def test_sign_in_is_rate_limited(app, client, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "SIGN_IN_RATE_LIMIT", "3 per minute")
    user = make_user(Role.FUNDRAISER)
    codes = [
        client.form("/auth/login", {"email": user.email, "password": "wrong"}).status_code
        for _ in range(4)
    ]
    assert codes == [200, 200, 200, 429]
    # the right password does not get through either until the window passes
    response = client.form("/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many attempts" in response.text


@pytest.mark.parametrize("email", ["", "not-an-email" * 30])
def test_sign_in_form_errors_do_not_crash(client, email):
    response = client.form("/auth/login", {"email": email, "password": ""})
    assert response.status_code == 200
    assert "This field is required." in response.text or "Field cannot be longer" in response.text
