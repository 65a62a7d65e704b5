"""add media files, who sent a message, and the sales team's turns

Revision ID: 5fd6f4c8d418
Revises: 1cf7b7057f5c
Create Date: 2026-12-04 18:55:15.192388

"""
from alembic import op
import sqlalchemy as sa

import wfb.models_base  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = '5fd6f4c8d418'
down_revision = '1cf7b7057f5c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('media_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('media_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('mime_type', sa.String(length=100), nullable=True),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', wfb.models_base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_media_files_message_id_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['org_id'], ['orgs.id'], name=op.f('fk_media_files_org_id_orgs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_media_files')),
    sa.UniqueConstraint('message_id', name=op.f('uq_media_files_message_id'))
    )
    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_media_files_org_id'), ['org_id'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_messages_sent_by_id_users'), 'users', ['sent_by_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('sales_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('last_assigned_at', wfb.models_base.UTCDateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('sales_members', schema=None) as batch_op:
        batch_op.drop_column('last_assigned_at')
        batch_op.drop_column('active')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_sent_by_id_users'), type_='foreignkey')
        batch_op.drop_column('sent_by_id')

    with op.batch_alter_table('media_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_media_files_org_id'))

    op.drop_table('media_files')
