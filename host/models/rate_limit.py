"""Provider limits shared by every process: token buckets (RateLimitBucket) and in-flight
request leases (ConcurrencyLease).

Every worker process and web process reads and updates the same row under a row lock, so a
provider's "500 requests per minute per company" holds however many workers run. See
``host.integrations.ratelimit``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db


class RateLimitBucket(db.Model):
    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(sa.Float, nullable=False)
    updated_at: Mapped[float] = mapped_column(sa.Float, nullable=False)  # epoch seconds

    def __repr__(self) -> str:
        return f"<RateLimitBucket {self.key} {self.tokens:.2f}>"


class ConcurrencyLease(db.Model):
    """One in-flight request to a provider (``max_concurrency`` per connection, all workers).

    A lease expires on its own (``expires_at``, epoch seconds) so a crashed worker cannot hold a
    slot for ever.
    """

    __tablename__ = "concurrency_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False, index=True)
    expires_at: Mapped[float] = mapped_column(sa.Float, nullable=False)

    def __repr__(self) -> str:
        return f"<ConcurrencyLease {self.key} until {self.expires_at:.0f}>"
