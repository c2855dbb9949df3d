"""sync_records.lease_token: the fencing token of the worker's lease

Revision ID: 0003_lease
Revises: 0002_validation
"""
from alembic import op
import sqlalchemy as sa


revision = '0003_lease'
down_revision = "0002_validation"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('sync_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_token', sa.Integer(), server_default='0',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('sync_records', schema=None) as batch_op:
        batch_op.drop_column('lease_token')
