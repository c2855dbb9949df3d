"""SyncRecord: the sync ledger, one row per (connection, object type, object id).

The ledger in the main database is the source of truth for outbound work; the queue only
carries "work on record N". A record is written by the outbox in the same transaction as the
domain change (``host.sync.outbox``), claimed by a worker with a lease (``host.sync.tasks``),
and carries the outcome: the provider's id, number and deep link, or an error with its
category, message and fix. Every state change appends a :class:`SyncEvent`.

``locked_until`` and ``lease_token`` are the worker's lease (``host.sync.lease``): until when
the record is claimed, and the number of the claim that holds it (the fencing token checked
before a result is written).
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps, utcnow

OBJECT_TYPES = ("invoice", "credit_note", "payment", "invoice_void", "client", "service_type")
STATUSES = ("pending", "in_progress", "synced", "failed", "excluded", "waiting_reauth", "held")
#: Statuses a worker may pick up (only while no live lease holds the record).
CLAIMABLE = ("pending", "in_progress")
OPERATIONS = ("create", "update", "void")

STATUS_LABELS = {
    "pending": "Pending",
    "in_progress": "Sending",
    "synced": "Synced",
    "failed": "Failed",
    "excluded": "Not synced",
    "waiting_reauth": "Waiting for reconnection",
    "held": "Held",
}
#: Why a record is ``held`` (shown on the invoice panel and the Manage page's list).
HELD_REASON = "Automatic push is off: held until an admin pushes it."


def new_idempotency_key() -> str:
    return str(uuid.uuid4())


class SyncRecord(Timestamps, db.Model):
    __tablename__ = "sync_records"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "object_type", "object_id"),
        sa.Index("ix_sync_records_status_next_attempt", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("connections.id"), nullable=False, index=True
    )
    object_type: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    object_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    operation: Mapped[str] = mapped_column(sa.String(10), nullable=False, default="create")
    idempotency_key: Mapped[str] = mapped_column(
        sa.String(64), nullable=False, default=new_idempotency_key, unique=True
    )
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="pending")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    locked_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: Incremented by every claim; a worker writes its result only while it still matches.
    lease_token: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0,
                                             server_default="0")
    # Where the object lives at the provider.
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    number: Mapped[str | None] = mapped_column(sa.String(100))
    deep_link: Mapped[str | None] = mapped_column(sa.String(500))
    version: Mapped[str | None] = mapped_column(sa.String(100))
    note: Mapped[str | None] = mapped_column(sa.Text)
    # Where the provider booked something the admin did not choose (one sentence a line;
    # ``SyncResult.differences``, host.contract.booking), replaced by every successful push.
    differences: Mapped[str | None] = mapped_column(sa.Text)
    #: The provider emailed the document to the customer (``SyncResult.emailed``); kept once
    #: true, since a later update that does not email again does not unsend it.
    emailed: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False,
                                          server_default=sa.false())
    synced_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    # The last error, shown with its fix and a Retry button.
    error_category: Mapped[str | None] = mapped_column(sa.String(30))
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    error_fix: Mapped[str | None] = mapped_column(sa.Text)
    error_code: Mapped[str | None] = mapped_column(sa.String(100))
    error_detail: Mapped[str | None] = mapped_column(sa.Text)
    #: Why the record is not being sent: excluded, or held (:data:`HELD_REASON`).
    excluded_reason: Mapped[str | None] = mapped_column(sa.Text)
    # What the provider says happened to its copy ("voided", "deleted", "differs").
    provider_state: Mapped[str | None] = mapped_column(sa.String(30))
    provider_state_detail: Mapped[str | None] = mapped_column(sa.Text)

    connection = relationship("Connection")
    events = relationship(
        "SyncEvent", back_populates="record", order_by="SyncEvent.id",
        cascade="all, delete-orphan",
    )

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def difference_list(self) -> list[str]:
        return [line for line in (self.differences or "").splitlines() if line]

    @property
    def is_retryable_by_admin(self) -> bool:
        return self.status in ("failed", "waiting_reauth")

    def log(self, kind: str, message: str, detail: str | None = None) -> "SyncEvent":
        """Append a history event (added to the session with the record)."""
        event = SyncEvent(kind=kind, status=self.status, message=message, detail=detail)
        self.events.append(event)
        return event

    def clear_error(self) -> None:
        self.error_category = self.error_message = self.error_fix = None
        self.error_code = self.error_detail = None

    def __repr__(self) -> str:
        return (f"<SyncRecord {self.id} conn={self.connection_id} {self.object_type}:"
                f"{self.object_id} {self.status}>")


class SyncEvent(db.Model):
    """One line of a sync record's history (queued, sent, failed, retried, synced ...)."""

    __tablename__ = "sync_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sync_records.id"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    kind: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    detail: Mapped[str | None] = mapped_column(sa.Text)

    record = relationship("SyncRecord", back_populates="events")
