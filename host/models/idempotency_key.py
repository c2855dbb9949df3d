"""IdempotencyKey: the first answer to a ``POST /api/v1`` sent with an ``Idempotency-Key`` header.

A retry with the same key (same organization) and the same request gets this answer again
instead of creating a second record; the same key with another request is refused. The row is
written in the transaction that creates the record, so it exists exactly when the record does.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db
from host.models.mixins import Timestamps

KEY_MAX_LENGTH = 200


class IdempotencyKey(Timestamps, db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("organization_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    key: Mapped[str] = mapped_column(sa.String(KEY_MAX_LENGTH), nullable=False)
    #: SHA-256 of method, path and body: what "the same request" means.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    status_code: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    response_body: Mapped[str] = mapped_column(sa.Text, nullable=False)

    def __repr__(self) -> str:
        return f"<IdempotencyKey {self.id} org={self.organization_id} {self.key!r}>"
