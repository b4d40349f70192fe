from sqlalchemy import func, select

from crm.auth.models import User
from crm.auth.roles import Role


def test_create_user_with_password_from_stdin(runner, db):
    result = runner.invoke(
        args=["crm", "create-user", "--email", "Cory@Example.org", "--name", "Cory",
              "--role", "coordinator", "--password-stdin"],
        input="a long enough passphrase\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created coordinator cory@example.org" in result.output
    user = db.session.scalars(select(User)).one()
    assert user.role == Role.COORDINATOR and user.is_active


def test_create_user_with_password_from_environment(runner, db, monkeypatch):
    monkeypatch.setenv("CRM_USER_PASSWORD", "another fine passphrase")
    result = runner.invoke(
        args=["crm", "create-user", "--email", "a@example.org", "--name", "A", "--role", "admin"]
    )
    assert result.exit_code == 0, result.output


def test_create_user_refuses_weak_password_and_writes_nothing(runner, db):
    result = runner.invoke(
        args=["crm", "create-user", "--email", "a@example.org", "--name", "A", "--role", "admin",
              "--password-stdin"],
        input="password\n",
    )  # fmt: skip
    assert result.exit_code != 0
    assert "commonly used" in result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_without_password_explains(runner, db, monkeypatch):
    monkeypatch.delenv("CRM_USER_PASSWORD", raising=False)
    result = runner.invoke(
        args=["crm", "create-user", "--email", "a@example.org", "--name", "A", "--role", "admin"]
    )
    assert result.exit_code != 0
    assert "CRM_USER_PASSWORD" in result.output


def test_create_user_refuses_a_duplicate(runner, make_user):
    user = make_user()
    result = runner.invoke(
        args=["crm", "create-user", "--email", user.email, "--name", "B", "--role", "admin",
              "--password-stdin"],
        input="a long enough passphrase\n",
    )  # fmt: skip
    assert result.exit_code != 0 and "already exists" in result.output


def test_demo_data_is_idempotent(runner, db):
    first = runner.invoke(args=["crm", "demo-data"])
    assert first.exit_code == 0, first.output
    assert "admin@example.org" in first.output
    second = runner.invoke(args=["crm", "demo-data"])
    assert second.exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 4
