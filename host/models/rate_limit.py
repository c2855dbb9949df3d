"""RateLimitBucket: shared token-bucket state for provider rate limits (one row per bucket).

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
