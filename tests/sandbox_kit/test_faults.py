import httpx
import pytest

from host.sandbox_kit import FaultInjector


def test_rule_count_and_matching():
    inj = FaultInjector()
    inj.add({"kind": "status", "method": "POST", "path": r"/invoice$", "count": 2, "status": 503})
    assert inj.take("GET", "/v3/company/1/invoice") is None
    assert inj.take("POST", "/v3/company/1/customer") is None
    assert inj.take("POST", "/v3/company/1/invoice").status == 503
    assert inj.take("POST", "/v3/company/1/invoice") is not None
    assert inj.take("POST", "/v3/company/1/invoice") is None
    assert inj.rules() == []


def test_unknown_kind_rejected():
    with pytest.raises(ValueError):
        FaultInjector().add({"kind": "explode"})


def test_status_fault_over_http(demo_sandbox):
    url = demo_sandbox.url
    r = httpx.post(url + "/_sandbox/faults", json={"kind": "status", "path": "/items", "status": 500,
                                                   "body": {"Fault": "boom"}, "count": 1})
    assert r.status_code == 201
    r = httpx.get(url + "/items")
    assert r.status_code == 500 and r.json() == {"Fault": "boom"}
    assert httpx.get(url + "/items").status_code == 200


def test_rate_limit_and_latency(demo_sandbox):
    url = demo_sandbox.url
    httpx.post(url + "/_sandbox/faults", json=[{"kind": "rate_limit", "path": "/items"},
                                               {"kind": "latency", "path": "/items", "latency_ms": 150}])
    assert httpx.get(url + "/items").status_code == 429
    r = httpx.get(url + "/items")
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.14


def test_drop_after_commit_is_a_transport_error_but_the_write_happened(demo_sandbox):
    url = demo_sandbox.url
    httpx.post(url + "/_sandbox/faults", json={"kind": "drop_after_commit", "method": "POST",
                                               "path": "/items"})
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        httpx.post(url + "/items", json={"name": "lost response"})
    assert httpx.get(url + "/items").json()["items"] == [{"name": "lost response"}]
    log = httpx.get(url + "/_sandbox/requests", params={"method": "POST"}).json()["requests"]
    assert log[-1]["dropped"] is True and log[-1]["status"] is None


def test_drop_after_commit_with_requests_library(demo_sandbox):
    import requests

    httpx.post(demo_sandbox.url + "/_sandbox/faults", json={"kind": "drop_after_commit", "path": "/items"})
    with pytest.raises(requests.ConnectionError):
        requests.post(demo_sandbox.url + "/items", json={"a": 1}, timeout=5)
    assert len(demo_sandbox.items) == 1
