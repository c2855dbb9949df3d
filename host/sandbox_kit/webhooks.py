"""Outgoing webhooks: batched, signed deliveries sent by a background thread, with retries.

The provider sandbox supplies two callbacks:

- ``render(target, events) -> bytes``: the request body for a batch of events (the provider's
  payload format, possibly chosen per target through ``target.options``);
- ``sign(target, body) -> dict``: the headers to send (signature, content type, ...).

Events published for a target are buffered for ``batch_window`` provider seconds and then become
one *delivery*. A delivery is POSTed; a 2xx answer within ``timeout`` real seconds acknowledges
it; anything else (other status, timeout, connection error) schedules a retry after the next
delay of ``schedule`` (provider seconds, so time-scaled by the clock; after the list runs out the
last delay repeats when ``repeat_last`` is true, else the delivery is marked ``failed`` and
``on_failed(delivery)`` is called: a provider that disables a subscription after persistent
failures does it there, taking back what is still queued with :meth:`WebhookSender.withdraw`).
Deliveries to one target go out in order: a failing delivery holds back later ones
(head-of-line blocking) unless ``in_order=False``.

Every delivery and attempt is kept (bounded) for the control API (``GET /_sandbox/webhooks``).
"""
from __future__ import annotations

import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

import httpx

from .clock import SandboxClock


@dataclass
class WebhookTarget:
    """Where deliveries for one app/client go, and the secret used to sign them."""

    key: str
    url: str
    secret: str = ""
    options: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"key": self.key, "url": self.url, "options": dict(self.options),
                "secret_set": bool(self.secret)}


@dataclass
class Delivery:
    id: int
    target_key: str
    url: str
    body: bytes
    headers: dict
    events: list
    created: float
    next_tick: float
    status: str = "pending"  # pending | delivered | failed | withdrawn
    attempts: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "id": self.id, "target": self.target_key, "url": self.url, "status": self.status,
            "body": self.body.decode("utf-8", "replace"), "headers": self.headers,
            "events": self.events, "created": self.created, "attempts": list(self.attempts),
        }


Render = Callable[[WebhookTarget, list], bytes]
Sign = Callable[[WebhookTarget, bytes], dict]
Failed = Callable[[Delivery], None]


