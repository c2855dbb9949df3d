"""Provider rate limits shared by every process: a sliding-window log per (scope, limit) in the DB.

``acquire(engine, key, rate)`` takes one request slot, sleeping until one is free. A limit of
N requests per W seconds keeps one row per request of the last W seconds (a lease in
``concurrency_leases`` that expires W seconds after the request is answered, see
:func:`answered`): a request goes out only while fewer than N are in the window, so **no
W-second span ever holds more than N requests** -- what the providers count (Xero: 60 per
minute, 5,000 per day; QuickBooks: 500 per minute, 10 per second). A token
bucket would let a full burst plus its refill through in the first window (about 2N).

Every decision runs in one short transaction that starts with a write on an anchor row
(``rate_limit_buckets``), so SQLite takes its write lock first and PostgreSQL locks the row:
two workers never take the same slot. The caller's session is not used.

Keys: ``tenant:<provider key>:<tenant id>:<limit>`` for per-connection limits (one QuickBooks
company, one Xero tenant: shared by every connection to it, and by ``on_connect``'s calls
before the tenant is chosen, when the plugin declares ``ProviderInfo.request_tenant``),
``conn:<connection id>:<limit>`` when neither the request nor the connection names a tenant,
``app:<provider key>:<limit>`` for app-wide limits.

``lease(engine, key, max_concurrent)`` bounds in-flight requests (``ProviderInfo.max_concurrency``:
QuickBooks 10, Xero 5 per tenant) the same way, with leases that expire on their own.
"""

from __future__ import annotations

import time
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from host.contract.types import RateLimit
from host.models.rate_limit import ConcurrencyLease, RateLimitBucket

_table = RateLimitBucket.__table__
_leases = ConcurrencyLease.__table__


def bucket_key(limit: RateLimit, index: int, provider_key: str, connection_id: int,
               tenant_id: str | None = None) -> str:
    """``tenant_id`` (the company / organisation the connection books to): per-connection
    limits are counted per tenant, so two connections to one company (two business units
    booking to the same QuickBooks company) share the provider's per-company limit."""
    if limit.scope == "app":
        return f"app:{provider_key}:{limit.name or index}"
    if tenant_id:
        return f"tenant:{provider_key}:{tenant_id}:{limit.name or index}"
    return f"conn:{connection_id}:{limit.name or index}"


def _insert_ignore(engine: Engine, key: str, capacity: float, now: float):
    from host.models.dialect_insert import insert_for

    return insert_for(engine, _table).values(
        key=key, tokens=capacity, updated_at=now).on_conflict_do_nothing()


#: How long a request may stay unanswered (the handle passes its own bound, from its timeout).
IN_FLIGHT_SECONDS = 70.0


def try_take(engine: Engine, key: str, limit: RateLimit, now: float | None = None, *,
             in_flight: float = 0.0) -> float:
    """Take one slot of ``limit`` if the window has one (for a request answered within
    ``in_flight`` seconds; default: at once). Returns 0 on success, else the seconds until the
    oldest request in the window leaves it (at most ``per_seconds``)."""
    return _take_window_slot(engine, key, limit, now, in_flight=in_flight)[1]


def _take_window_slot(engine: Engine, key: str, limit: RateLimit, now: float | None = None, *,
                      in_flight: float) -> tuple[int | None, float]:
    """A slot that holds until ``per_seconds`` after its request's answer (:func:`answered`);
    until then, for at most ``in_flight`` more seconds: a request still unanswered when
    ``per_seconds`` have passed since it was sent is still counted by the provider, which
    stamped it on arrival. The wait is at most ``per_seconds``: an unanswered request's slot
    may be given its end by an answer any moment."""
    window = float(limit.per_seconds)
    lease_id, wait = _take_slot(engine, f"window:{key}", limit.requests, ttl=window + in_flight,
                                now=now)
    return lease_id, min(wait, window)


