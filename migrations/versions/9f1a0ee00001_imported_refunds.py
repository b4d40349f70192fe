"""imported refunds, and payment methods for gifts imported from online platforms

Revision ID: 9f1a0ee00001
Revises: c0a7ac700001
Create Date: 2026-12-02 16:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '9f1a0ee00001'
down_revision = 'c0a7ac700001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('imported_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=60), nullable=False),
    sa.Column('transaction_id', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_imported_refunds_refund_id_refunds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imported_refunds')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_imported_refunds_refund_id')),
    sa.UniqueConstraint('system', 'transaction_id', name=op.f('uq_imported_refunds_system'))
    )
    # PaymentMethod gained "online" and "other": the column is text without a database
    # constraint (a non-native enum), so the new values need no change here.


def downgrade():
    op.drop_table('imported_refunds')
