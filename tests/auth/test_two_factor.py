import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from crm.auth.models import User
from crm.auth.roles import Role
from crm.modelbase import utcnow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.clock  # the outcome depends on today's date


def enrol(client) -> str:
    page = client.get("/account/two-factor")
    assert page.status_code == 200
    assert "<svg" in page.text  # the QR code, drawn inline
    secret = re.search(r'<code class="user-select-all">([A-Z2-7]+)</code>', page.text).group(1)
    response = client.form("/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    return secret


def sign_in_with_password(app, user):
    other = app.test_client()
    response = other.form("/auth/login", {"email": user.email, "password": PASSWORD})
    return other, response


def test_totp_is_asked_after_the_password(app, client, make_user, db):
    user = make_user(Role.FUNDRAISER)
    client.login(user)
    secret = enrol(client)
    device, response = sign_in_with_password(app, user)
    assert response.location == "/auth/two-factor"
    assert device.get("/account").status_code == 302  # not signed in yet
    wrong = device.form("/auth/two-factor", {"code": "000000"})
    assert "not right" in wrong.text
    # a phone clock one step ahead is tolerated (the current step was used by enrolment)
    ahead = pyotp.TOTP(secret).at(utcnow() + timedelta(seconds=30))
    assert device.form("/auth/two-factor", {"code": ahead}).status_code == 302
    assert device.get("/account").status_code == 200


def test_a_code_cannot_be_used_twice(app, client, make_user):
    user = make_user(Role.FUNDRAISER)
    client.login(user)
    secret = enrol(client)
    code = pyotp.TOTP(secret).now()  # the same code enrolment used
    device, _ = sign_in_with_password(app, user)
    replay = device.form("/auth/two-factor", {"code": code})
    assert replay.status_code == 200
    assert "already used" in replay.text


def test_the_code_step_times_out(app, client, make_user):
    user = make_user(Role.FUNDRAISER)
    client.login(user)
    secret = enrol(client)
    device, _ = sign_in_with_password(app, user)
    with device.session_transaction() as sess:
        sess["two_factor_since"] -= 301
    response = device.form("/auth/two-factor", {"code": pyotp.TOTP(secret).now()})
    assert response.location == "/auth/login"


def test_admins_must_enrol_when_required(app, client, make_user, monkeypatch, db):
    monkeypatch.setitem(app.config, "REQUIRE_ADMIN_2FA", True)
    admin = make_user(Role.ADMIN)
    client.login(admin)
    assert client.get("/contacts/").location == "/account/two-factor"
    assert client.get("/admin/users").location == "/account/two-factor"
    enrol(client)
    assert client.get("/contacts/").status_code == 200
    refused = client.form("/account/two-factor/disable", {"password": PASSWORD},
                          follow_redirects=True)  # fmt: skip
    assert "must keep two-factor" in refused.text
    assert db.session.scalars(select(User.totp_secret).where(User.id == admin.id)).one()


def test_staff_can_turn_it_off_with_their_password(client, make_user, db):
    user = make_user(Role.COORDINATOR)
    client.login(user)
    enrol(client)
    client.form("/account/two-factor/disable", {"password": "wrong"})
    db.session.refresh(user)
    assert user.two_factor_enabled
    client.form("/account/two-factor/disable", {"password": PASSWORD})
    db.session.refresh(user)
    assert not user.two_factor_enabled


def test_wrong_enrolment_code_enables_nothing(client, make_user, db):
    user = make_user(Role.COORDINATOR)
    client.login(user)
    client.get("/account/two-factor")
    response = client.form("/account/two-factor", {"code": "123456"})
    assert "not right" in response.text
    db.session.refresh(user)
    assert not user.two_factor_enabled
