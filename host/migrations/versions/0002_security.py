"""security: server-side OAuth authorizations (single use) and login throttling

Revision ID: 0002_security
Revises: 0002_qbobook
"""
from alembic import op
import sqlalchemy as sa


revision = "0002_security"
down_revision = "0002_qbobook"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "oauth_authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=128), nullable=False),
        sa.Column("provider_key", sa.String(length=50), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("business_unit_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reconnect_connection_id", sa.Integer(), nullable=True),
        sa.Column("code_verifier", sa.String(length=128), nullable=True),
        sa.Column("redirect_uri", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("consumed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["business_unit_id"], ["business_units.id"],
                                name=op.f("fk_oauth_authorizations_business_unit_id_business_units")),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"],
                                name=op.f("fk_oauth_authorizations_organization_id_organizations")),
        sa.ForeignKeyConstraint(["reconnect_connection_id"], ["connections.id"],
                                name=op.f("fk_oauth_authorizations_reconnect_connection_id_connections")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_oauth_authorizations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_authorizations")),
        sa.UniqueConstraint("state", name=op.f("uq_oauth_authorizations_state")),
    )
    with op.batch_alter_table("oauth_authorizations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oauth_authorizations_created_at"), ["created_at"],
                              unique=False)
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )


def downgrade():
    op.drop_table("login_failures")
    with op.batch_alter_table("oauth_authorizations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oauth_authorizations_created_at"))
    op.drop_table("oauth_authorizations")
