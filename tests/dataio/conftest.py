"""Helpers for the import, export and erasure tests."""

import io

import pytest
from sqlalchemy import select

from crm.dataio import batches
from crm.dataio.models import ImportBatch, ImportKind
from crm.extensions import db as _db
from tests.donations.conftest import make_campaign, make_donation, make_fund  # noqa: F401

BOOKKEEPING = {"import_batches", "import_changes", "import_rejections", "audit_events",
               "user_sessions"}  # fmt: skip


def dump(skip=BOOKKEEPING) -> dict:
    """Every row of every table, as text: a full dump to compare before and after."""
    rows = {}
    for table in _db.metadata.sorted_tables:
        if table.name in skip:
            continue
        result = _db.session.execute(select(table)).all()
        rows[table.name] = sorted(map(repr, result))
    _db.session.rollback()
    return rows


@pytest.fixture
def upload(db):
    """Store a CSV as an import batch: upload(b"...", kind="contacts", **options)."""

    def factory(content: bytes, kind="contacts", mapping=None, encoding="auto", delimiter="auto",
                **options):  # fmt: skip
        batch = batches.create_batch(
            ImportKind(kind), io.BytesIO(content), "file.csv", encoding, delimiter, None
        )
        if mapping is not None:
            batch.mapping = {str(batch.headers.index(h)): f for h, f in mapping.items()}
        batch.options = options
        db.session.commit()
        return batch

    return factory


@pytest.fixture
def run_import(db):
    def run(batch: ImportBatch, dry_run: bool = False) -> ImportBatch:
        batches.start(batch, dry_run)
        db.session.commit()
        batches.run(batch.id, dry_run)
        db.session.expire_all()
        return db.session.get(ImportBatch, batch.id)

    return run


@pytest.fixture
def known(db, make_contact, make_campaign, make_fund):  # noqa: F811
    """What the CRM holds before a corpus gift file is imported: a donor by email, one by
    phone only, the campaign and the fund most files name."""
    ann = make_contact(first_name="Ann", last_name="Lee", email="ann.lee@example.org")
    luis = make_contact(first_name="Luis", last_name="Ortega", phone="+13125550142")
    general = make_fund(name="General Fund")
    make_campaign(name="Spring Gala")
    db.session.commit()
    return {"ann": ann.id, "luis": luis.id, "general": general.id}
