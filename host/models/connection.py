"""Connection: one business unit's link to one accounting provider (host-owned).

Tokens are stored only as Fernet ciphertext (``token_ciphertext``); see
``host.security.crypto``. ``settings`` holds the provider's validated settings form values as
JSON. At most one *active* financial connection per business unit is enforced by a partial
unique index, on SQLite and PostgreSQL alike.

Two admin switches sit beside ``status`` (they are not states of the OAuth link):

* ``auto_push``: when off, what the outbox writes for this connection is *held*
  (``SyncRecord.status == "held"``) until an admin pushes it (``host.sync.hold``).
* ``sync_paused_at``: set while sync is paused (``host.sync.pause``): nothing is sent, webhook
  deliveries are stored but not applied, reconciliation passes are skipped. Unlike disconnect,
  the connection stays active and resuming sends and applies what waited.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps

STATUSES = ("pending", "connected", "needs_reauth", "disconnected", "replaced")
ACTIVE_STATUSES = ("connected", "needs_reauth")
#: A connection that synced once and no longer does: shown read-only with its history.
ENDED_STATUSES = ("disconnected", "replaced")
_ACTIVE_SQL = "status IN ('connected', 'needs_reauth') AND category = 'financial'"


class Connection(Timestamps, db.Model):
    __tablename__ = "connections"
    __table_args__ = (
        sa.Index(
            "uq_connections_one_active_financial_per_bu",
            "business_unit_id",
            unique=True,
            sqlite_where=sa.text(_ACTIVE_SQL),
            postgresql_where=sa.text(_ACTIVE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    business_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_units.id"), nullable=False, index=True
    )
    provider_key: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    category: Mapped[str] = mapped_column(sa.String(30), nullable=False, default="financial")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    tenant_id: Mapped[str | None] = mapped_column(sa.String(100))
    tenant_name: Mapped[str | None] = mapped_column(sa.String(200))
    tenant_short_code: Mapped[str | None] = mapped_column(sa.String(50))
    settings: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    setup_complete: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    token_ciphertext: Mapped[str | None] = mapped_column(sa.Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    token_version: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # set while one worker refreshes the token (others wait for the new version, never refresh)
    token_refresh_lease_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    reconcile_cursor: Mapped[str | None] = mapped_column(sa.String(200))
    reconciled_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: Why the last reconciliation pass failed ("message -- fix"), None after a good pass.
    reconcile_error: Mapped[str | None] = mapped_column(sa.Text)
    connected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    connected_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    disconnected_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: "Enable automatic push" on the Manage page; off holds outbound records.
    auto_push: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True,
                                            server_default=sa.true())
    #: When (and by whom) sync was paused; None while it runs.
    sync_paused_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    sync_paused_by: Mapped[str | None] = mapped_column(sa.String(255))

    business_unit = relationship("BusinessUnit")
    connected_by = relationship("User")

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_paused(self) -> bool:
        return self.sync_paused_at is not None

    def __repr__(self) -> str:
        return f"<Connection {self.id} bu={self.business_unit_id} {self.provider_key} {self.status}>"
