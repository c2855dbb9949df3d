"""What the import benchmark measures: every API request a sandbox answered, and a process's
memory high-water mark.

:class:`RequestMeter` is WSGI middleware put around a sandbox app (outside its own request
log, which keeps only the last 1,000): it stamps each request the sandbox answered except its
``/_sandbox/`` control API, with the wall-clock time it arrived, how long the sandbox took and
the status, so the benchmark can count requests per object, find the busiest window of any
length (what the provider's limit counts) and see how much of the import's time the provider
spent answering. :func:`memory_kib` reads a process's resident set and its high-water mark
from ``/proc`` (Linux).
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_left
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Hit:
    """One request the sandbox answered."""

    at: float  #: epoch seconds when it arrived
    seconds: float  #: how long the sandbox took to answer
    method: str
    path: str
    query: str
    status: int


class RequestMeter:
    """WSGI middleware recording a :class:`Hit` per request (``hits(since, until)``)."""

    def __init__(self, app, exempt_prefix: str = "/_sandbox/") -> None:
        self.app = app
        self.exempt_prefix = exempt_prefix
        self._lock = threading.Lock()
        self._hits: list[Hit] = []

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.exempt_prefix):
            return self.app(environ, start_response)
        at, started = time.time(), time.perf_counter()
        seen = {"status": 0}

        def recording_start_response(status, headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            hit = Hit(at, time.perf_counter() - started, environ.get("REQUEST_METHOD", "GET"),
                      path, environ.get("QUERY_STRING", ""), seen["status"])
            with self._lock:
                self._hits.append(hit)

    def hits(self, since: float = 0.0, until: float = float("inf")) -> list[Hit]:
        """The requests that arrived in [since, until], oldest first."""
        with self._lock:
            return [h for h in self._hits if since <= h.at <= until]


def busiest_window(times: list[float], seconds: float) -> int:
    """The most requests in any span of ``seconds`` (closed at the start, open at the end)."""
    times = sorted(times)
    best = 0
    for i, start in enumerate(times):
        best = max(best, bisect_left(times, start + seconds, lo=i) - i)
    return best


def memory_kib(pid: int) -> tuple[int, int]:
    """(resident set, its high-water mark) of process ``pid`` in KiB (``VmRSS``, ``VmHWM``)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values["VmRSS"], values["VmHWM"]
