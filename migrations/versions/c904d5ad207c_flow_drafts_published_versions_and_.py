"""flow drafts, published versions and the nodes each session visited

A version with no number is a preview of a flow's draft. Sessions that ran before
`visited` existed start with an empty list.

Revision ID: c904d5ad207c
Revises: 4f1ce6a57974
Create Date: 2026-12-04 18:45:53.251897

"""
from alembic import op
import sqlalchemy as sa

import wfb.models_base  # noqa: F401  (column types)


# revision identifiers, used by Alembic.
revision = 'c904d5ad207c'
down_revision = '4f1ce6a57974'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('flow_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('visited', wfb.models_base.JSONValue(), nullable=False, server_default='[]'))

    with op.batch_alter_table('flow_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('published_by_id', sa.Integer(), nullable=True))
        batch_op.alter_column('number',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_flow_versions_published_by_id_users'), 'users', ['published_by_id'], ['id'], ondelete='SET NULL')



def downgrade():
    with op.batch_alter_table('flow_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_flow_versions_published_by_id_users'), type_='foreignkey')
        batch_op.alter_column('number',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('published_by_id')
        batch_op.drop_column('note')

    with op.batch_alter_table('flow_sessions', schema=None) as batch_op:
        batch_op.drop_column('visited')

