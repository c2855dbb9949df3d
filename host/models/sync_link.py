"""SyncLink: one ledger record of a two-way-synced object and the host record it is linked to.

One row per (connection, object, external id): written when a record comes in from the ledger
(``list_records``) or when the host pushes one (``push_record``, invoice pushes), so the host
knows, for every record it saw, which host record it is, where it came from and what was
synced last.

* ``origin``: ``provider`` (created in the ledger and imported) or ``host`` (pushed from the
  host: an inbound change to it is never imported as a new record, and the host's own pushes
  are never echoed back).
* ``status``: ``linked``; ``waiting`` (could not be mapped: ``reason`` and ``fix`` say why,
  shown on the sync overview with Retry); ``skipped`` (a filter or rule excluded it:
  ``reason``); ``ambiguous`` (several host records match: the admin chooses).
* ``fingerprint``: the per-field values of the last synced state (``{host_field: text}``);
  a field changed on both sides since then is a conflict, resolved by the object's policy.
* ``payload``: the last inbound record as received (bounded), so Retry can apply it again
  without a provider call.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps, utcnow

ORIGINS = ("provider", "host")
STATUSES = ("linked", "waiting", "skipped", "ambiguous")


class SyncLink(Timestamps, db.Model):
    __tablename__ = "sync_links"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "object", "external_id"),
        sa.Index("ix_sync_links_host", "connection_id", "object", "host_id"),
        sa.Index("ix_sync_links_status", "connection_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(sa.ForeignKey("connections.id"), nullable=False)
    object: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    external_id: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    host_id: Mapped[int | None] = mapped_column(sa.Integer)
    origin: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="provider")
    status: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="linked")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    fix: Mapped[str | None] = mapped_column(sa.Text)
    label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    fingerprint: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    provider_version: Mapped[str | None] = mapped_column(sa.String(100))
    payload: Mapped[dict | None] = mapped_column(sa.JSON)
    synced_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    connection = relationship("Connection")
    events = relationship("SyncLinkEvent", back_populates="link", order_by="SyncLinkEvent.id",
                          cascade="all, delete-orphan")

    def log(self, kind: str, message: str, changes: list | None = None) -> "SyncLinkEvent":
        """Append a history line; ``changes`` lists ``{"field", "host", "provider", "kept"}``
        for what a sync or a conflict overwrote, field by field."""
        event = SyncLinkEvent(kind=kind, message=message, changes=changes or None)
        state = sa.inspect(self)
        if state.persistent and "events" in state.unloaded:
            # a stored link whose history is not loaded: add the line without loading the
            # whole history first (the import writes one line per record it applies)
            event.link_id = self.id
            state.session.add(event)
        else:
            self.events.append(event)
        return event

    def __repr__(self) -> str:
        return (f"<SyncLink conn={self.connection_id} {self.object}:{self.external_id} "
                f"-> {self.host_id} {self.status}>")


class SyncLinkEvent(db.Model):
    """One line of a sync link's history (imported, updated, conflict resolved, waiting ...)."""

    __tablename__ = "sync_link_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(sa.ForeignKey("sync_links.id"), nullable=False,
                                         index=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    changes: Mapped[list | None] = mapped_column(sa.JSON)

    link = relationship("SyncLink", back_populates="events")
