"""Backoff: exponential with jitter, capped, never shorter than Retry-After."""

import random

from host.sync.backoff import backoff_seconds


def test_backoff_grows_exponentially_within_jitter_bounds():
    rng = random.Random(7)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (4, 240)]:
        delay = backoff_seconds(attempt, base=30, maximum=3600, rng=rng)
        assert ceiling * 0.5 <= delay <= ceiling


def test_backoff_is_capped_at_the_maximum():
    delays = [backoff_seconds(20, base=30, maximum=600, rng=random.Random(i)) for i in range(20)]
    assert max(delays) <= 600
    assert min(delays) >= 300


def test_retry_after_wins_over_a_shorter_delay_and_over_the_cap():
    assert backoff_seconds(1, base=1, maximum=10, retry_after=7, rng=random.Random(1)) >= 7
    assert backoff_seconds(1, base=1, maximum=10, retry_after=120) == 120


def test_jitter_spreads_records_that_failed_together():
    delays = {round(backoff_seconds(3, base=30, rng=random.Random(i)), 3) for i in range(10)}
    assert len(delays) > 5


def test_reconcile_schedule_fires_once_per_matching_minute():
    from datetime import datetime

    from huey import crontab

    from host.sync.tasks import once_per_minute

    check = once_per_minute(crontab(minute="*/15"))
    at = datetime(2026, 1, 1, 10, 15, 0)
    assert check(at) is True
    assert check(at.replace(second=30)) is False  # asked again within the minute
    assert check(datetime(2026, 1, 1, 10, 16)) is False
    assert check(datetime(2026, 1, 1, 10, 30)) is True
