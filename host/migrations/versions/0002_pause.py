"""automatic push switch and sync pause on connections; held webhook deliveries

Revision ID: 0002_pause
Revises: 0001_initial

Existing connections keep pushing automatically (``auto_push`` true): until this revision the
switch was saved in ``settings["auto_push"]`` but never read, so every connection pushed. That
unread key is removed from the settings.
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
    connections = sa.table('connections', sa.column('id', sa.Integer),
                           sa.column('settings', sa.JSON))
    bind = op.get_bind()
    for row in bind.execute(sa.select(connections.c.id, connections.c.settings)).all():
        if isinstance(row.settings, dict) and 'auto_push' in row.settings:
            settings = {k: v for k, v in row.settings.items() if k != 'auto_push'}
            bind.execute(connections.update().where(connections.c.id == row.id)
                         .values(settings=settings))


def downgrade():
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('held_tenant_ids')
    with op.batch_alter_table('connections', schema=None) as batch_op:
        batch_op.drop_column('sync_paused_by')
        batch_op.drop_column('sync_paused_at')
        batch_op.drop_column('auto_push')