class WebhookSender:
    """Buffers events per target, turns them into signed deliveries and sends them with retries."""

    def __init__(self, clock: SandboxClock, render: Render, sign: Sign, *,
                 schedule: tuple[float, ...] = (0, 10, 20, 30),
                 repeat_last: bool = False, timeout: float = 3.0, batch_window: float = 0.0,
                 in_order: bool = True, keep: int = 500, poll_interval: float = 0.02,
                 on_failed: Failed | None = None) -> None:
        self.clock = clock
        self.render = render
        self.sign = sign
        self.schedule = tuple(schedule)
        self.repeat_last = repeat_last
        self.timeout = timeout
        self.batch_window = batch_window
        self.in_order = in_order
        self.poll_interval = poll_interval
        self.on_failed = on_failed
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()
        self._targets: dict[str, WebhookTarget] = {}
        self._buffers: dict[str, list] = {}
        self._buffer_since: dict[str, float] = {}
        self._deliveries: deque[Delivery] = deque(maxlen=keep)
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._http: httpx.Client | None = None  # one client: a new one costs ~0.1 s (TLS setup)

    # -- targets -------------------------------------------------------------------------------
    def set_target(self, target: WebhookTarget) -> None:
        with self._lock:
            self._targets[target.key] = target

    def remove_target(self, key: str) -> None:
        with self._lock:
            self._targets.pop(key, None)

    def get_target(self, key: str) -> WebhookTarget | None:
        with self._lock:
            return self._targets.get(key)

    def targets(self) -> list[WebhookTarget]:
        with self._lock:
            return list(self._targets.values())

    # -- events --------------------------------------------------------------------------------
    def publish(self, target_key: str, event) -> bool:
        """Buffer one event for a target; returns False when the target has no URL configured."""
        with self._lock:
            target = self._targets.get(target_key)
            if target is None or not target.url:
                return False
            self._buffers.setdefault(target_key, []).append(event)
            self._buffer_since.setdefault(target_key, self.clock.ticks())
        self._wake.set()
        return True

    def _cut_batches(self, force: bool) -> None:
        now = self.clock.ticks()
        with self._lock:
            for key in list(self._buffers):
                events = self._buffers[key]
                target = self._targets.get(key)
                if not events or target is None or not target.url:
                    # no URL any more (webhooks switched off): drop, as publish() does, rather
                    # than queue a delivery that can never go out and blocks later ones
                    self._buffers.pop(key, None)
                    self._buffer_since.pop(key, None)
                    continue
                if not force and now - self._buffer_since[key] < self.batch_window:
                    continue
                body = self.render(target, events)
                headers = self.sign(target, body)
                self._deliveries.append(Delivery(
                    id=next(self._ids), target_key=key, url=target.url, body=body,
                    headers=headers, events=list(events), created=self.clock.now(),
                    next_tick=now + (self.schedule[0] if self.schedule else 0),
                ))
                self._buffers.pop(key)
                self._buffer_since.pop(key)

    # -- sending -------------------------------------------------------------------------------
    def _due(self, force: bool) -> list[Delivery]:
        now = self.clock.ticks()
        picked: list[Delivery] = []
        blocked: set[str] = set()
        with self._lock:
            for d in self._deliveries:
                if d.status != "pending" or d.target_key in blocked:
                    continue
                if self.in_order:
                    blocked.add(d.target_key)
                if force or d.next_tick <= now:
                    picked.append(d)
        return picked

    def _attempt(self, d: Delivery) -> bool:
        started = time.monotonic()
        record = {"at": self.clock.now(), "status_code": None, "error": None}
        try:
            if self._http is None:  # a fresh connection per attempt, as a provider makes
                self._http = httpx.Client(timeout=self.timeout,
                                          limits=httpx.Limits(max_keepalive_connections=0))
            resp = self._http.post(d.url, content=d.body, headers=d.headers)
            record["status_code"] = resp.status_code
            ok = 200 <= resp.status_code < 300
        except httpx.HTTPError as exc:
            record["error"] = f"{type(exc).__name__}: {exc}"
            ok = False
        record["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
        with self._lock:
            d.attempts.append(record)
            if ok:
                d.status = "delivered"
                return True
            retry_index = len(d.attempts)  # schedule[0] was the first attempt's delay
            if retry_index < len(self.schedule):
                d.next_tick = self.clock.ticks() + self.schedule[retry_index]
                return False
            if self.repeat_last and self.schedule:
                d.next_tick = self.clock.ticks() + self.schedule[-1]
                return False
            d.status = "failed"
        if self.on_failed is not None:
            self.on_failed(d)
        return False

    def run_once(self, force: bool = False) -> int:
        """Cut due batches and attempt due deliveries once; returns the number attempted."""
        with self._send_lock:
            self._cut_batches(force)
            due = self._due(force)
            for d in due:
                self._attempt(d)
            return len(due)

    def flush(self) -> list[dict]:
        """Deliver everything pending now, ignoring batch windows and retry delays.

        Each pending delivery is tried once, in order per target (a failure stops that target).
        Returns the deliveries as dicts.
        """
        with self._send_lock:
            self._cut_batches(force=True)
            stopped: set[str] = set()
            with self._lock:
                pending = [d for d in self._deliveries if d.status == "pending"]
            for d in pending:
                if self.in_order and d.target_key in stopped:
                    continue
                if not self._attempt(d):
                    stopped.add(d.target_key)
        return self.deliveries()

    def withdraw(self, target_key: str) -> list:
        """Take back everything not yet sent to a target: the events of its pending deliveries
        (marked ``withdrawn``) and its buffered events, oldest first."""
        with self._lock:
            events: list = []
            for d in self._deliveries:
                if d.target_key == target_key and d.status == "pending":
                    d.status = "withdrawn"
                    events.extend(d.events)
            events.extend(self._buffers.pop(target_key, []))
            self._buffer_since.pop(target_key, None)
            return events

    def deliveries(self) -> list[dict]:
        with self._lock:
            return [d.as_dict() for d in self._deliveries]

    def pending_count(self) -> int:
        with self._lock:
            buffered = sum(len(v) for v in self._buffers.values())
            return buffered + sum(1 for d in self._deliveries if d.status == "pending")

    def reset(self) -> None:
        """Forget deliveries and buffered events (targets are kept)."""
        with self._lock:
            self._deliveries.clear()
            self._buffers.clear()
            self._buffer_since.clear()

    # -- thread --------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
            self._thread = None
        with self._send_lock:
            if self._http is not None:
                self._http.close()
                self._http = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # never let the sender thread die
                pass
            self._wake.wait(self.poll_interval)
            self._wake.clear()
