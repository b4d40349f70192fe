"""payouts that failed: when Stripe said so, and its reason

Revision ID: 9a7f0e1d0001
Revises: 5f1ed9e70001
Create Date: 2026-12-05 09:00:00

"""
from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '9a7f0e1d0001'
down_revision = '5f1ed9e70001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stripe_payouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('failure', sa.String(length=500), nullable=True))


def downgrade():
    with op.batch_alter_table('stripe_payouts', schema=None) as batch_op:
        batch_op.drop_column('failure')
        batch_op.drop_column('failed_at')
