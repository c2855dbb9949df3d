"""6. Webhooks: Intent-to-Receive, INVOICE/CONTACT/CREDITNOTE events signed with
x-xero-signature, sequence numbers, retries (payloads checked against xero-webhooks.yaml by the
receiver fixture)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time

import httpx
from flask import Flask, Response

from host.sandbox_kit import ServerThread
from psa_xero.sandbox import UK_TENANT_ID
from psa_xero.sandbox.webhooks import sign

from .conftest import WEBHOOK_KEY


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def test_signature_matches_the_reference_vector():
    body = (b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,'
            b'"entropy":"S0m3r4Nd0mt3xt"}')
    assert sign(WEBHOOK_KEY, body) == "/incrQx3CDW0z5487ulmUxGK2SGZyGraE5biGEBCn4g="


def test_intent_to_receive_passes_for_a_correct_receiver(receiver, control):
    result = control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY}).json()
    assert result["itr"]["passed"] is True
    probes = result["itr"]["probes"]
    assert {p["expected"] for p in probes} == {200, 401}
    assert control.get("/webhook").json()["itr"]["passed"] is True


def test_intent_to_receive_fails_for_a_receiver_that_accepts_everything(control):
    lax = Flask("lax")
    lax.add_url_rule("/hook", "hook", lambda: Response(status=200), methods=["POST"])
    with ServerThread(lax) as srv:
        result = control.post("/webhook", json={"url": f"{srv.url}/hook",
                                                "key": WEBHOOK_KEY}).json()
    assert result["itr"]["passed"] is False
    failing = [p for p in result["itr"]["probes"] if not p["ok"]]
    assert failing and all(not p["signed_correctly"] for p in failing)


def test_no_deliveries_until_itr_passed(xero, control, receiver):
    lax_key = "some-other-key"
    control.post("/webhook", json={"url": receiver.url, "key": lax_key})  # receiver rejects all
    assert control.get("/webhook").json()["itr"]["passed"] is False
    xero.invoice()
    time.sleep(0.2)
    assert receiver.deliveries == []


def test_invoice_and_contact_events_are_signed_and_sequenced(xero, control, receiver):
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    inv = xero.invoice(Contact={"Name": "Webhook Newco"})
    xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"Reference": "changed"}]})
    assert _wait(lambda: len(receiver.events()) >= 3)
    events = receiver.events()
    kinds = [(e["eventCategory"], e["eventType"]) for e in events]
    assert kinds == [("CONTACT", "CREATE"), ("INVOICE", "CREATE"), ("INVOICE", "UPDATE")]
    invoice_event = events[1]
    assert invoice_event["resourceId"] == inv["InvoiceID"]
    assert invoice_event["tenantId"] == UK_TENANT_ID
    assert invoice_event["resourceUrl"].endswith(f"/api.xro/2.0/Invoices/{inv['InvoiceID']}")
    import json

    bodies = [json.loads(d["body"]) for d in receiver.deliveries]
    sequences = [(b["firstEventSequence"], b["lastEventSequence"]) for b in bodies]
    assert sequences[0][0] == 1 and sequences[-1][1] == 3
    assert all(len(b["entropy"]) == 20 for b in bodies)


def test_credit_note_events_carry_type_and_status(xero, control, receiver):
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY,
                                   "categories": ["CREDITNOTE"]})
    from psa_xero.sandbox.seed import sid

    xero.put("CreditNotes", {"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": sid(UK_TENANT_ID, "contact:acme")},
        "Status": "AUTHORISED", "LineItems": [{"Description": "c", "Quantity": 1,
                                               "UnitAmount": 10, "AccountCode": "210"}]}]})
    xero.invoice()  # not subscribed
    assert _wait(lambda: len(receiver.events()) >= 1)
    time.sleep(0.1)
    events = receiver.events()
    assert len(events) == 1
    assert events[0]["data"] == {"Type": "ACCRECCREDIT", "Status": "AUTHORISED"}


def test_failed_deliveries_are_retried(xero, control, receiver):
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    control.post("/clock/scale", json={"time_scale": 1800})  # 15 minutes = 0.5 s
    receiver.fail_next = 2
    inv = xero.invoice()
    assert _wait(lambda: len(receiver.deliveries) >= 3, timeout=8)
    deliveries = control.get("/webhooks").json()["deliveries"]
    mine = [d for d in deliveries if inv["InvoiceID"] in d["body"]]
    assert mine[0]["status"] == "delivered"
    assert [a["status_code"] for a in mine[0]["attempts"]] == [500, 500, 200]


def test_only_connected_tenants_send_events(server, mint, control, receiver):
    from psa_xero.sandbox import US_TENANT_ID

    from .conftest import Xero

    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    other_app = {"client_id": "other-app", "client_secret": "s"}
    control.post("/clients", json=other_app)
    tokens = mint(tenants=[US_TENANT_ID], client_id="other-app")
    from psa_xero.sandbox.seed import sid

    Xero(server.url, tokens["access_token"], US_TENANT_ID).invoice(
        Contact={"ContactID": sid(US_TENANT_ID, "contact:globex")},
        LineItems=[{"Description": "x", "Quantity": 1, "UnitAmount": 5, "AccountCode": "4010"}])
    time.sleep(0.3)
    assert receiver.deliveries == []  # the webhook belongs to xero-demo-client


def test_receiver_signature_check_detects_tampering():
    body = b'{"events":[]}'
    good = base64.b64encode(hmac.new(WEBHOOK_KEY.encode(), body, hashlib.sha256).digest())
    assert sign(WEBHOOK_KEY, body) == good.decode()
    assert sign(WEBHOOK_KEY, body + b" ") != good.decode()


def test_a_day_of_failed_deliveries_disables_the_subscription_until_re_enabled(
        server, xero, control, receiver):
    with socket.socket() as probe:  # a port nobody listens on: every delivery fails at once
        probe.bind(("127.0.0.1", 0))
        dead_url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    control.post("/webhook", json={"url": dead_url, "key": WEBHOOK_KEY, "itr": False})
    control.post("/clock/scale", json={"time_scale": 86400})  # Xero's 24 hours of retries: 1 s
    first = xero.invoice()
    assert _wait(lambda: not control.get("/webhook").json()["enabled"], timeout=20)
    hook = control.get("/webhook").json()
    attempts = [d for d in control.get("/webhooks").json()["deliveries"]
                if first["InvoiceID"] in d["body"]][0]["attempts"]
    assert len(attempts) == 98  # at once, after 1 s, then every 15 minutes for 24 hours
    assert hook["disabled_at"] and hook["held_events"] == 1
    second = xero.invoice()  # raised while disabled: kept, not sent
    assert control.get("/webhook").json()["held_events"] == 2

    # the developer fixes the URL: the subscription stays disabled, nothing is sent yet
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    time.sleep(0.2)
    assert receiver.deliveries == [] and not control.get("/webhook").json()["enabled"]
    page = httpx.get(f"{server.url}/").text
    assert 'id="webhook-disabled"' in page and 'id="webhook-enable"' in page
    assert httpx.post(f"{server.url}/webhook/enable").status_code == 302  # the page's button
    enabled = control.get("/webhook").json()
    assert enabled["enabled"] is True and enabled["held_events"] == 0
    assert _wait(lambda: receiver.events())
    assert [e["resourceId"] for e in receiver.events()] == [first["InvoiceID"], second["InvoiceID"]]
