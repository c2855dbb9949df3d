"""Xero's rate limits on the kit's sliding windows and concurrency gate.

Per app and tenant: 60 calls a minute, 5,000 a day, 5 in flight; per app: 10,000 a minute.
Windows are fixed, as Xero's are: a tenant's minute (or day) opens with its first call and
resets a minute (a day) later, so after waiting exactly ``Retry-After`` the whole limit is back.
They run on the sandbox clock's ``ticks`` (time-scaled); limits are configurable. Every
answer carries ``X-DayLimit-Remaining``, ``X-MinLimit-Remaining`` and
``X-AppMinLimit-Remaining`` (tenant-less calls only the app one); a 429 adds ``Retry-After``
and ``X-Rate-Limit-Problem`` (``minute``, ``day``, ``concurrent`` or ``appminute``).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from flask import Response, jsonify

MINUTE = 60.0
DAY = 86400.0


@dataclass
class LimitConfig:
    minute: int = 60
    day: int = 5000
    concurrent: int = 5
    app_minute: int = 10000
    slow_ms: int = 0  # extra time each API call holds its concurrency slot (for tests)

    def update(self, data: dict) -> None:
        for key, value in data.items():
            if key not in asdict(self):
                raise ValueError(f"unknown limit {key!r}")
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"{key} must be a non-negative integer")
            setattr(self, key, value)


class XeroLimits:
    def __init__(self, kit, client_getter) -> None:
        self.kit = kit
        self.config = LimitConfig()
        self.client = client_getter  # -> client_id of the current request (app key)

    def _retry_after(self, provider_seconds: float) -> int:
        return max(1, math.ceil(self.kit.clock.real_seconds(provider_seconds)))

    def too_many(self, problem: str, retry: float | None, tenant: str | None) -> Response:
        """Xero's 429 for ``problem`` (``minute``, ``day``, ``concurrent``, ``appminute``),
        ``retry`` provider seconds from now."""
        resp = jsonify({"Title": "Too Many Requests", "Status": 429,
                        "Detail": f"Rate limit exceeded: {problem}"})
        resp.status_code = 429
        resp.headers["X-Rate-Limit-Problem"] = problem
        if retry is not None:
            resp.headers["Retry-After"] = str(self._retry_after(retry))
        self.headers(resp, tenant)
        return resp

    def check_app(self) -> Response | None:
        """App-wide minute window only (tenant-less calls such as /connections)."""
        key = ("app", self.client(), "min")
        decision = self.kit.limiter.hit(key, self.config.app_minute, MINUTE)
        if not decision.allowed:
            return self.too_many("appminute", decision.retry_after, None)
        return None

    def check_tenant(self, tenant: str) -> Response | None:
        """Count one call against every window, or answer 429 without counting it."""
        app = self.client()
        windows = [(("app", app, "min"), self.config.app_minute, MINUTE, "appminute"),
                   (("tenant", app, tenant, "min"), self.config.minute, MINUTE, "minute"),
                   (("tenant", app, tenant, "day"), self.config.day, DAY, "day")]
        for key, limit, window, problem in windows:
            if self.kit.limiter.count(key, window) >= limit:
                decision = self.kit.limiter.hit(key, limit, window)  # refused: not recorded
                return self.too_many(problem, decision.retry_after, tenant)
        for key, limit, window, _ in windows:
            self.kit.limiter.hit(key, limit, window)
        return None

    def acquire(self, tenant: str) -> Response | None:
        if self.kit.gate.try_acquire(("tenant", self.client(), tenant), self.config.concurrent):
            return None
        return self.too_many("concurrent", None, tenant)

    def release(self, tenant: str) -> None:
        self.kit.gate.release(("tenant", self.client(), tenant))

    def headers(self, resp: Response, tenant: str | None) -> Response:
        app = self.client()
        used_app = self.kit.limiter.count(("app", app, "min"), MINUTE)
        resp.headers["X-AppMinLimit-Remaining"] = str(max(0, self.config.app_minute - used_app))
        if tenant:
            used_min = self.kit.limiter.count(("tenant", app, tenant, "min"), MINUTE)
            used_day = self.kit.limiter.count(("tenant", app, tenant, "day"), DAY)
            resp.headers["X-MinLimit-Remaining"] = str(max(0, self.config.minute - used_min))
            resp.headers["X-DayLimit-Remaining"] = str(max(0, self.config.day - used_day))
        return resp
