import httpx


def test_request_log_redacts_authorization(demo_sandbox):
    url = demo_sandbox.url
    httpx.post(url + "/items?x=1", json={"a": 1}, headers={"Authorization": "Bearer secret"})
    [entry] = httpx.get(url + "/_sandbox/requests").json()["requests"]
    assert entry["method"] == "POST" and entry["path"] == "/items" and entry["query"] == "x=1"
    assert entry["headers"]["Authorization"] == "<redacted>"
    assert entry["body"] == '{"a":1}' and entry["status"] == 200


def test_control_reset_seed_tokens_clock(demo_sandbox):
    url = demo_sandbox.url
    assert httpx.post(url + "/_sandbox/seed", json={"items": [1, 2]}).json() == {"items": 2}
    assert httpx.post(url + "/_sandbox/tokens", json={"client_id": "c"}).json() == {"access_token": "at-c"}
    clock = httpx.post(url + "/_sandbox/clock/advance", json={"seconds": 90}).json()
    assert clock["offset"] == 90
    assert httpx.post(url + "/_sandbox/clock/advance", json={}).status_code == 400
    assert httpx.post(url + "/_sandbox/reset").json() == {"ok": True}
    assert demo_sandbox.items == [] and demo_sandbox.clock.offset == 0
    assert httpx.get(url + "/_sandbox/").json()["sandbox"]["name"] == "demo"
