"""Provider rate limits shared by every process: a token bucket per (scope, limit) in the DB.

``acquire(engine, key, rate)`` takes one request slot, sleeping until one is free. The bucket row
is read and written in one short transaction that starts with a write (an upsert), so SQLite
takes its write lock first and PostgreSQL locks the row: two workers never spend the same token.
The caller's session is not used (its transaction is not disturbed).

Keys: ``conn:<connection id>:<limit index>`` for per-connection limits (one QuickBooks company,
one Xero tenant), ``app:<provider key>:<limit index>`` for app-wide limits.
"""

from __future__ import annotations

import time
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from host.contract.types import RateLimit
from host.models.rate_limit import RateLimitBucket

_table = RateLimitBucket.__table__


def bucket_key(limit: RateLimit, index: int, provider_key: str, connection_id: int) -> str:
    if limit.scope == "app":
        return f"app:{provider_key}:{limit.name or index}"
    return f"conn:{connection_id}:{limit.name or index}"


def _insert_ignore(engine: Engine, key: str, capacity: float, now: float):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_table).values(key=key, tokens=capacity, updated_at=now).on_conflict_do_nothing()


def try_take(engine: Engine, key: str, limit: RateLimit, now: float | None = None) -> float:
    """Take one token if there is one. Returns 0 on success, else the seconds to wait."""
    now = time.time() if now is None else now
    capacity = float(limit.requests)
    refill = capacity / float(limit.per_seconds)  # tokens per second
    with engine.begin() as conn:
        conn.execute(_insert_ignore(engine, key, capacity, now))
        row = conn.execute(
            sa.select(_table.c.tokens, _table.c.updated_at)
            .where(_table.c.key == key)
            .with_for_update()
        ).one()
        tokens = min(capacity, row.tokens + max(0.0, now - row.updated_at) * refill)
        if tokens >= 1.0:
            conn.execute(
                _table.update().where(_table.c.key == key).values(tokens=tokens - 1.0, updated_at=now)
            )
            return 0.0
        conn.execute(_table.update().where(_table.c.key == key).values(tokens=tokens, updated_at=now))
        return (1.0 - tokens) / refill


def acquire(
    engine: Engine,
    key: str,
    limit: RateLimit,
    *,
    max_wait: float = 120.0,
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Block until a slot is free; returns the seconds waited. Raises ``RateLimited`` when the
    wait would exceed ``max_wait`` (the job is then retried later instead of holding a worker)."""
    from host.contract.errors import RateLimited

    waited = 0.0
    while True:
        wait = try_take(engine, key, limit)
        if wait <= 0:
            return waited
        if waited + wait > max_wait:
            raise RateLimited(
                f"Local rate limit {limit.requests}/{limit.per_seconds:g}s reached", retry_after=wait
            )
        sleep(wait)
        waited += wait
