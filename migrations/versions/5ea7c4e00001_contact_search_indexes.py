"""Contact search at scale: trigram indexes (pg_trgm) for words and digits anywhere in names,
emails, phones and organisation names, and pattern-ops indexes for emails and organisation
names by their beginning. PostgreSQL only: SQLite scans, which is fine at its sizes.

Revision ID: 5ea7c4e00001
Revises: 9f1a0ee00001
Create Date: 2026-12-04 18:00:00.000000

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '5ea7c4e00001'
down_revision = '9f1a0ee00001'
branch_labels = None
depends_on = None

# (name, table, column, method, operator class)
INDEXES = [
    ("ix_contacts_search_trgm", "contacts", "search_key", "gin", "gin_trgm_ops"),
    ("ix_contacts_phone_trgm", "contacts", "phone", "gin", "gin_trgm_ops"),
    ("ix_contacts_email_key_prefix", "contacts", "email_key", "btree", "varchar_pattern_ops"),
    ("ix_organisations_name_trgm", "organisations", "name_key", "gin", "gin_trgm_ops"),
    ("ix_organisations_name_key_prefix", "organisations", "name_key", "btree",
     "varchar_pattern_ops"),
]


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column, method, opclass in INDEXES:
        op.create_index(name, table, [column], postgresql_using=method,
                        postgresql_ops={column: opclass})


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    # the extension stays: other objects may have come to use it
