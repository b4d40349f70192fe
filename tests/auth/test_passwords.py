import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from crm.auth.models import ActionToken, User
from crm.auth.passwords import PasswordPolicyError, check_password_policy, hash_password
from crm.auth.roles import Role
from crm.modelbase import utcnow
from tests.conftest import PASSWORD

pytestmark = pytest.mark.clock  # the outcome depends on today's date


@pytest.mark.parametrize(
    "password",
    ["eightchr", "correct horse battery staple", "x" * 128, "ü" * 200, "ALLCAPSNOSYMBOLS"],
)
def test_acceptable_passwords(password):
    check_password_policy(password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("seven77", "at least 8"),
        ("x" * 257, "at most 256"),
        ("password", "commonly used"),
        ("12345678", "commonly used"),
        ("iloveyou", "commonly used"),
        ("Baseball1", "commonly used"),
    ],
)
def test_refused_passwords(password, message):
    with pytest.raises(PasswordPolicyError, match=message):
        check_password_policy(password)


def test_own_email_or_name_is_refused():
    with pytest.raises(PasswordPolicyError):
        check_password_policy("ada.lovelace", email="ada.lovelace@example.org")


def test_hashes_are_argon2id_with_the_librarys_recommended_strength(monkeypatch):
    from argon2 import PasswordHasher

    from crm.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", PasswordHasher())  # undo the tests' cheap hasher
    hashed = hash_password("a good long passphrase")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def reset_link(mail, address: str) -> str:
    (message,) = mail.to(address)
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/auth/reset/\S+)", body).group(1)


def test_password_reset_by_single_use_emailed_link(app, client, make_user, mail):
    user = make_user(Role.FUNDRAISER)
    other_device = app.test_client()
    other_device.login(user)
    response = client.form("/auth/forgot", {"email": user.email})
    assert response.status_code == 302
    link = reset_link(mail, user.email)
    assert mail.to(user.email)[0].get_body(("html",)) is not None
    assert client.get(link).status_code == 200
    new = {"password": "a fresh passphrase here", "confirm": "a fresh passphrase here"}
    assert client.form(link, new).status_code == 302
    client.login(user, "a fresh passphrase here")
    assert other_device.get("/account").status_code == 302  # signed out everywhere
    reused = app.test_client().form(link, new)
    assert reused.status_code == 400
    assert "already been used" in reused.text


def test_reset_link_expires(client, make_user, mail, db):
    user = make_user(Role.FUNDRAISER)
    client.form("/auth/forgot", {"email": user.email})
    link = reset_link(mail, user.email)
    token = db.session.scalars(select(ActionToken)).one()
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    response = client.form(
        link, {"password": "fresh passphrase 1", "confirm": "fresh passphrase 1"}
    )
    assert response.status_code == 400
    assert "expired" in response.text
    client.login(user, PASSWORD)  # the old password still works


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(client, mail):
    response = client.form("/auth/forgot", {"email": "nobody@example.org"}, follow_redirects=True)
    assert "If an account uses that address" in response.text
    assert mail.messages == []


def test_a_new_reset_link_replaces_the_old_one(client, make_user, mail):
    user = make_user(Role.FUNDRAISER)
    client.form("/auth/forgot", {"email": user.email})
    first = reset_link(mail, user.email)
    mail.clear()
    client.form("/auth/forgot", {"email": user.email})
    assert client.get(first).status_code == 400


def test_reset_refuses_a_weak_password_and_keeps_the_link(client, make_user, mail):
    user = make_user(Role.FUNDRAISER)
    client.form("/auth/forgot", {"email": user.email})
    link = reset_link(mail, user.email)
    weak = client.form(link, {"password": "password", "confirm": "password"})
    assert weak.status_code == 200 and "commonly used" in weak.text
    mismatch = client.form(link, {"password": "one good phrase", "confirm": "another phrase"})
    assert "not the same" in mismatch.text
    ok = client.form(link, {"password": "one good phrase", "confirm": "one good phrase"})
    assert ok.status_code == 302


def test_admin_invites_a_user_who_sets_a_password(app, client, make_user, mail, db):
    client.login(make_user(Role.ADMIN, name="Ada Admin"))
    response = client.form(
        "/admin/users/invite",
        {"name": "Nia New", "email": "Nia@Example.org", "role": "coordinator"},
    )
    assert response.status_code == 302
    user = db.session.scalars(select(User).where(User.email == "nia@example.org")).one()
    assert user.role == Role.COORDINATOR and user.password_hash is None
    (message,) = mail.to("nia@example.org")
    body = message.get_body(("plain",)).get_content()
    assert "Ada Admin has invited you" in body
    link = re.search(r"http://localhost(/auth/invite/\S+)", body).group(1)
    newcomer = app.test_client()
    refused = newcomer.form("/auth/login", {"email": "nia@example.org", "password": "anything1"})
    assert "not correct" in refused.text
    page = newcomer.get(link)
    assert "Welcome, Nia New" in page.text
    newcomer.form(link, {"password": "nia's own passphrase", "confirm": "nia's own passphrase"})
    newcomer.login(user, "nia's own passphrase")
    assert newcomer.get(link).status_code == 400


def test_invite_refuses_an_existing_email(client, make_user):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    response = client.form(
        "/admin/users/invite", {"name": "Dup", "email": admin.email, "role": "volunteer"}
    )
    assert response.status_code == 200
    assert "already exists" in response.text


def test_the_last_admin_cannot_be_demoted_or_deactivated(client, make_user, db):
    admin = make_user(Role.ADMIN)
    client.login(admin)
    response = client.form(f"/admin/users/{admin.id}", {"name": admin.name, "role": "fundraiser"})
    assert "last active admin" in response.text
    response = client.form(f"/admin/users/{admin.id}/active", follow_redirects=True)
    assert "cannot deactivate your own account" in response.text
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN and admin.active


def test_unknown_user_ids_are_404(client, make_user):
    client.login(make_user(Role.ADMIN))
    assert client.get("/admin/users/9999").status_code == 404
    assert client.form("/admin/users/9999/active").status_code == 404
