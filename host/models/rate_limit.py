"""Provider limits shared by every process: leases (ConcurrencyLease) -- one per request in a
rate-limit window, one per request in flight -- and anchor rows (RateLimitBucket) whose row lock
serializes the decisions for one key.

Every worker process and web process takes the same anchor's lock, so a provider's "500
requests per minute per company" holds however many workers run. See
``host.integrations.ratelimit``.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db


class RateLimitBucket(db.Model):
    """The lock anchor of one limit key (``tokens`` is unused since the sliding window)."""

    __tablename__ = "rate_limit_buckets"

    key: Mapped[str] = mapped_column(sa.String(200), primary_key=True)
    tokens: Mapped[float] = mapped_column(sa.Float, nullable=False)
    updated_at: Mapped[float] = mapped_column(sa.Float, nullable=False)  # epoch seconds

    def __repr__(self) -> str:
        return f"<RateLimitBucket {self.key} {self.tokens:.2f}>"


class ConcurrencyLease(db.Model):
    """One request counted against a limit: in flight (``max_concurrency`` per connection,
    released when the answer arrives) or inside a rate-limit window (``window:<key>``, expires
    when it leaves the window).

    A lease expires on its own (``expires_at``, epoch seconds) so a crashed worker cannot hold a
    slot for ever.
    """

    __tablename__ = "concurrency_leases"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), nullable=False, index=True)
    expires_at: Mapped[float] = mapped_column(sa.Float, nullable=False)

    def __repr__(self) -> str:
        return f"<ConcurrencyLease {self.key} until {self.expires_at:.0f}>"
