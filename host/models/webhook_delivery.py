"""WebhookDelivery: a verified webhook request, stored once and processed by a job.

Deduplicated on ``(provider_key, dedupe_key)``: the provider's event id when the plugin's
payload has one, else the SHA-256 of the raw body. A delivery whose payload cannot be parsed is
kept with ``status = "failed"`` and the reason, for the connection's Manage page. A delivery
for a connection whose sync is paused is kept ``held`` with that tenant in ``held_tenant_ids``
and applied when sync resumes (``host.sync.pause``).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db
from host.models.mixins import utcnow

STATUSES = ("received", "processing", "processed", "failed", "held")


class WebhookDelivery(db.Model):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (sa.UniqueConstraint("provider_key", "dedupe_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_key: Mapped[str] = mapped_column(sa.String(50), nullable=False, index=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(128), nullable=False)
    headers: Mapped[dict] = mapped_column(sa.JSON, nullable=False, default=dict)
    body: Mapped[bytes] = mapped_column(sa.LargeBinary, nullable=False)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime, nullable=False, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="received")
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    error: Mapped[str | None] = mapped_column(sa.Text)
    event_count: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    tenant_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list)
    processed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: When a delivery parked for a retry (the provider throttled or was down) is due again;
    #: the sweeper leaves it alone until then (it honours the provider's Retry-After).
    next_attempt_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: Tenants whose events wait because their connection's sync is paused (status "held").
    held_tenant_ids: Mapped[list] = mapped_column(sa.JSON, nullable=False, default=list,
                                                  server_default="[]")

    def __repr__(self) -> str:
        return f"<WebhookDelivery {self.id} {self.provider_key} {self.status}>"
