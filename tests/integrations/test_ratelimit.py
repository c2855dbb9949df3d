"""Shared rate limits: sliding windows and in-flight leases hold across connections to the same
database (processes)."""

import threading
import time

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


def test_window_allows_the_declared_burst_then_waits_for_the_oldest_to_leave(engines):
    limit = RateLimit(requests=3, per_seconds=60)
    first, second = engines
    waits = [ratelimit.try_take(e, "conn:1:0", limit, now=t)
             for e, t in ((first, 1000.0), (second, 1010.0), (first, 1020.0))]
    assert waits == [0.0, 0.0, 0.0]
    assert ratelimit.try_take(second, "conn:1:0", limit, now=1030.0) == pytest.approx(30.0)
    assert ratelimit.try_take(first, "conn:1:0", limit, now=1060.0) == 0.0  # the first left


def test_no_window_ever_holds_more_than_the_limit(engines):
    """A provider counting 'N per W seconds' never sees N+1 in any W-second span (a token
    bucket would let about 2N through in the first window)."""
    limit = RateLimit(requests=5, per_seconds=60)
    first, _ = engines
    sent, now = [], 0.0
    while now < 300.0:
        wait = ratelimit.try_take(first, "conn:8:0", limit, now=now)
        if wait == 0.0:
            sent.append(now)
            now += 1.0
        else:
            now += wait
    assert len(sent) >= 25
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) == 5


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
    assert ratelimit.acquire(first, "conn:3:0", limit, sleep=slept.append)  # a lease id
    with pytest.raises(RateLimited) as err:
        ratelimit.acquire(first, "conn:3:0", limit, max_wait=1.0, sleep=slept.append)
    assert err.value.retry_after > 1.0 and slept == []


def test_a_slot_counts_until_per_seconds_after_the_answer(engines):
    """The provider stamps a request on arrival: a slow answer must not free the slot early."""
    limit = RateLimit(requests=1, per_seconds=1)
    first, _ = engines
    sent = time.time()
    lease = ratelimit.acquire(first, "conn:4:0", limit)
    ratelimit.answered(first, lease, limit, now=sent + 0.8)  # answered 0.8 s after it was sent
    assert ratelimit.try_take(first, "conn:4:0", limit, now=sent + 1.2) == pytest.approx(0.6)
    assert ratelimit.try_take(first, "conn:4:0", limit, now=sent + 1.8) == 0.0


def test_a_request_unanswered_after_per_seconds_keeps_its_slot_until_after_its_answer(engines):
    """The provider counts a slow request from its arrival until ``per_seconds`` later, which
    may be after ``per_seconds`` from its send: its slot must not free up while it is in flight."""
    limit = RateLimit(requests=1, per_seconds=1)
    first, second = engines
    sent = time.time()
    lease = ratelimit.acquire(first, "conn:5:0", limit, in_flight=30)
    assert ratelimit.try_take(second, "conn:5:0", limit, now=sent + 1.5) > 0  # still no answer
    ratelimit.answered(first, lease, limit, now=sent + 2.0)
    assert ratelimit.try_take(second, "conn:5:0", limit, now=sent + 2.5) == pytest.approx(0.5)
    assert ratelimit.try_take(second, "conn:5:0", limit, now=sent + 3.0) == 0.0


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
        in_flight = sa.text("SELECT count(*) FROM concurrency_leases WHERE key LIKE :k")
        assert c.execute(in_flight, {"k": "%inflight"}).scalar() == 0


def test_a_web_request_waits_briefly_and_says_which_limit_is_used_up(app, connection_factory,
                                                                       db):
    import dataclasses

    import httpx

    from host.integrations.handle import handle_for

    registry = app.extensions["psa_registry"]
    registry._infos["fakeprovider"] = dataclasses.replace(
        registry["fakeprovider"], rate_limits=(RateLimit(requests=1, per_seconds=60),))
    conn = connection_factory()
    app.config["PSA_RATE_LIMIT_MAX_WAIT_WEB"] = 0.5
    ok = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with app.test_request_context("/settings/integrations"):
        handle = handle_for(conn, transport=ok)
        handle.http.get("https://ledger.test/one")
        with pytest.raises(RateLimited) as err:
            handle.http.get("https://ledger.test/two")
    assert err.value.message.startswith(
        "Fake Ledger allows 1 requests per minute for this company, and they are used up")
    assert err.value.fix and 55 <= err.value.retry_after <= 60
