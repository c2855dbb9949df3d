"""two-way sync: sync_object_settings, sync_links (+ events); client tax number, service type
price and description, invoice reference and source

Revision ID: 0004_twoway
Revises: 0003_lease
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_twoway'
down_revision = "0003_lease"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sync_object_settings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('object', sa.String(length=20), nullable=False),
        sa.Column('direction', sa.String(length=10), nullable=False),
        sa.Column('conflict', sa.String(length=10), nullable=False),
        sa.Column('fields', sa.JSON(), nullable=False),
        sa.Column('filters', sa.JSON(), nullable=False),
        sa.Column('cursor', sa.Text(), nullable=True),
        sa.Column('initial_done', sa.Boolean(), nullable=False),
        sa.Column('import_status', sa.String(length=10), nullable=False),
        sa.Column('import_started_at', sa.DateTime(), nullable=True),
        sa.Column('import_finished_at', sa.DateTime(), nullable=True),
        sa.Column('import_error', sa.Text(), nullable=True),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
        sa.Column('lease_token', sa.Integer(), nullable=False),
        sa.Column('seen', sa.Integer(), nullable=False),
        sa.Column('created', sa.Integer(), nullable=False),
        sa.Column('matched', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('skipped', sa.Integer(), nullable=False),
        sa.Column('failed', sa.Integer(), nullable=False),
        sa.Column('updated_by', sa.String(length=255), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('connection_id', 'object'),
    )
    with op.batch_alter_table('sync_object_settings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_object_settings_connection_id'),
                              ['connection_id'], unique=False)
    op.create_table(
        'sync_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('object', sa.String(length=20), nullable=False),
        sa.Column('external_id', sa.String(length=100), nullable=False),
        sa.Column('host_id', sa.Integer(), nullable=True),
        sa.Column('origin', sa.String(length=10), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('fix', sa.Text(), nullable=True),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('fingerprint', sa.JSON(), nullable=False),
        sa.Column('provider_version', sa.String(length=100), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=True),
        sa.Column('synced_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connections.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('connection_id', 'object', 'external_id'),
    )
    with op.batch_alter_table('sync_links', schema=None) as batch_op:
        batch_op.create_index('ix_sync_links_host', ['connection_id', 'object', 'host_id'],
                              unique=False)
        batch_op.create_index('ix_sync_links_status', ['connection_id', 'status'], unique=False)
    op.create_table(
        'sync_link_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('link_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('kind', sa.String(length=30), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('changes', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['link_id'], ['sync_links.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('sync_link_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sync_link_events_link_id'), ['link_id'],
                              unique=False)
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tax_number', sa.String(length=50), server_default='',
                                      nullable=False))
    with op.batch_alter_table('service_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', sa.Numeric(precision=14, scale=2),
                                      nullable=True))
        batch_op.add_column(sa.Column('description', sa.String(length=1000), server_default='',
                                      nullable=False))
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reference', sa.String(length=100), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('source', sa.String(length=50), server_default='host',
                                      nullable=False))
        batch_op.add_column(sa.Column('source_connection_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_invoices_source_connection_id_connections',
                                    'connections', ['source_connection_id'], ['id'])


def downgrade():
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_constraint('fk_invoices_source_connection_id_connections',
                                 type_='foreignkey')
        batch_op.drop_column('source_connection_id')
        batch_op.drop_column('source')
        batch_op.drop_column('reference')
    with op.batch_alter_table('service_types', schema=None) as batch_op:
        batch_op.drop_column('description')
        batch_op.drop_column('unit_price')
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('tax_number')
    with op.batch_alter_table('sync_link_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_link_events_link_id'))
    op.drop_table('sync_link_events')
    with op.batch_alter_table('sync_links', schema=None) as batch_op:
        batch_op.drop_index('ix_sync_links_status')
        batch_op.drop_index('ix_sync_links_host')
    op.drop_table('sync_links')
    with op.batch_alter_table('sync_object_settings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sync_object_settings_connection_id'))
    op.drop_table('sync_object_settings')
