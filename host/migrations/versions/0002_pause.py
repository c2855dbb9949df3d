"""automatic push switch and sync pause on connections; held webhook deliveries

Revision ID: 0002_pause
Revises: 0001_initial

Existing connections keep pushing automatically (``auto_push`` true): until this revision the
switch was saved in ``settings["auto_push"]`` but never read, so every connection pushed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_pause'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.add_column(sa.Column('auto_push', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.add_column(sa.Column('sync_paused_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sync_paused_by', sa.String(length=255), nullable=True))
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held_tenant_ids', sa.JSON(), nullable=False,
                                      server_default='[]'))


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('held_tenant_ids')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('sync_paused_by')
        batch_op.drop_column('sync_paused_at')
        batch_op.drop_column('auto_push')
