"""Fault injection: rules that make the next N matching requests fail in a chosen way.

A rule matches on HTTP method (``"*"`` for any) and a regular expression searched in the
request path. Each match consumes one of its ``count`` uses (``count=None`` means forever).
Kinds:

``status``
    Answer with ``status`` / ``body`` / ``headers`` without running the handler
    (e.g. 500, 503 with a provider-shaped body).
``rate_limit``
    Answer 429, shaped by the provider's ``rate_limit_response`` callback unless the rule
    gives an explicit ``body``.
``latency``
    Sleep ``latency_ms`` then run the handler normally.
``drop_after_commit``
    Run the handler to completion (the write is committed), then shut the TCP connection down
    without sending a response. Clients see a transport error (``httpx.RemoteProtocolError``,
    ``requests.ConnectionError``), never an HTTP status. Needs the werkzeug server (it uses
    ``environ["werkzeug.socket"]``), which is what :class:`~host.sandbox_kit.serving.ServerThread`
    and ``flask run`` use.

Every kind may also carry ``latency_ms``, applied before anything else. Control-API paths
(``/_sandbox/``) are never faulted.
"""
from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

KINDS = ("status", "rate_limit", "latency", "drop_after_commit")

#: ``callback(rule, environ) -> (status, headers, body_bytes)`` shaping a 429 the provider's way.
RateLimitShaper = Callable[["FaultRule", dict], tuple[int, list[tuple[str, str]], bytes]]


@dataclass
class FaultRule:
    """One fault rule; see the module docstring for the kinds."""

    kind: str
    path: str = ".*"
    method: str = "*"
    count: int | None = 1
    status: int | None = None
    body: object = None
    headers: dict = field(default_factory=dict)
    latency_ms: int = 0
    id: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {KINDS}")
        self.method = (self.method or "*").upper()
        self._regex = re.compile(self.path or ".*")
        if self.count is not None and int(self.count) < 1:
            raise ValueError("count must be >= 1 (or null for unlimited)")

    @classmethod
    def from_dict(cls, data: dict) -> "FaultRule":
        known = {"kind", "path", "method", "count", "status", "body", "headers", "latency_ms"}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        return cls(**data)

    def matches(self, method: str, path: str) -> bool:
        return (self.method == "*" or self.method == method.upper()) and bool(
            self._regex.search(path)
        )

    def body_bytes(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return json.dumps(self.body).encode("utf-8")

    def as_dict(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "path": self.path, "method": self.method,
            "count": self.count, "status": self.status, "body": self.body,
            "headers": self.headers, "latency_ms": self.latency_ms, "hits": self.hits,
        }


class FaultInjector:
    """Thread-safe list of :class:`FaultRule`; :meth:`take` finds and consumes a match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, rule: FaultRule | dict) -> FaultRule:
        if isinstance(rule, dict):
            rule = FaultRule.from_dict(rule)
        with self._lock:
            rule.id = next(self._ids)
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def rules(self) -> list[dict]:
        with self._lock:
            return [r.as_dict() for r in self._rules]

    def take(self, method: str, path: str) -> FaultRule | None:
        """Return the first rule matching the request and consume one of its uses."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count <= 0:
                            self._rules.remove(rule)
                    return rule
        return None


def _default_rate_limit(rule: FaultRule, environ: dict):
    body = json.dumps({"error": "rate_limited"}).encode()
    return 429, [("Content-Type", "application/json")], body


class FaultMiddleware:
    """WSGI middleware applying a :class:`FaultInjector` to every non-control request."""

    def __init__(self, app, injector: FaultInjector, rate_limit_response: RateLimitShaper | None = None,
                 exempt_prefix: str = "/_sandbox/") -> None:
        self.app = app
        self.injector = injector
        self.rate_limit_response = rate_limit_response or _default_rate_limit
        self.exempt_prefix = exempt_prefix

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(self.exempt_prefix):
            return self.app(environ, start_response)
        rule = self.injector.take(environ.get("REQUEST_METHOD", "GET"), path)
        if rule is None:
            return self.app(environ, start_response)
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000.0)
        if rule.kind == "latency":
            return self.app(environ, start_response)
        if rule.kind == "status":
            return self._respond(start_response, rule.status or 500, rule.headers, rule.body_bytes())
        if rule.kind == "rate_limit":
            if rule.body is not None:
                return self._respond(start_response, rule.status or 429, rule.headers, rule.body_bytes())
            status, headers, body = self.rate_limit_response(rule, environ)
            merged = dict(headers)
            merged.update(rule.headers)
            return self._respond(start_response, status, merged, body)
        return self._drop_after_commit(environ, start_response)

    @staticmethod
    def _respond(start_response, status: int, headers, body: bytes) -> Iterable[bytes]:
        items = list(headers.items()) if isinstance(headers, dict) else list(headers)
        if not any(k.lower() == "content-type" for k, _ in items):
            items.append(("Content-Type", "application/json"))
        items.append(("Content-Length", str(len(body))))
        start_response(f"{status} {_reason(status)}", items)
        return [body]

    def _drop_after_commit(self, environ, start_response):
        # Run the real handler and drain its body so every side effect has happened.
        captured: list = []

        def fake_start_response(status, headers, exc_info=None):
            captured.append(status)
            return lambda data: None

        result = self.app(environ, fake_start_response)
        try:
            for _ in result:
                pass
        finally:
            close = getattr(result, "close", None)
            if close:
                close()
        drop_connection(environ)
        # Werkzeug now fails to write the response and treats it as a dropped connection.
        start_response("500 Connection Dropped", [("Content-Length", "0")])
        return [b""]


def drop_connection(environ: dict) -> None:
    """Shut the client's TCP connection down without an answer (the handler has run, so its
    write is committed): the client sees a transport error. Marks the request log entry
    ``dropped``. Usable from a provider's own handler too (a fault it decides itself)."""
    sock = environ.get("werkzeug.socket")
    if sock is None:
        raise RuntimeError("dropping a connection needs the werkzeug server (no werkzeug.socket)")
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    environ["sandbox_kit.dropped"] = True


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
