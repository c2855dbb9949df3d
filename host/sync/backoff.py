"""When to try a retryable sync again: exponential backoff with jitter, honoring Retry-After.

``delay = min(max, base * 2 ** (attempt - 1))`` scaled by a random factor in [0.5, 1.0]
("equal jitter", so many records failing together do not retry together), and never less than
what the provider asked for (``retry_after``), which wins over the cap.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta


def backoff_seconds(
    attempt: int,
    *,
    base: float = 30.0,
    maximum: float = 3600.0,
    retry_after: float | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (``attempt`` counts from 1)."""
    attempt = max(1, attempt)
    ceiling = min(maximum, base * (2 ** min(attempt - 1, 30)))
    factor = (rng or random).uniform(0.5, 1.0)
    delay = ceiling * factor
    if retry_after is not None and retry_after > 0:
        delay = max(delay, float(retry_after))
    return delay


def next_attempt_at(now: datetime, attempt: int, **kwargs) -> datetime:
    return now + timedelta(seconds=backoff_seconds(attempt, **kwargs))
