"""Signing out happens only by POST and always ends the server-side session; the two-factor
step never signs anyone out."""

import pyotp
from sqlalchemy import func, select

from crm.auth import services
from crm.auth.models import UserSession
from crm.auth.roles import Role
from tests.auth.test_sessions import copy_of_cookie, signed_out
from tests.conftest import PASSWORD


def sessions(db) -> int:
    return db.session.scalar(select(func.count()).select_from(UserSession))


def test_opening_the_two_factor_page_signed_in_keeps_the_sign_in(app, client, make_user, db):
    """A link to /auth/two-factor on another site (an image, a redirect) used to clear the
    cookie of whoever opened it and leave their server-side session alive."""
    client.login(make_user(Role.FUNDRAISER))
    response = client.get("/auth/two-factor")
    assert response.status_code == 302 and "/auth/login" not in response.location
    assert not signed_out(client)
    assert sessions(db) == 1
    assert client.form("/auth/two-factor", {"code": "123456"}).status_code == 302
    assert not signed_out(client)


def test_a_volunteer_is_sent_to_the_portal(client, make_user):
    client.login(make_user(Role.VOLUNTEER))
    assert client.get("/auth/two-factor").location == "/my/volunteering"


def test_sign_out_is_never_a_get(client, make_user, db):
    client.login(make_user(Role.FUNDRAISER))
    assert client.get("/auth/logout").status_code == 405
    assert not signed_out(client) and sessions(db) == 1


def test_sign_out_needs_the_forms_token(client, make_user, db):
    client.login(make_user(Role.FUNDRAISER))
    assert client.post("/auth/logout").status_code == 400
    assert not signed_out(client) and sessions(db) == 1


def test_sign_out_ends_the_server_side_session(app, client, make_user, db):
    client.login(make_user(Role.FUNDRAISER))
    thief = copy_of_cookie(client, app)
    assert client.form("/auth/logout").status_code == 302
    assert sessions(db) == 0
    assert signed_out(client) and signed_out(thief)


def test_an_abandoned_code_step_drops_only_the_pending_sign_in(app, client, make_user, db):
    user = make_user(Role.FUNDRAISER)
    secret = services.new_totp_secret()
    services.enable_totp(user, secret, pyotp.TOTP(secret).now())
    db.session.commit()
    response = client.form("/auth/login", {"email": user.email, "password": PASSWORD})
    assert response.location == "/auth/two-factor"
    with client.session_transaction() as sess:
        sess["two_factor_since"] = 0  # long ago
        sess["keep"] = "yes"
    assert client.get("/auth/two-factor").location == "/auth/login"
    with client.session_transaction() as sess:
        assert "two_factor_user" not in sess and sess["keep"] == "yes"
