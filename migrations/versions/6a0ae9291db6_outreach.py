"""outreach: segments, mailings and their recipients and events, email topics and
suppressions, the outreach settings; an index that lets segments read gifts by date

Revision ID: 6a0ae9291db6
Revises: d0e0e1ec0001
Create Date: 2026-12-04 18:32:46.361413

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a0ae9291db6'
down_revision = 'd0e0e1ec0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('email_suppressions',
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('reason', sa.Enum('bounced', 'complained', name='suppressionreason', native_enum=False, length=20), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email_key', name=op.f('pk_email_suppressions'))
    )
    op.create_table('outreach_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('header', sa.Text(), nullable=True),
    sa.Column('footer', sa.Text(), nullable=True),
    sa.Column('postal_address', sa.Text(), nullable=True),
    sa.Column('from_name', sa.String(length=100), nullable=True),
    sa.Column('reply_to', sa.String(length=254), nullable=True),
    sa.Column('track_opens', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outreach_settings'))
    )
    op.create_table('email_subscriptions',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('topic', sa.Enum('newsletter', 'appeals', 'events', 'volunteering', name='topic', native_enum=False, length=20), nullable=False),
    sa.Column('subscribed', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_email_subscriptions_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', 'topic', name=op.f('pk_email_subscriptions'))
    )
    op.create_table('segments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('conditions', sa.JSON(), nullable=False),
    sa.Column('uses_money', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_segments_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_segments'))
    )
    op.create_table('mailings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('preview_text', sa.String(length=200), nullable=True),
    sa.Column('from_name', sa.String(length=100), nullable=False),
    sa.Column('reply_to', sa.String(length=254), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.Enum('segment', 'event', 'shift', name='audience', native_enum=False, length=20), nullable=False),
    sa.Column('topic', sa.Enum('newsletter', 'appeals', 'events', 'volunteering', name='topic', native_enum=False, length=20), nullable=True),
    sa.Column('segment_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('shift_id', sa.Integer(), nullable=True),
    sa.Column('event_audience', sa.String(length=20), nullable=True),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('source_code', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('draft', 'scheduled', 'sending', 'sent', 'cancelled', name='mailingstatus', native_enum=False, length=20), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attribution_ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('frozen', sa.Boolean(), nullable=False),
    sa.Column('recipients_count', sa.Integer(), nullable=False),
    sa.Column('left_out', sa.JSON(), nullable=True),
    sa.Column('links', sa.JSON(), nullable=True),
    sa.Column('problem', sa.String(length=500), nullable=True),
    sa.Column('sender', sa.String(length=120), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_mailings_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mailings_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_mailings_event_id_events'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['segment_id'], ['segments.id'], name=op.f('fk_mailings_segment_id_segments'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_mailings_sent_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['shift_id'], ['shifts.id'], name=op.f('fk_mailings_shift_id_shifts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailings'))
    )
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.create_index('ix_mailings_campaign', ['campaign_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailings_source_code'), ['source_code'], unique=False)

    op.create_table('mailing_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('email_key', sa.String(length=254), nullable=False),
    sa.Column('status', sa.Enum('pending', 'sending', 'sent', 'bounced', 'failed', 'cancelled', name='recipientstatus', native_enum=False, length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim', sa.String(length=160), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_mailing_recipients_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailings.id'], name=op.f('fk_mailing_recipients_mailing_id_mailings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailing_recipients')),
    sa.UniqueConstraint('mailing_id', 'email_key', name=op.f('uq_mailing_recipients_mailing_id'))
    )
    with op.batch_alter_table('mailing_recipients', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailing_recipients_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index('ix_mailing_recipients_queue', ['mailing_id', 'status', 'next_attempt_at'], unique=False)

    op.create_table('mailing_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mailing_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('clicked', 'opened', 'unsubscribed', 'bounced', 'complained', name='eventkind', native_enum=False, length=20), nullable=False),
    sa.Column('link', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mailing_id'], ['mailings.id'], name=op.f('fk_mailing_events_mailing_id_mailings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['mailing_recipients.id'], name=op.f('fk_mailing_events_recipient_id_mailing_recipients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mailing_events'))
    )
    with op.batch_alter_table('mailing_events', schema=None) as batch_op:
        batch_op.create_index('ix_mailing_events_mailing', ['mailing_id', 'kind'], unique=False)
        batch_op.create_index('ix_mailing_events_recipient', ['recipient_id', 'kind'], unique=False)

    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.create_index('ix_donations_giving_by_date', ['received_at', 'contact_id', 'status', 'amount_cents', 'refunded_cents'], unique=False)



def downgrade():
    with op.batch_alter_table('donations', schema=None) as batch_op:
        batch_op.drop_index('ix_donations_giving_by_date')

    with op.batch_alter_table('mailing_events', schema=None) as batch_op:
        batch_op.drop_index('ix_mailing_events_recipient')
        batch_op.drop_index('ix_mailing_events_mailing')

    op.drop_table('mailing_events')
    with op.batch_alter_table('mailing_recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_mailing_recipients_queue')
        batch_op.drop_index(batch_op.f('ix_mailing_recipients_contact_id'))

    op.drop_table('mailing_recipients')
    with op.batch_alter_table('mailings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailings_source_code'))
        batch_op.drop_index('ix_mailings_campaign')

    op.drop_table('mailings')
    op.drop_table('segments')
    op.drop_table('email_subscriptions')
    op.drop_table('outreach_settings')
    op.drop_table('email_suppressions')
