"""Point 6: webhooks in both formats, signed, batched, retried on Intuit's schedule."""
import base64
import hashlib
import hmac
import json
import time

import pytest

from psa_quickbooks.sandbox import webhooks

TOKEN = "0f3b7c1e-5d2a-4a8e-9b6c-2e1f4d7a9c30"


def verify(headers, body, token=TOKEN):
    expected = base64.b64encode(hmac.new(token.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, headers["intuit-signature"])


def test_known_answer_signatures_from_the_reference():
    legacy = (b'{"eventNotifications":[{"realmId":"9341452875912345","dataChangeEvent":{"entities":['
              b'{"name":"Invoice","id":"1045","operation":"Create","lastUpdated":"2026-03-02T18:04:11.000Z"},'
              b'{"name":"Payment","id":"388","operation":"Create","lastUpdated":"2026-03-02T18:05:40.000Z"}]}}]}')
    assert webhooks.signature(TOKEN, legacy) == "Tjdnu5RmScx71/rKMt0pAmIIgNpTlS6krCOsMcFCK/M="
    dotnet = (b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name":"Vendor",'
              b'"id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{"name":"Customer",'
              b'"id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.000Z"}]}}]}')
    assert webhooks.signature("00faeec4-08d0-4996-bb37-698ae19f0149", dotnet) == \
        "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


def subscribe(qbo, receiver, fmt="legacy"):
    r = qbo.control("POST", "webhooks/apps", json={"client_id": "qbo-demo-client", "url": receiver.url,
                                                   "verifier_token": TOKEN, "format": fmt})
    assert r.status_code == 200


def test_legacy_notifications_are_signed_and_batched(qbo, receiver):
    subscribe(qbo, receiver)
    cust = qbo.create("Customer", {"DisplayName": "Hooked"})
    inv = qbo.create("Invoice", {"CustomerRef": {"value": cust["Id"]}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 10, "SalesItemLineDetail": {"ItemRef": {"value": "2"}}}]})
    qbo.control("POST", "webhooks/flush")
    deliveries = receiver.wait(1)
    entities = []
    for headers, body in deliveries:
        assert verify(headers, body)
        assert headers["intuit-notification-schema-version"] == "0.1"
        assert headers["content-type"].startswith("application/json")
        payload = json.loads(body)
        [note] = payload["eventNotifications"]
        assert note["realmId"] == qbo.realm
        entities += note["dataChangeEvent"]["entities"]
    assert [(e["name"], e["id"], e["operation"]) for e in entities] == [
        ("Customer", cust["Id"], "Create"), ("Invoice", inv["Id"], "Create")]
    assert entities[0]["lastUpdated"].endswith("Z")


def test_cloudevents_format(qbo, receiver):
    subscribe(qbo, receiver, "cloudevents")
    cust = qbo.create("Customer", {"DisplayName": "Cloudy"})
    qbo.create("Customer", {"Id": cust["Id"], "SyncToken": "0", "sparse": True, "Notes": "n"})
    qbo.control("POST", "webhooks/flush")
    events = [e for headers, body in receiver.wait(1) if verify(headers, body) for e in json.loads(body)]
    assert [e["type"] for e in events] == ["qbo.customer.created.v1", "qbo.customer.updated.v1"]
    assert events[0]["specversion"] == "1.0" and events[0]["intuitaccountid"] == qbo.realm
    assert events[0]["intuitentityid"] == cust["Id"] and events[0]["id"] != events[1]["id"]


def test_only_connected_apps_get_notifications(qbo, receiver):
    subscribe(qbo, receiver)
    qbo.control("POST", "disconnect", json={"realm_id": qbo.realm})
    other = qbo.for_realm("9130000000000003")
    other.create("Customer", {"DisplayName": "Elsewhere"})
    qbo.control("POST", "webhooks/flush")
    bodies = [json.loads(b) for _, b in receiver.wait(1)]
    assert {n["realmId"] for b in bodies for n in b["eventNotifications"]} == {"9130000000000003"}


@pytest.mark.parametrize("qbo_config", [{"SANDBOX_TIME_SCALE": 200, "QBO_WEBHOOK_BATCH_SECONDS": 0}])
def test_retry_schedule(qbo, receiver, qbo_config):
    subscribe(qbo, receiver)
    receiver.statuses = [500, 503, 500]
    qbo.create("Customer", {"DisplayName": "Retried"})
    receiver.wait(4, timeout=5)  # attempts at 0, +0, +10, +20 provider seconds (0.05 s, 0.1 s real)
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        deliveries = qbo.control("GET", "webhooks").json()["deliveries"]
        if deliveries and deliveries[0]["status"] == "delivered":
            break
        time.sleep(0.02)
    [delivery] = deliveries
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 503, 500, 200]
    at = [a["at"] for a in delivery["attempts"]]
    assert at[2] - at[1] >= 10 / 200 * 0.9 and at[3] - at[2] >= 20 / 200 * 0.9
    assert len({body for _, body in receiver.received}) == 1  # same body every attempt


def test_failing_delivery_holds_back_later_ones(qbo, receiver):
    subscribe(qbo, receiver)
    receiver.statuses = [500, 500]  # first attempt and the immediate retry fail; next retry in 10 s
    qbo.create("Customer", {"DisplayName": "First"})
    receiver.wait(2)
    qbo.create("Customer", {"DisplayName": "Second"})
    time.sleep(0.2)
    listing = qbo.control("GET", "webhooks").json()["deliveries"]
    assert [d["status"] for d in listing] == ["pending", "pending"] and len(receiver.received) == 2
    qbo.control("POST", "webhooks/flush")
    listing = qbo.control("GET", "webhooks").json()["deliveries"]
    assert [d["status"] for d in listing] == ["delivered", "delivered"]
    names = [json.loads(b)["eventNotifications"][0]["dataChangeEvent"]["entities"][0]["id"] for _, b in receiver.received[2:]]
    assert len(names) == 2 and names[0] != names[1]


@pytest.mark.parametrize("qbo_config", [{"QBO_WEBHOOK_BATCH_SECONDS": 3600}])
def test_events_are_batched_into_one_delivery(qbo, receiver, qbo_config):
    subscribe(qbo, receiver)
    for name in ("One", "Two", "Three"):
        qbo.create("Customer", {"DisplayName": f"Batched {name}"})
    time.sleep(0.1)
    assert receiver.received == []  # still inside the batch window
    qbo.control("POST", "webhooks/flush")
    [(headers, body)] = receiver.wait(1)
    entities = json.loads(body)["eventNotifications"][0]["dataChangeEvent"]["entities"]
    assert [e["operation"] for e in entities] == ["Create"] * 3 and verify(headers, body)
