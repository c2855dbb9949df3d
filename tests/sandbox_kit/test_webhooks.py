import time

import httpx
from flask import Flask, request

from host.sandbox_kit import SandboxClock, ServerThread, WebhookSender, WebhookTarget


def make_receiver(statuses):
    """A receiver answering the given statuses in turn (then 200), recording bodies."""
    app = Flask("receiver")
    received = []

    @app.post("/hook")
    def hook():
        received.append((request.get_data(), dict(request.headers)))
        return "", statuses.pop(0) if statuses else 200

    return app, received


def wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def test_retry_schedule_is_followed_and_time_scaled():
    app, received = make_receiver([500, 503])
    clock = SandboxClock(time_scale=100)  # 10 provider seconds = 0.1 s
    sender = WebhookSender(clock, lambda t, ev: b"[" + b",".join(e.encode() for e in ev) + b"]",
                           lambda t, body: {"x-sig": t.secret}, schedule=(0, 10, 20))
    with ServerThread(app) as server:
        sender.set_target(WebhookTarget("app", server.url + "/hook", secret="s3"))
        sender.start()
        try:
            sender.publish("app", '"a"')
            assert wait_for(lambda: sender.deliveries() and sender.deliveries()[0]["status"] == "delivered")
        finally:
            sender.stop()
    [delivery] = sender.deliveries()
    codes = [a["status_code"] for a in delivery["attempts"]]
    assert codes == [500, 503, 200]
    gaps = [b["at"] - a["at"] for a, b in zip(delivery["attempts"], delivery["attempts"][1:])]
    assert gaps[0] >= 0.09 and gaps[1] >= 0.19  # 10 and 20 provider seconds at scale 100
    assert received[-1][0] == b'["a"]' and received[-1][1]["X-Sig"] == "s3"


def test_gives_up_after_schedule_and_head_of_line_blocking():
    app, received = make_receiver([500, 500, 500])
    clock = SandboxClock()
    sender = WebhookSender(clock, lambda t, ev: str(ev).encode(), lambda t, b: {},
                           schedule=(0, 10, 20))
    with ServerThread(app) as server:
        sender.set_target(WebhookTarget("app", server.url + "/hook"))
        sender.publish("app", 1)
        sender.run_once()
        sender.publish("app", 2)
        sender.run_once()  # first is waiting 10 s; second is held back behind it
        assert [d["status"] for d in sender.deliveries()] == ["pending", "pending"]
        assert len(received) == 1
        clock.advance(10)
        sender.run_once()
        clock.advance(20)
        sender.run_once()
        first, second = sender.deliveries()
        assert first["status"] == "failed" and len(first["attempts"]) == 3
        sender.run_once()
        assert sender.deliveries()[1]["status"] == "delivered"


def test_flush_delivers_batched_events_now():
    app, received = make_receiver([])
    clock = SandboxClock()
    sender = WebhookSender(clock, lambda t, ev: ",".join(ev).encode(), lambda t, b: {},
                           batch_window=3600)
    with ServerThread(app) as server:
        sender.set_target(WebhookTarget("app", server.url + "/hook"))
        sender.publish("app", "x")
        sender.publish("app", "y")
        sender.run_once()
        assert received == []
        [d] = sender.flush()
        assert d["status"] == "delivered" and received[0][0] == b"x,y"


def test_events_buffered_before_webhooks_are_switched_off_are_dropped_not_stuck():
    app, received = make_receiver([])
    clock = SandboxClock()
    sender = WebhookSender(clock, lambda t, ev: ",".join(ev).encode(), lambda t, b: {},
                           batch_window=3600)
    with ServerThread(app) as server:
        sender.set_target(WebhookTarget("app", server.url + "/hook"))
        sender.publish("app", "x")
        sender.set_target(WebhookTarget("app", ""))  # switched off inside the batch window
        assert sender.flush() == []
        sender.set_target(WebhookTarget("app", server.url + "/hook"))
        sender.publish("app", "y")
        [d] = sender.flush()  # nothing pending without a URL holds it back
        assert d["status"] == "delivered" and received[0][0] == b"y"


def test_control_api_targets_and_flush(demo_sandbox):
    app, received = make_receiver([])
    with ServerThread(app) as server:
        url = demo_sandbox.url
        httpx.post(url + "/_sandbox/webhooks/targets", json={"key": "a", "url": server.url + "/hook",
                                                             "secret": "k"})
        demo_sandbox.webhooks.publish("a", {"n": 1})
        data = httpx.post(url + "/_sandbox/webhooks/flush").json()
        assert data["deliveries"][-1]["status"] == "delivered"
        assert received[0][1]["X-Signature"] == f"k:{len(received[0][0])}"
        listing = httpx.get(url + "/_sandbox/webhooks").json()
        assert listing["targets"][0]["secret_set"] is True


def test_on_failed_can_withdraw_what_is_still_queued():
    app, received = make_receiver([500, 500])
    clock = SandboxClock()
    gave_up = []

    def failed(delivery):
        gave_up.append((delivery.events, sender.withdraw("app")))

    sender = WebhookSender(clock, lambda t, ev: str(ev).encode(), lambda t, b: {},
                           schedule=(0, 10), on_failed=failed)
    with ServerThread(app) as server:
        sender.set_target(WebhookTarget("app", server.url + "/hook"))
        sender.publish("app", 1)
        sender.run_once()
        sender.publish("app", 2)
        sender.run_once()  # the second delivery waits behind the first
        clock.advance(10)
        sender.run_once()  # the first fails for good: on_failed takes the second back
        assert gave_up == [([1], [2])]
        assert [d["status"] for d in sender.deliveries()] == ["failed", "withdrawn"]
        sender.run_once()
        assert len(received) == 2 and sender.pending_count() == 0
