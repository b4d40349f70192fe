"""the donor record: households and relationships, soft credits, employers' matches, thanks,
pledges and tasks; affiliations say what the person is there; the outbox is read by address

Revision ID: d0e0e1ec0001
Revises: 7e1f0dd50001
Create Date: 2026-12-04 17:45:34.092635

"""
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd0e0e1ec0001'
down_revision = '7e1f0dd50001'
branch_labels = None
depends_on = None


@contextmanager
def _sqlite_references_off():
    """SQLite adds a foreign key by copying the table, dropping it and renaming the copy.
    With references enforced, dropping `contacts` is refused while gifts point at it (or
    deletes what cascades from it), so they are off meanwhile, and checked after."""
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        yield
        return
    raw = bind.connection.dbapi_connection
    if raw.in_transaction:  # the pragma does nothing inside a transaction: end the one open
        raw.commit()  # (earlier revisions' work, complete)
    bind.exec_driver_sql('PRAGMA foreign_keys=OFF')
    try:
        yield
        if raw.in_transaction:  # the copy's INSERT opened one: end it, or the pragma below
            raw.commit()  # would do nothing and the pooled connection would stay unchecked
    finally:
        if raw.in_transaction:
            raw.rollback()
        bind.exec_driver_sql('PRAGMA foreign_keys=ON')
    if bind.exec_driver_sql('PRAGMA foreign_keys').scalar() != 1:
        raise RuntimeError('could not turn SQLite foreign keys back on')
    broken = bind.exec_driver_sql('PRAGMA foreign_key_check').fetchall()
    if broken:
        raise RuntimeError(f'references broken by the migration: {broken[:5]}')


