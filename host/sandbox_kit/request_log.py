"""A bounded, in-memory log of the requests a sandbox received, and the middleware filling it.

Each entry holds method, path, query string, headers (``Authorization`` and cookies redacted),
the request body (decoded as UTF-8 when possible, truncated), the response status and the time.
Tests read it through ``GET /_sandbox/requests`` to assert what a client really sent (e.g. that
a retry reused the same ``requestid``).
"""
from __future__ import annotations

import io
import itertools
import threading
import time
from collections import deque

REDACTED_HEADERS = {"authorization", "cookie", "set-cookie", "proxy-authorization"}
MAX_BODY = 64 * 1024


class RequestLog:
    """Thread-safe ring buffer of request entries (dicts)."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict] = deque(maxlen=maxlen)
        self._ids = itertools.count(1)

    def record(self, *, method: str, path: str, query: str, headers: dict, body: bytes,
               status: int | None, started: float, duration_ms: float, dropped: bool = False) -> dict:
        try:
            text = body[:MAX_BODY].decode("utf-8")
        except UnicodeDecodeError:
            text = f"<{len(body)} bytes>"
        entry = {
            "id": next(self._ids),
            "time": started,
            "method": method,
            "path": path,
            "query": query,
            "headers": redact(headers),
            "body": text,
            "status": None if dropped else status,
            "dropped": dropped,
            "duration_ms": round(duration_ms, 2),
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self, path_contains: str | None = None, method: str | None = None,
                limit: int | None = None) -> list[dict]:
        with self._lock:
            items = list(self._entries)
        if path_contains:
            items = [e for e in items if path_contains in e["path"]]
        if method:
            items = [e for e in items if e["method"] == method.upper()]
        if limit:
            items = items[-limit:]
        return items

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def redact(headers: dict) -> dict:
    """Copy of ``headers`` with credentials replaced by ``"<redacted>"``."""
    return {k: ("<redacted>" if k.lower() in REDACTED_HEADERS else v) for k, v in headers.items()}


class RequestLogMiddleware:
    """WSGI middleware recording every request except those under ``exempt_prefix``.

    Put it *outside* the fault middleware so injected faults are logged with their status.
    """

    def __init__(self, app, log: RequestLog, exempt_prefix: str = "/_sandbox/") -> None:
        self.app = app
        self.log = log
        self.exempt_prefix = exempt_prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.exempt_prefix):
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length > 0 else b""
        environ["wsgi.input"] = io.BytesIO(body)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items() if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["Content-Type"] = environ["CONTENT_TYPE"]
        started = time.time()
        mono = time.monotonic()
        seen: dict = {}

        def logging_start_response(status, response_headers, exc_info=None):
            seen["status"] = int(status.split(" ", 1)[0])
            return start_response(status, response_headers, exc_info)

        try:
            result = self.app(environ, logging_start_response)
        except Exception:
            seen.setdefault("status", 500)
            raise
        finally:
            self.log.record(
                method=environ.get("REQUEST_METHOD", "GET"), path=path,
                query=environ.get("QUERY_STRING", ""), headers=headers, body=body,
                status=seen.get("status"), started=started,
                duration_ms=(time.monotonic() - mono) * 1000,
                dropped=bool(environ.get("sandbox_kit.dropped")),
            )
        return result
