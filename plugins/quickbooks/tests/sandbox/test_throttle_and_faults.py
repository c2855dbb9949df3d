"""Points 5 and 8: throttles (per minute, concurrency, batch) and injected faults."""
import threading
import time

import httpx
import pytest

from psa_quickbooks.sandbox import create_app

from host.sandbox_kit import ServerThread

from .conftest import QboApi


def is_throttle(r):
    return r.status_code == 429 and "<Error code=\"3001\">" in r.text and "ThrottleExceeded" in r.text


def test_requests_per_minute_per_realm(qbo):
    qbo.control("POST", "settings", json={"rate_per_minute": 3})
    assert all(qbo.get("preferences").status_code == 200 for _ in range(3))
    r = qbo.get("preferences")
    assert is_throttle(r) and "Retry-After" not in r.headers
    other = qbo.for_realm("9130000000000002")
    assert other.get("preferences").status_code == 200  # per realm
    qbo.control("POST", "clock/advance", json={"seconds": 60})
    assert qbo.get("preferences").status_code == 200


def test_json_throttle_and_retry_after_options(qbo):
    qbo.control("POST", "settings", json={"rate_per_minute": 1, "throttle_format": "json", "retry_after": 60})
    qbo.get("preferences")
    r = qbo.get("preferences")
    assert r.status_code == 429 and r.headers["Retry-After"] == "60"
    assert r.json()["Fault"]["Error"][0]["code"] == "3001"


@pytest.mark.parametrize("qbo_config", [{"SANDBOX_TIME_SCALE": 120, "QBO_RATE_PER_MINUTE": 2}])
def test_time_scale_shortens_the_minute(qbo, qbo_config):
    qbo.get("preferences"), qbo.get("preferences")
    assert is_throttle(qbo.get("preferences"))
    time.sleep(0.55)  # 60 provider seconds at scale 120
    assert qbo.get("preferences").status_code == 200


def test_concurrent_requests_per_realm_and_app(qbo):
    qbo.control("POST", "settings", json={"concurrent_per_realm": 2, "handler_delay_ms": 600})
    results = []
    barrier = threading.Barrier(5)

    def call():
        with httpx.Client(base_url=qbo.base, timeout=10) as c:
            barrier.wait()
            results.append(c.get(qbo.url("preferences"), headers=qbo.headers()).status_code)

    threads = [threading.Thread(target=call) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(200) == 2 and results.count(429) == 3


def test_batch_calls_per_minute(qbo):
    qbo.control("POST", "settings", json={"batch_per_minute": 2})
    body = {"BatchItemRequest": [{"bId": "1", "Query": "SELECT * FROM Term"}]}
    assert qbo.post("batch", body).status_code == 200
    assert qbo.post("batch", body).status_code == 200
    assert is_throttle(qbo.post("batch", body))
    assert qbo.get("preferences").status_code == 200  # other calls unaffected


def test_injected_status_faults_on_next_n(qbo):
    qbo.control("POST", "faults", json={"kind": "status", "method": "POST", "path": "/invoice$", "count": 2,
                                        "status": 503, "body": {"Fault": {"Error": [{"Message": "Service unavailable", "code": "10000"}], "type": "SystemFault"}}})
    body = {"CustomerRef": {"value": "1"}, "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 5,
                                                     "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]}
    assert qbo.post("invoice", body).status_code == 503
    assert qbo.post("invoice", body).status_code == 503
    assert qbo.post("invoice", body).status_code == 200
    qbo.control("POST", "faults", json={"kind": "status", "path": "/preferences", "status": 500})
    assert qbo.get("preferences").status_code == 500
    qbo.control("POST", "faults", json={"kind": "rate_limit", "path": "/preferences"})
    assert is_throttle(qbo.get("preferences"))
    qbo.control("POST", "faults", json={"kind": "latency", "path": "/preferences", "latency_ms": 200})
    r = qbo.get("preferences")
    assert r.status_code == 200 and r.elapsed.total_seconds() >= 0.19
    qbo.control("POST", "faults", json={"kind": "status", "path": "/preferences", "status": 500, "count": 5})
    assert qbo.control("DELETE", "faults").status_code == 200
    assert qbo.get("preferences").status_code == 200


def test_commit_then_drop_and_requestid_retry(qbo):
    qbo.control("POST", "faults", json={"kind": "drop_after_commit", "method": "POST", "path": "/invoice$"})
    body = {"CustomerRef": {"value": "1"}, "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 7,
                                                     "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]}
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        qbo.post("invoice", body, requestid="retry-me")
    assert len(qbo.rows("SELECT * FROM Invoice")) == 1  # the write happened
    again = qbo.post("invoice", body, requestid="retry-me")
    assert again.status_code == 200 and len(qbo.rows("SELECT * FROM Invoice")) == 1
    log = qbo.control("GET", "requests", params={"path": "/invoice", "method": "POST"}).json()["requests"]
    assert [e["status"] for e in log] == [None, 200]
    assert all("requestid=retry-me" in e["query"] for e in log)
    assert log[0]["headers"]["Authorization"] == "<redacted>"


def test_default_limits_match_the_reference():
    app = create_app({"QBO_START_WEBHOOKS": False})
    config = app.extensions["qbo_sandbox"].config
    assert (config["QBO_RATE_PER_MINUTE"], config["QBO_RATE_PER_SECOND"], config["QBO_CONCURRENT_PER_REALM"],
            config["QBO_BATCH_PER_MINUTE"]) == (500, 10, 10, 40)
    with ServerThread(app):
        pass


@pytest.mark.parametrize("qbo_config", [{
    "SANDBOX_TIME_SCALE": 0.001,  # a provider second lasts 1000 real seconds: no race with the window
    "QBO_OAUTH_CLIENTS": {"qbo-demo-client": {"client_secret": "s", "allow_localhost": True},
                          "other-app": {"client_secret": "t", "allow_localhost": True}}}])
def test_ten_requests_per_second_per_realm_and_app(qbo, qbo_config):
    assert all(qbo.get("preferences").status_code == 200 for _ in range(10))
    r = qbo.get("preferences")
    assert is_throttle(r) and "Retry-After" not in r.headers and r.headers["intuit_tid"]
    other_app = QboApi(qbo.base, qbo.realm, client_id="other-app")
    assert other_app.get("preferences").status_code == 200  # per realm *and app*
    qbo.control("POST", "clock/advance", json={"seconds": 1})
    assert qbo.get("preferences").status_code == 200
    other_app.close()
