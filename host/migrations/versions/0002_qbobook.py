"""sync_records.differences: where the provider booked something other than the PSA sent

Revision ID: 0002_qbobook
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_qbobook"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("differences", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_column("differences")
