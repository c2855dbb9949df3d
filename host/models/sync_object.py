"""SyncObjectSetting: what syncs for one object of a connection, and where its import stands.

One row per (connection, object) for the objects of :data:`hookspecs.SYNC_OBJECTS`
(``customer``, ``item``, ``invoice``), written by the Manage page's "What syncs" section
and read by the outbox (outbound direction), the importer (inbound direction, filters, field
choices, cursor) and the conflict policy.

* ``direction``: ``off``, ``out`` (PSA -> provider), ``in`` (provider -> PSA) or ``both``.
* ``conflict``: ``host`` ("Use PSA data") or ``provider`` ("Use QuickBooks/Xero data"): who
  wins when a record changed on both sides since the last sync.
* ``fields``: ``{"off": [host_field, ...], "extra": [{"key": SyncField.key,
  "host_field": ...}, ...]}``: predefined pairs switched off, and the admin's added pairs.
* ``filters`` (inbound only): ``{"created_after": "YYYY-MM-DD", "statuses": [...],
  "customers": [external id, ...], "include_without_sku": bool}``.
* ``cursor``: the plugin's opaque ``RecordPage.cursor`` after the last page applied; kept when
  the direction is switched off, so switching on again resumes from there.
* ``import_*`` and the counts: the progress of the initial import (and of each incremental
  pass after it), shown as a progress bar.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps

DIRECTIONS = ("off", "out", "in", "both")
CONFLICT_POLICIES = ("host", "provider")
#: ``import_status``: ``idle`` (never run), ``running``, ``done``, ``failed``, ``waiting``
#: (stopped by the provider's rate limit or a paused / reconnecting connection; resumes).
IMPORT_STATUSES = ("idle", "running", "done", "failed", "waiting")


class SyncObjectSetting(Timestamps, db.Model):
    __tablename__ = "sync_object_settings"
    __table_args__ = (sa.UniqueConstraint("connection_id", "object"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("connections.id"), nullable=False, index=True
    )
    object: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    direction: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="out")
    conflict: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="host")
    fields: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    filters: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    cursor: Mapped[str | None] = mapped_column(sa.Text)
    #: True once the initial listing (cursor None -> last page) finished.
    initial_done: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    import_status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="idle")
    import_started_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    import_finished_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    import_error: Mapped[str | None] = mapped_column(sa.Text)
    #: The importer's lease (worker claim), as for sync records (``host.sync.lease``).
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    lease_token: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    seen: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    matched: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    skipped: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    failed: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    updated_by: Mapped[str | None] = mapped_column(sa.String(255))

    connection = relationship("Connection")

    @property
    def inbound(self) -> bool:
        return self.direction in ("in", "both")

    @property
    def outbound(self) -> bool:
        return self.direction in ("out", "both")

    def __repr__(self) -> str:
        return f"<SyncObjectSetting conn={self.connection_id} {self.object} {self.direction}>"
