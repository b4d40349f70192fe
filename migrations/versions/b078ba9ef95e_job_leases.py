"""leases of long jobs (imports, year-end statements), so that a job whose worker died is noticed

Revision ID: b078ba9ef95e
Revises: 6a0ae9291db6
Create Date: 2026-12-04 17:53:15

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b078ba9ef95e'
down_revision = '6a0ae9291db6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_leases',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('renewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_job_leases'))
    )


def downgrade():
    op.drop_table('job_leases')