def upgrade():
    op.create_table('households',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('salutation', sa.String(length=200), nullable=True),
    sa.Column('address_line1', sa.String(length=200), nullable=True),
    sa.Column('address_line2', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('region', sa.String(length=100), nullable=True),
    sa.Column('postcode', sa.String(length=20), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_households'))
    )
    op.create_table('contact_relationships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('spouse', 'partner', 'parent', 'grandparent', 'sibling', 'friend', 'colleague', 'introduced', 'other', name='relationshipkind', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_relationships_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['related_id'], ['contacts.id'], name=op.f('fk_contact_relationships_related_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_relationships')),
    sa.UniqueConstraint('contact_id', 'related_id', 'kind', name=op.f('uq_contact_relationships_contact_id'))
    )
    with op.batch_alter_table('contact_relationships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_relationships_related_id'), ['related_id'], unique=False)

    op.create_table('pledges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=True),
    sa.Column('fund_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('pledged_on', sa.Date(), nullable=False),
    sa.Column('frequency', sa.Enum('once', 'monthly', 'quarterly', 'yearly', name='pledgefrequency', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('open', 'fulfilled', 'written_off', name='pledgestatus', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('written_off_cents', sa.Integer(), nullable=False),
    sa.Column('received_cents', sa.Integer(), nullable=False),
    sa.Column('next_due_on', sa.Date(), nullable=True),
    sa.Column('write_off_reason', sa.String(length=500), nullable=True),
    sa.Column('written_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('written_off_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_pledges_amount_positive')),
    sa.CheckConstraint('written_off_cents >= 0', name=op.f('ck_pledges_write_off_not_negative')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_pledges_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_pledges_contact_id_contacts')),
    sa.ForeignKeyConstraint(['fund_id'], ['funds.id'], name=op.f('fk_pledges_fund_id_funds')),
    sa.ForeignKeyConstraint(['written_off_by_id'], ['users.id'], name=op.f('fk_pledges_written_off_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledges'))
    )
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledges_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_pledges_status_campaign', ['status', 'campaign_id'], unique=False)
        batch_op.create_index('ix_pledges_status_next_due', ['status', 'next_due_on'], unique=False)

    op.create_table('pledge_instalments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_pledge_instalments_amount_positive')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_pledge_instalments_pledge_id_pledges'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_instalments')),
    sa.UniqueConstraint('pledge_id', 'due_on', name=op.f('uq_pledge_instalments_pledge_id'))
    )
    with op.batch_alter_table('pledge_instalments', schema=None) as batch_op:
        batch_op.create_index('ix_pledge_instalments_due', ['due_on'], unique=False)

    op.create_table('gift_acknowledgements',
    sa.Column('donation_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('status', sa.Enum('pending', 'thanked', 'not_needed', name='ackstatus', native_enum=False, length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.Enum('letter', 'call', 'email', 'in_person', name='ackmethod', native_enum=False, length=20), nullable=True),
    sa.Column('thanked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('thanked_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_gift_acknowledgements_donation_id_donations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thanked_by_id'], ['users.id'], name=op.f('fk_gift_acknowledgements_thanked_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('donation_id', name=op.f('pk_gift_acknowledgements'))
    )
    with op.batch_alter_table('gift_acknowledgements', schema=None) as batch_op:
        batch_op.create_index('ix_gift_acknowledgements_status', ['status', 'received_at'], unique=False)

    op.create_table('matching_gifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('original_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_matching_gifts_donation_id_donations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_matching_gifts_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['original_id'], ['donations.id'], name=op.f('fk_matching_gifts_original_id_donations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matching_gifts')),
    sa.UniqueConstraint('donation_id', name=op.f('uq_matching_gifts_donation_id'))
    )
    with op.batch_alter_table('matching_gifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_matching_gifts_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_matching_gifts_original_id'), ['original_id'], unique=False)

    op.create_table('pledge_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pledge_id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_pledge_payments_amount_positive')),
    sa.ForeignKeyConstraint(['applied_by_id'], ['users.id'], name=op.f('fk_pledge_payments_applied_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_pledge_payments_donation_id_donations')),
    sa.ForeignKeyConstraint(['pledge_id'], ['pledges.id'], name=op.f('fk_pledge_payments_pledge_id_pledges')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pledge_payments')),
    sa.UniqueConstraint('donation_id', name=op.f('uq_pledge_payments_donation_id'))
    )
    with op.batch_alter_table('pledge_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pledge_payments_pledge_id'), ['pledge_id'], unique=False)

    op.create_table('soft_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('donation_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('role', sa.Enum('household', 'solicitor', 'matched', 'tribute', 'other', name='softcreditrole', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_soft_credits_amount_positive')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_soft_credits_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_soft_credits_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_soft_credits_donation_id_donations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_soft_credits')),
    sa.UniqueConstraint('donation_id', 'contact_id', name=op.f('uq_soft_credits_donation_id'))
    )
    with op.batch_alter_table('soft_credits', schema=None) as batch_op:
        batch_op.create_index('ix_soft_credits_contact', ['contact_id', 'donation_id'], unique=False)

    op.create_table('tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('open', 'done', 'cancelled', name='taskstatus', native_enum=False, length=20), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team', sa.Enum('admin', 'fundraiser', 'coordinator', 'volunteer', name='role', native_enum=False, length=20), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('donation_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('training_request_id', sa.Integer(), nullable=True),
    sa.Column('auto_key', sa.String(length=80), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_tasks_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_tasks_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_tasks_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['donation_id'], ['donations.id'], name=op.f('fk_tasks_donation_id_donations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['done_by_id'], ['users.id'], name=op.f('fk_tasks_done_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_tasks_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['training_request_id'], ['training_requests.id'], name=op.f('fk_tasks_training_request_id_training_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
    sa.UniqueConstraint('auto_key', name=op.f('uq_tasks_auto_key'))
    )
    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.create_index('ix_tasks_assignee_open', ['assignee_id', 'status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_donation_id'), ['donation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_tasks_team_open', ['team', 'status', 'due_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_tasks_training_request_id'), ['training_request_id'], unique=False)

    with op.batch_alter_table('affiliations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.Enum('employee', 'board_member', 'volunteer', 'member', 'other', name='affiliationkind', native_enum=False, length=20), nullable=True))

    with _sqlite_references_off():
        with op.batch_alter_table('contacts', schema=None) as batch_op:
            batch_op.add_column(sa.Column('household_id', sa.Integer(), nullable=True))
            batch_op.create_foreign_key(batch_op.f('fk_contacts_household_id_households'),
                                        'households', ['household_id'], ['id'], ondelete='SET NULL')
    op.create_index('ix_contacts_household_id', 'contacts', ['household_id'], unique=False)

    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.create_index('ix_outbound_emails_to', ['to_address', 'created_at'], unique=False)

    # a donor's history, newest first, without walking every gift's date
    op.create_index('ix_donations_contact_received', 'donations', ['contact_id', 'received_at'],
                    unique=False)



def downgrade():
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_index('ix_outbound_emails_to')

    op.drop_index('ix_donations_contact_received', table_name='donations')

    op.drop_index('ix_contacts_household_id', table_name='contacts')
    with _sqlite_references_off():
        with op.batch_alter_table('contacts', schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f('fk_contacts_household_id_households'),
                                     type_='foreignkey')
            batch_op.drop_column('household_id')

    with op.batch_alter_table('affiliations', schema=None) as batch_op:
        batch_op.drop_column('kind')

    with op.batch_alter_table('tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tasks_training_request_id'))
        batch_op.drop_index('ix_tasks_team_open')
        batch_op.drop_index(batch_op.f('ix_tasks_event_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_donation_id'))
        batch_op.drop_index(batch_op.f('ix_tasks_contact_id'))
        batch_op.drop_index('ix_tasks_assignee_open')

    op.drop_table('tasks')
    with op.batch_alter_table('soft_credits', schema=None) as batch_op:
        batch_op.drop_index('ix_soft_credits_contact')

    op.drop_table('soft_credits')
    with op.batch_alter_table('pledge_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pledge_payments_pledge_id'))

    op.drop_table('pledge_payments')
    with op.batch_alter_table('matching_gifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matching_gifts_original_id'))
        batch_op.drop_index(batch_op.f('ix_matching_gifts_organisation_id'))

    op.drop_table('matching_gifts')
    with op.batch_alter_table('gift_acknowledgements', schema=None) as batch_op:
        batch_op.drop_index('ix_gift_acknowledgements_status')

    op.drop_table('gift_acknowledgements')
    with op.batch_alter_table('pledge_instalments', schema=None) as batch_op:
        batch_op.drop_index('ix_pledge_instalments_due')

    op.drop_table('pledge_instalments')
    with op.batch_alter_table('pledges', schema=None) as batch_op:
        batch_op.drop_index('ix_pledges_status_next_due')
        batch_op.drop_index('ix_pledges_status_campaign')
        batch_op.drop_index(batch_op.f('ix_pledges_contact_id'))

    op.drop_table('pledges')
    with op.batch_alter_table('contact_relationships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_relationships_related_id'))

    op.drop_table('contact_relationships')
    op.drop_table('households')
