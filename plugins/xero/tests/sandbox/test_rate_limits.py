"""5. Rate limits: per tenant minute/day/concurrent, app-wide minute, headers, time scale."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

from .conftest import Xero


def test_headers_count_down(xero):
    first = xero.get("Organisation")
    second = xero.get("Organisation")
    assert int(first.headers["X-MinLimit-Remaining"]) == 59
    assert int(second.headers["X-MinLimit-Remaining"]) == 58
    assert int(second.headers["X-DayLimit-Remaining"]) == 4998
    assert int(second.headers["X-AppMinLimit-Remaining"]) == 9998


def test_minute_limit_429_then_recovers_after_a_minute(xero, control):
    control.post("/limits", json={"minute": 3})
    for _ in range(3):
        assert xero.get("Organisation").status_code == 200
    limited = xero.get("Organisation")
    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Problem"] == "minute"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.headers["X-MinLimit-Remaining"] == "0"
    # other tenants have their own windows
    assert xero.get("Organisation", tenant=US_TENANT_ID).status_code == 200
    control.post("/clock/advance", json={"seconds": 61})
    assert xero.get("Organisation").status_code == 200


def test_day_limit(xero, control):
    control.post("/limits", json={"day": 2})
    xero.get("Organisation")
    xero.get("Organisation")
    limited = xero.get("Organisation")
    assert limited.status_code == 429 and limited.headers["X-Rate-Limit-Problem"] == "day"
    assert limited.headers["X-DayLimit-Remaining"] == "0"


def test_app_minute_limit_covers_connections_too(server, xero, control):
    control.post("/limits", json={"app_minute": 2})
    xero.get("Organisation")
    xero.get("Organisation", tenant=US_TENANT_ID)
    limited = httpx.get(f"{server.url}/connections",
                        headers={"Authorization": f"Bearer {xero.token}"})
    assert limited.status_code == 429
    assert limited.headers["X-Rate-Limit-Problem"] == "appminute"


def test_concurrent_limit(server, mint, control):
    control.post("/limits", json={"concurrent": 2, "slow_ms": 400})
    token = mint()["access_token"]

    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json",
               "xero-tenant-id": UK_TENANT_ID}

    def one(_):
        return httpx.get(f"{server.url}/api.xro/2.0/Organisation", headers=headers, timeout=10)

    with ThreadPoolExecutor(max_workers=5) as pool:
        results = list(pool.map(one, range(5)))
    codes = sorted(r.status_code for r in results)
    assert codes.count(200) == 2 and codes.count(429) == 3
    problems = {r.headers.get("X-Rate-Limit-Problem") for r in results if r.status_code == 429}
    assert problems == {"concurrent"}


def test_time_scale_makes_minutes_pass_fast(xero, control):
    control.post("/limits", json={"minute": 2})
    control.post("/clock/scale", json={"time_scale": 120})  # a minute lasts half a second
    xero.get("Organisation")
    xero.get("Organisation")
    limited = xero.get("Organisation")
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"  # real seconds
    time.sleep(0.6)
    assert xero.get("Organisation").status_code == 200


def test_injected_rate_limit_fault_has_xero_headers(xero, control):
    control.post("/faults", json={"kind": "rate_limit", "path": "/api.xro/2.0/Invoices",
                                  "headers": {"X-Rate-Limit-Problem": "day"}})
    resp = xero.get("Invoices")
    assert resp.status_code == 429
    assert resp.headers["X-Rate-Limit-Problem"] == "day" and "Retry-After" in resp.headers
    assert xero.get("Invoices").status_code == 200


def test_minute_window_is_fixed_waiting_retry_after_restores_the_whole_limit(xero, control):
    control.post("/limits", json={"minute": 3})
    for _ in range(3):
        assert xero.get("Organisation").status_code == 200
        control.post("/clock/advance", json={"seconds": 10})
    limited = xero.get("Organisation")
    assert limited.status_code == 429 and limited.headers["X-Rate-Limit-Problem"] == "minute"
    wait = int(limited.headers["Retry-After"])
    assert 29 <= wait <= 31  # the window opened with the first call, 30 s ago
    control.post("/clock/advance", json={"seconds": wait})
    answers = [xero.get("Organisation") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.headers["X-MinLimit-Remaining"] for a in answers] == ["2", "1", "0"]
