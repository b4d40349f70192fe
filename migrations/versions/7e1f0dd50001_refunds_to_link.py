"""refunds to link and other systems' payment method words

Revision ID: 7e1f0dd50001
Revises: 5ea7c4e00001
Create Date: 2026-12-04 17:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7e1f0dd50001'
down_revision = '5ea7c4e00001'
branch_labels = None
depends_on = None


def upgrade():
    # Refunds of gift files that matched no gift: money returned, listed for staff to link.
    op.create_table('unmatched_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('donor', sa.Text(), nullable=True),
    sa.Column('system', sa.String(length=60), nullable=False),
    sa.Column('transaction_id', sa.String(length=120), nullable=False),
    sa.Column('original_transaction_id', sa.String(length=120), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('linked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('linked_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_unmatched_refunds_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_unmatched_refunds_contact_id_contacts')),
    sa.ForeignKeyConstraint(['linked_by_id'], ['users.id'], name=op.f('fk_unmatched_refunds_linked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['refund_id'], ['refunds.id'], name=op.f('fk_unmatched_refunds_refund_id_refunds'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unmatched_refunds')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_unmatched_refunds_refund_id')),
    sa.UniqueConstraint('system', 'transaction_id', name=op.f('uq_unmatched_refunds_system'))
    )
    with op.batch_alter_table('unmatched_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unmatched_refunds_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unmatched_refunds_contact_id'), ['contact_id'], unique=False)

    # Another system's word for a payment method with no name here (the method is "other").
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method_detail', sa.String(length=100), nullable=True))



def downgrade():
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_column('method_detail')

    with op.batch_alter_table('unmatched_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unmatched_refunds_contact_id'))
        batch_op.drop_index(batch_op.f('ix_unmatched_refunds_batch_id'))

    op.drop_table('unmatched_refunds')
