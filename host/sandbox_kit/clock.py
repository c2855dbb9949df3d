"""An advanceable, time-scaled clock for sandboxes.

Two readings:

- :meth:`SandboxClock.now` is wall-clock time (epoch seconds) plus an offset that the control
  API can advance. Use it for timestamps and expiries (tokens expire after 3600 s of *this*
  time, so a test advances the clock by 3601 s instead of waiting an hour).
- :meth:`SandboxClock.ticks` is provider time for measuring durations: real elapsed time
  multiplied by ``time_scale``, plus the same offset. With ``time_scale=60`` a provider
  "minute" lasts one real second, which is what rate-limit windows and webhook retry schedules
  use, so tests can exercise "wait 60 s" behaviour in one second.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone


class SandboxClock:
    """Wall time plus an advanceable offset; durations scaled by ``time_scale``."""

    def __init__(self, time_scale: float = 1.0, offset: float = 0.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self._lock = threading.Lock()
        self.time_scale = float(time_scale)
        self._offset = float(offset)
        self._mono_start = time.monotonic()

    @property
    def offset(self) -> float:
        """Seconds added by :meth:`advance` since the last :meth:`reset`."""
        return self._offset

    def now(self) -> float:
        """Epoch seconds: real time plus the offset."""
        return time.time() + self._offset

    def now_datetime(self, tz: timezone | None = None) -> datetime:
        """:meth:`now` as an aware datetime (UTC unless ``tz`` is given)."""
        return datetime.fromtimestamp(self.now(), tz or timezone.utc)

    def ticks(self) -> float:
        """Provider seconds since the clock was created: scaled real elapsed time + offset."""
        return (time.monotonic() - self._mono_start) * self.time_scale + self._offset

    def advance(self, seconds: float) -> float:
        """Move both readings forward by ``seconds`` provider seconds; returns the new offset."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            self._offset += float(seconds)
            return self._offset

    def set_time_scale(self, time_scale: float) -> None:
        """Change the scale without making :meth:`ticks` jump."""
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        with self._lock:
            current = (time.monotonic() - self._mono_start) * self.time_scale
            self.time_scale = float(time_scale)
            self._mono_start = time.monotonic() - current / self.time_scale

    def real_seconds(self, provider_seconds: float) -> float:
        """How many real seconds ``provider_seconds`` of provider time take."""
        return provider_seconds / self.time_scale

    def reset(self) -> None:
        """Drop the offset (time_scale is kept)."""
        with self._lock:
            self._offset = 0.0

    def as_dict(self) -> dict:
        return {
            "now": self.now(),
            "now_iso": self.now_datetime().isoformat(),
            "offset": self._offset,
            "time_scale": self.time_scale,
            "ticks": self.ticks(),
        }
