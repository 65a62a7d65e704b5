"""add invitations, password resets, the audit log, the sales team and OpenAI keys

Also `orgs.deleted_at`, set when an org is soft-deleted.

Revision ID: 4f1ce6a57974
Revises: 9dd12e4d466a
Create Date: 2026-12-04 16:46:32.499490

"""
from alembic import op
import sqlalchemy as sa

import wfb.models_base  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '4f1ce6a57974'
down_revision = '9dd12e4d466a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('openai_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_enc', sa.Text(), nullable=False),
    sa.Column('updated_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_openai_keys_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openai_keys')),
    sa.UniqueConstraint('org_id', name=op.f('uq_openai_keys_org_id'))
    )
    with op.batch_alter_table('openai_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openai_keys_org_id'), ['org_id'], unique=False)

    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target', sa.String(length=320), nullable=False),
    sa.Column('details', wfb.models_base.JSONValue(), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_audit_events_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_org_id'), ['org_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'], name=op.f('fk_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_invitations_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('org_id', 'email', name=op.f('uq_invitations_org_id_email'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_org_id'), ['org_id'], unique=False)

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_password_resets_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_password_resets_user_id'), ['user_id'], unique=False)

    op.create_table('sales_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_sales_members_org_id_orgs'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_sales_members_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sales_members')),
    sa.UniqueConstraint('org_id', 'email', name=op.f('uq_sales_members_org_id_email')),
    sa.UniqueConstraint('org_id', 'phone', name=op.f('uq_sales_members_org_id_phone')),
    sa.UniqueConstraint('org_id', 'user_id', name=op.f('uq_sales_members_org_id_user_id'))
    )
    with op.batch_alter_table('sales_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sales_members_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('orgs', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')

    with op.batch_alter_table('sales_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sales_members_org_id'))

    op.drop_table('sales_members')
    with op.batch_alter_table('password_resets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_password_resets_user_id'))

    op.drop_table('password_resets')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_org_id'))
        batch_op.drop_index(batch_op.f('ix_invitations_email'))

    op.drop_table('invitations')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_org_id'))

    op.drop_table('audit_events')
    with op.batch_alter_table('openai_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_openai_keys_org_id'))

    op.drop_table('openai_keys')
