"""contacts' birth dates and the import's conflicts

Revision ID: c0a7ac700001
Revises: ca0ce1ed0001
Create Date: 2026-12-02 16:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c0a7ac700001'
down_revision = 'ca0ce1ed0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))

    op.create_table(
        'import_conflicts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=40), nullable=False),
        sa.Column('kept', sa.Text(), nullable=False),
        sa.Column('in_file', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('import_conflicts', schema=None) as batch_op:
        batch_op.create_index('ix_import_conflicts_batch', ['batch_id', 'line'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_import_conflicts_contact_id'), ['contact_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('import_conflicts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_conflicts_contact_id'))
        batch_op.drop_index('ix_import_conflicts_batch')
    op.drop_table('import_conflicts')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('birth_date')
