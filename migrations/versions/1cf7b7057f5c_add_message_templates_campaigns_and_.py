"""add message templates, campaigns and their recipients

Revision ID: 1cf7b7057f5c
Revises: c904d5ad207c
Create Date: 2026-12-04 18:50:39.698161

"""
from alembic import op
import sqlalchemy as sa

import wfb.models_base  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '1cf7b7057f5c'
down_revision = 'c904d5ad207c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meta_id', sa.String(length=40), nullable=True),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('language', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('parameter_format', sa.String(length=20), nullable=False),
    sa.Column('components', wfb.models_base.JSONValue(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('gone', sa.Boolean(), nullable=False),
    sa.Column('synced_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_message_templates_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_templates')),
    sa.UniqueConstraint('org_id', 'name', 'language', name=op.f('uq_message_templates_org_id_name_language'))
    )
    with op.batch_alter_table('message_templates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_templates_meta_id'), ['meta_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_templates_org_id'), ['org_id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('phone_number_id', sa.Integer(), nullable=True),
    sa.Column('template', wfb.models_base.JSONValue(), nullable=False),
    sa.Column('audience', wfb.models_base.JSONValue(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('schedule_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('started_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_campaigns_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['phone_number_id'], ['phone_numbers.id'], name=op.f('fk_campaigns_phone_number_id_phone_numbers'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_phone_number_id'), ['phone_number_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_schedule_at'), ['schedule_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaigns_status'), ['status'], unique=False)

    op.create_table('campaign_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('wamid', sa.String(length=200), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_title', sa.String(length=500), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('status_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_recipients_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_campaign_recipients_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_campaign_recipients_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_recipients')),
    sa.UniqueConstraint('campaign_id', 'phone', name=op.f('uq_campaign_recipients_campaign_id_phone')),
    sa.UniqueConstraint('wamid', name=op.f('uq_campaign_recipients_wamid'))
    )
    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_recipients_campaign_status', ['campaign_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_campaign_recipients_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('updated_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True))
    # Contacts made before this change were last changed when they were made.
    op.execute("UPDATE contacts SET updated_at = created_at")
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.alter_column('updated_at', nullable=False)



def downgrade():
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('updated_at')

    with op.batch_alter_table('campaign_recipients', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_recipients_org_id'))
        batch_op.drop_index('ix_campaign_recipients_campaign_status')

    op.drop_table('campaign_recipients')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_status'))
        batch_op.drop_index(batch_op.f('ix_campaigns_schedule_at'))
        batch_op.drop_index(batch_op.f('ix_campaigns_phone_number_id'))
        batch_op.drop_index(batch_op.f('ix_campaigns_org_id'))

    op.drop_table('campaigns')
    with op.batch_alter_table('message_templates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_templates_org_id'))
        batch_op.drop_index(batch_op.f('ix_message_templates_meta_id'))

    op.drop_table('message_templates')
