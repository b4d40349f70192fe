"""Migrations: empty database -> head on both engines, in sync with the models, and back."""

import shutil
import tempfile
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, text

from config import TestingConfig
from crm import create_app
from crm.extensions import db
from crm.modelbase import include_object
from tests.conftest import PG_ADMIN_URL


@pytest.fixture
def empty_database_url(database_url):
    if database_url.startswith("sqlite"):
        folder = tempfile.mkdtemp(prefix="crm-migrations-")
        yield f"sqlite:///{folder}/empty.sqlite3"
        shutil.rmtree(folder, ignore_errors=True)
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"crm_migrations_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_from_empty_matches_models_and_downgrades_to_base(empty_database_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = empty_database_url

    app = create_app(Config)
    with app.app_context():
        upgrade()
        model_tables = set(db.metadata.tables)
        assert model_tables <= set(inspect(db.engine).get_table_names())
        with db.engine.connect() as conn:
            opts = {"include_object": include_object(conn.dialect.name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)
        assert diff == []
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()  # and up again
        assert model_tables <= set(inspect(db.engine).get_table_names())
        db.engine.dispose()