def answered(engine: Engine, lease_id: int, limit: RateLimit, now: float | None = None) -> None:
    """The request of window slot ``lease_id`` was answered: it stays in the window until
    ``per_seconds`` after now. The provider counts a request when it arrives, some time after
    it was sent, so a slot counted from the send could free up while the provider still counts
    it (a short window -- QuickBooks' 10 per second -- would then refuse the next request)."""
    now = time.time() if now is None else now
    with engine.begin() as conn:
        conn.execute(_leases.update().where(_leases.c.id == lease_id)
                     .values(expires_at=now + float(limit.per_seconds)))


def acquire(
    engine: Engine,
    key: str,
    limit: RateLimit,
    *,
    max_wait: float = 120.0,
    in_flight: float = IN_FLIGHT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Block until a slot is free; returns the slot's lease id (for :func:`answered`, which
    the caller must call once the request is answered or failed). Raises ``RateLimited`` when
    the wait would exceed ``max_wait`` (the job is then retried later instead of holding a
    worker)."""
    from host.contract.errors import RateLimited

    waited = 0.0
    while True:
        lease_id, wait = _take_window_slot(engine, key, limit, in_flight=in_flight)
        if lease_id is not None:
            return lease_id
        if waited + wait > max_wait:
            raise RateLimited(
                f"Local rate limit {limit.requests}/{limit.per_seconds:g}s reached", retry_after=wait
            )
        sleep(wait)
        waited += wait


def try_lease(engine: Engine, key: str, max_concurrent: int, ttl: float,
              now: float | None = None) -> int | None:
    """Take an in-flight slot: the lease id, or None when ``max_concurrent`` are taken."""
    return _take_slot(engine, key, max_concurrent, ttl=ttl, now=now)[0]


def _take_slot(engine: Engine, key: str, capacity: int, *, ttl: float,
               now: float | None = None) -> tuple[int | None, float]:
    """A slot among ``capacity`` live leases of ``key`` (each lives ``ttl`` seconds unless
    released): ``(lease id, 0)``, or ``(None, seconds until the first one expires)``."""
    now = time.time() if now is None else now
    lock_key = f"lease-lock:{key}"
    with engine.begin() as conn:
        # the write on the anchor row serializes decisions for this key across processes
        conn.execute(_insert_ignore(engine, lock_key, 0.0, now))
        conn.execute(_table.update().where(_table.c.key == lock_key).values(updated_at=now))
        conn.execute(_leases.delete().where(_leases.c.key == key, _leases.c.expires_at <= now))
        taken, first_expiry = conn.execute(
            sa.select(sa.func.count(), sa.func.min(_leases.c.expires_at))
            .where(_leases.c.key == key)
        ).one()
        if taken >= capacity:
            return None, max(0.001, float(first_expiry) - now)
        lease_id = conn.execute(
            _leases.insert().values(key=key, expires_at=now + ttl).returning(_leases.c.id)
        ).scalar_one()
        return lease_id, 0.0


def release(engine: Engine, lease_id: int) -> None:
    with engine.begin() as conn:
        conn.execute(_leases.delete().where(_leases.c.id == lease_id))


def lease(engine: Engine, key: str, max_concurrent: int, *, ttl: float = 120.0,
          max_wait: float = 120.0, poll: float = 0.05,
          sleep: Callable[[float], None] = time.sleep) -> int:
    """Block until an in-flight slot is free; returns the lease id (give it to :func:`release`)."""
    from host.contract.errors import RateLimited

    deadline = time.monotonic() + max_wait
    delay = poll
    while True:
        lease_id = try_lease(engine, key, max_concurrent, ttl)
        if lease_id is not None:
            return lease_id
        if time.monotonic() + delay > deadline:
            raise RateLimited(f"{max_concurrent} requests already in flight", retry_after=delay)
        sleep(delay)
        delay = min(delay * 2, 1.0)
