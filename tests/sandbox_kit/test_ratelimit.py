import threading

from host.sandbox_kit import ConcurrencyGate, SandboxClock, SlidingWindowLimiter


def test_sliding_window_per_key_and_clock_advance():
    clock = SandboxClock()
    limiter = SlidingWindowLimiter(clock)
    for _ in range(3):
        assert limiter.hit(("realm", "1"), 3, 60).allowed
    blocked = limiter.hit(("realm", "1"), 3, 60)
    assert not blocked.allowed and 0 < blocked.retry_after <= 60
    assert limiter.hit(("realm", "2"), 3, 60).allowed  # other key unaffected
    clock.advance(61)
    assert limiter.hit(("realm", "1"), 3, 60).allowed


def test_window_is_time_scaled():
    import time

    clock = SandboxClock(time_scale=600)  # a minute lasts 0.1 s
    limiter = SlidingWindowLimiter(clock)
    assert limiter.hit("k", 1, 60).allowed
    assert not limiter.hit("k", 1, 60).allowed
    time.sleep(0.15)
    assert limiter.hit("k", 1, 60).allowed


def test_concurrency_gate():
    gate = ConcurrencyGate()
    assert gate.try_acquire("r", 2) and gate.try_acquire("r", 2)
    assert not gate.try_acquire("r", 2)
    gate.release("r")
    with gate.slot("r", 2) as ok:
        assert ok and gate.in_flight("r") == 2
    assert gate.in_flight("r") == 1


def test_limiter_is_thread_safe():
    limiter = SlidingWindowLimiter(SandboxClock())
    results = []

    def worker():
        for _ in range(50):
            results.append(limiter.hit("k", 100, 60).allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 100


def test_fixed_window_opens_with_the_first_event_and_resets_whole():
    from host.sandbox_kit import FixedWindowLimiter

    clock = SandboxClock()
    limiter = FixedWindowLimiter(clock)
    assert limiter.hit("t1", 3, 60).allowed
    clock.advance(10)
    assert limiter.hit("t1", 3, 60).allowed
    clock.advance(10)
    assert limiter.hit("t1", 3, 60).remaining == 0
    assert limiter.hit("t2", 3, 60).allowed  # another key has its own window (opened now)
    blocked = limiter.hit("t1", 3, 60)
    assert not blocked.allowed and 39 < blocked.retry_after <= 40
    clock.advance(blocked.retry_after)
    assert limiter.count("t1", 60) == 0
    assert [limiter.hit("t1", 3, 60).allowed for _ in range(4)] == [True, True, True, False]
    assert limiter.count("t2", 60) == 1  # t2's window opened 20 s into t1's: still open
