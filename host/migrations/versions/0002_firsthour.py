"""sync_records.emailed: the provider emailed the document to the customer

Revision ID: 0002_firsthour
Revises: 0002_security
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_firsthour"
down_revision = "0002_security"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emailed", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("sync_records", schema=None) as batch_op:
        batch_op.drop_column("emailed")
