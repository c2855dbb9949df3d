"""Shared token buckets: limits hold across connections to the same database (processes)."""

import threading

import pytest
import sqlalchemy as sa

from hookspecs import RateLimit, RateLimited
from host.integrations import ratelimit


@pytest.fixture
def engines(app, db):
    """Two independent engines on the same database file, like two worker processes."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    first, second = sa.create_engine(url), sa.create_engine(url)
    yield first, second
    first.dispose()
    second.dispose()


def test_bucket_allows_the_declared_burst_then_asks_to_wait(engines):
    limit = RateLimit(requests=3, per_seconds=60)
    first, second = engines
    now = 1000.0
    waits = [ratelimit.try_take(e, "conn:1:0", limit, now=now) for e in (first, second, first)]
    assert waits == [0.0, 0.0, 0.0]
    wait = ratelimit.try_take(second, "conn:1:0", limit, now=now)
    assert wait == pytest.approx(20.0)  # one token per 20 s
    assert ratelimit.try_take(first, "conn:1:0", limit, now=now + 20.0) == 0.0


def test_connections_have_separate_buckets_app_scope_is_shared(engines):
    per_conn = RateLimit(requests=1, per_seconds=60)
    app_wide = RateLimit(requests=1, per_seconds=60, scope="app")
    first, _ = engines
    assert ratelimit.bucket_key(per_conn, 0, "qbo", 1) != ratelimit.bucket_key(per_conn, 0, "qbo", 2)
    assert ratelimit.bucket_key(app_wide, 0, "qbo", 1) == ratelimit.bucket_key(app_wide, 0, "qbo", 2)
    assert ratelimit.try_take(first, "conn:1:0", per_conn, now=5.0) == 0.0
    assert ratelimit.try_take(first, "conn:2:0", per_conn, now=5.0) == 0.0


def test_concurrent_takers_never_exceed_the_limit(engines):
    limit = RateLimit(requests=5, per_seconds=3600)
    granted = []

    def take(engine):
        for _ in range(5):
            granted.append(ratelimit.try_take(engine, "conn:9:0", limit, now=50.0) == 0.0)

    threads = [threading.Thread(target=take, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert granted.count(True) == 5


def test_acquire_sleeps_then_gives_up_with_rate_limited(engines):
    limit = RateLimit(requests=1, per_seconds=10)
    slept = []
    first, _ = engines
    assert ratelimit.acquire(first, "conn:3:0", limit, sleep=slept.append) == 0.0
    with pytest.raises(RateLimited) as err:
        ratelimit.acquire(first, "conn:3:0", limit, max_wait=1.0, sleep=slept.append)
    assert err.value.retry_after > 1.0 and slept == []


def test_leases_bound_in_flight_requests_and_expire(engines):
    first, second = engines
    a = ratelimit.try_lease(first, "conn:1:inflight", 2, ttl=30, now=100.0)
    b = ratelimit.try_lease(second, "conn:1:inflight", 2, ttl=30, now=100.0)
    assert a and b and a != b
    assert ratelimit.try_lease(first, "conn:1:inflight", 2, ttl=30, now=101.0) is None
    ratelimit.release(second, a)
    assert ratelimit.try_lease(first, "conn:1:inflight", 2, ttl=30, now=102.0) is not None
    # a crashed worker's lease runs out
    assert ratelimit.try_lease(first, "conn:1:inflight", 2, ttl=30, now=200.0) is not None


def test_handle_never_exceeds_max_concurrency(app, connection_factory, db):
    import dataclasses
    import time

    import httpx

    from host.integrations.handle import handle_for

    registry = app.extensions["psa_registry"]
    registry._infos["fakeprovider"] = dataclasses.replace(registry["fakeprovider"],
                                                          max_concurrency=2)
    conn = connection_factory()
    state = {"now": 0, "peak": 0}
    lock = threading.Lock()

    def answer(request):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
        time.sleep(0.4)  # a slow provider, so requests overlap
        with lock:
            state["now"] -= 1
        return httpx.Response(200, json={})

    handles = [handle_for(conn, transport=httpx.MockTransport(answer)) for _ in range(5)]
    barrier = threading.Barrier(len(handles))

    def call(handle):
        barrier.wait()
        handle.http.get("https://ledger.test/x")

    threads = [threading.Thread(target=call, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert state["peak"] == 2
    with db.engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM concurrency_leases")).scalar() == 0
