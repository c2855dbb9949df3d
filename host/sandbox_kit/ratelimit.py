"""Rate limiting for sandboxes: sliding- and fixed-window counters and a concurrency gate.

Windows are measured in *provider* seconds on :meth:`SandboxClock.ticks`, so with
``time_scale=60`` a "per minute" window lasts one real second, and advancing the clock by 60 s
empties it. Keys are arbitrary hashables: ``("realm", realm_id, "min")``, ``("tenant", t, "day")``,
``"app"``...
"""
from __future__ import annotations

import threading
from collections import defaultdict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Hashable, Iterator

from .clock import SandboxClock


@dataclass(frozen=True)
class Decision:
    """Outcome of :meth:`SlidingWindowLimiter.hit`."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: float  # provider seconds until a slot frees up (0 when allowed)


class FixedWindowLimiter:
    """Counts events per key in fixed windows of ``window`` provider seconds.

    A key's window opens with its first event and closes ``window`` seconds later, whatever
    happened in it; the next event opens a new one. So windows of different keys reset at
    different times, and a client refused until the window's end has the whole ``limit`` again
    when it comes back exactly then. Same interface as :class:`SlidingWindowLimiter`.
    """

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[Hashable, list[float]] = {}  # key -> [opened at, count]

    def _open(self, key: Hashable, window: float, now: float) -> list[float] | None:
        current = self._windows.get(key)
        if current is None or now >= current[0] + window:
            return None
        return current

    def hit(self, key: Hashable, limit: int, window: float) -> Decision:
        """Record one event for ``key`` if its current window holds fewer than ``limit``."""
        now = self.clock.ticks()
        with self._lock:
            current = self._open(key, window, now)
            if current is None:
                current = self._windows[key] = [now, 0]
            if current[1] >= limit:
                return Decision(False, limit, 0, max(0.0, current[0] + window - now))
            current[1] += 1
            return Decision(True, limit, limit - int(current[1]), 0.0)

    def count(self, key: Hashable, window: float) -> int:
        now = self.clock.ticks()
        with self._lock:
            current = self._open(key, window, now)
            return int(current[1]) if current else 0

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


class SlidingWindowLimiter:
    """Counts events per key in a sliding window of ``window`` provider seconds."""

    def __init__(self, clock: SandboxClock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._events: dict[Hashable, deque[float]] = defaultdict(deque)

    def hit(self, key: Hashable, limit: int, window: float) -> Decision:
        """Record one event for ``key`` if fewer than ``limit`` happened in the last ``window``."""
        now = self.clock.ticks()
        with self._lock:
            events = self._events[key]
            while events and events[0] <= now - window:
                events.popleft()
            if len(events) >= limit:
                retry = max(0.0, events[0] + window - now)
                return Decision(False, limit, 0, retry)
            events.append(now)
            return Decision(True, limit, limit - len(events), 0.0)

    def count(self, key: Hashable, window: float) -> int:
        now = self.clock.ticks()
        with self._lock:
            return sum(1 for t in self._events.get(key, ()) if t > now - window)

    def reset(self) -> None:
        with self._lock:
            self._events.clear()


class ConcurrencyGate:
    """At most ``limit`` in-flight requests per key; non-blocking (a refusal is a 429)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inflight: dict[Hashable, int] = defaultdict(int)

    def try_acquire(self, key: Hashable, limit: int) -> bool:
        with self._lock:
            if self._inflight[key] >= limit:
                return False
            self._inflight[key] += 1
            return True

    def release(self, key: Hashable) -> None:
        with self._lock:
            self._inflight[key] = max(0, self._inflight[key] - 1)

    def in_flight(self, key: Hashable) -> int:
        with self._lock:
            return self._inflight.get(key, 0)

    @contextmanager
    def slot(self, key: Hashable, limit: int) -> Iterator[bool]:
        """``with gate.slot(key, 10) as ok:`` -- ``ok`` False means refused (nothing to release)."""
        ok = self.try_acquire(key, limit)
        try:
            yield ok
        finally:
            if ok:
                self.release(key)

    def reset(self) -> None:
        with self._lock:
            self._inflight.clear()
