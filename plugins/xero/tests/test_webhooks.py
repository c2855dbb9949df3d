"""Xero webhooks: the x-xero-signature check and the delivery parser (unit tests).

Vectors from shared/reference/xero.md S4 (computed there with Python and with openssl).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from hookspecs import WEBHOOK_ENTITIES, WEBHOOK_OPERATIONS, ValidationError
from psa_xero import webhooks

KEY = "TEST-ONLY-webhook-key-1234567890abcdef"
CONFIG = {"XERO_WEBHOOK_KEY": KEY}
EVENT_BODY = (
    b'{"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/Invoices/3f6d9a52-7c1e-4b8a-'
    b'9d0e-2a4b6c8e1f01","resourceId":"3f6d9a52-7c1e-4b8a-9d0e-2a4b6c8e1f01","eventDateUtc":'
    b'"2026-03-10T09:15:42.517","eventType":"UPDATE","eventCategory":"INVOICE","tenantId":'
    b'"c2cc9b6e-9458-4c7d-93cc-f02b81b0594f","tenantType":"ORGANISATION"}],'
    b'"firstEventSequence":42,"lastEventSequence":42,"entropy":"QWERTYUIOPASDFGHJKLZ"}'
)
EVENT_SIGNATURE = "9FgGRv8Y4EJt15Wb3G6l1LcLxSjfVA75UhMlBKnh68Q="
ITR_BODY = b'{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"S0m3r4Nd0mt3xt"}'
ITR_SIGNATURE = "/incrQx3CDW0z5487ulmUxGK2SGZyGraE5biGEBCn4g="


def test_hook_verify_webhook_accepts_xeros_signature():
    assert len(EVENT_BODY) == 407
    assert webhooks.verify({"x-xero-signature": EVENT_SIGNATURE}, EVENT_BODY, CONFIG) is True


def test_hook_verify_webhook_header_name_is_case_insensitive():
    assert webhooks.verify({"X-Xero-Signature": EVENT_SIGNATURE}, EVENT_BODY, CONFIG) is True


def test_hook_verify_webhook_accepts_a_correctly_signed_itr_probe():
    assert webhooks.verify({"x-xero-signature": ITR_SIGNATURE}, ITR_BODY, CONFIG) is True


@pytest.mark.parametrize("signature", [
    ITR_SIGNATURE,                       # another body's signature
    EVENT_SIGNATURE[:-2] + "A=",         # one character off
    "",                                  # empty header
    "not base64 at all",
])
def test_hook_verify_webhook_refuses_a_bad_signature(signature):
    assert webhooks.verify({"x-xero-signature": signature}, EVENT_BODY, CONFIG) is False


def test_hook_verify_webhook_refuses_a_body_changed_by_one_byte():
    changed = EVENT_BODY.replace(b'"UPDATE"', b'"CREATE"')
    assert webhooks.verify({"x-xero-signature": EVENT_SIGNATURE}, changed, CONFIG) is False


def test_hook_verify_webhook_refuses_a_reserialized_body():
    # Frameworks that parse and re-dump JSON break the signature (reference 12.13).
    redumped = json.dumps(json.loads(EVENT_BODY)).encode()
    assert webhooks.verify({"x-xero-signature": EVENT_SIGNATURE}, redumped, CONFIG) is False


def test_hook_verify_webhook_refuses_everything_without_a_configured_key():
    assert webhooks.verify({"x-xero-signature": EVENT_SIGNATURE}, EVENT_BODY, {}) is False
    assert webhooks.verify({"x-xero-signature": EVENT_SIGNATURE}, EVENT_BODY,
                           {"XERO_WEBHOOK_KEY": ""}) is False


def test_hook_verify_webhook_refuses_a_delivery_without_the_header():
    assert webhooks.verify({}, EVENT_BODY, CONFIG) is False


def test_hook_verify_webhook_uses_the_configured_key_only():
    other = {"XERO_WEBHOOK_KEY": KEY + "-rotated"}
    assert webhooks.verify({"x-xero-signature": EVENT_SIGNATURE}, EVENT_BODY, other) is False


def test_hook_parse_webhook_itr_probe_has_no_events():
    assert webhooks.parse({}, ITR_BODY) == []


def test_hook_parse_webhook_reads_an_invoice_event():
    [event] = webhooks.parse({}, EVENT_BODY)
    assert event.tenant_id == "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f"
    assert event.entity == "invoice"
    assert event.entity_id == "3f6d9a52-7c1e-4b8a-9d0e-2a4b6c8e1f01"
    assert event.operation == "update"
    assert event.occurred_at == datetime(2026, 3, 10, 9, 15, 42, 517000, tzinfo=timezone.utc)
    assert event.event_id == ("c2cc9b6e-9458-4c7d-93cc-f02b81b0594f:3f6d9a52-7c1e-4b8a-9d0e-"
                              "2a4b6c8e1f01:2026-03-10T09:15:42.517:UPDATE")


def _body(*events, **top) -> bytes:
    data = {"events": list(events), "firstEventSequence": 1, "lastEventSequence": len(events),
            "entropy": "ABCDEFGHIJ"}
    data.update(top)
    return json.dumps(data).encode()


def _event(**over) -> dict:
    event = {"resourceUrl": "https://api.xero.com/api.xro/2.0/Invoices/inv-1",
             "resourceId": "inv-1", "eventDateUtc": "2026-03-10T09:15:42.517Z",
             "eventType": "CREATE", "eventCategory": "INVOICE", "tenantId": "tenant-a",
             "tenantType": "ORGANISATION"}
    event.update(over)
    return event


def test_hook_parse_webhook_keeps_each_events_own_tenant_and_category():
    body = _body(_event(), _event(eventCategory="CREDITNOTE", resourceId="cn-1",
                                  tenantId="tenant-b", eventType="UPDATE",
                                  data={"Type": "ACCRECCREDIT", "Status": "PAID"}),
                 _event(eventCategory="CONTACT", resourceId="c-1"))
    events = webhooks.parse({}, body)
    assert [(e.tenant_id, e.entity, e.entity_id, e.operation) for e in events] == [
        ("tenant-a", "invoice", "inv-1", "create"),
        ("tenant-b", "credit_note", "cn-1", "update"),
        ("tenant-a", "customer", "c-1", "create"),
    ]
    # the sandbox's zone suffix and Xero's zone-less form mean the same instant
    assert events[0].occurred_at == datetime(2026, 3, 10, 9, 15, 42, 517000, tzinfo=timezone.utc)


def test_hook_parse_webhook_leaves_out_subscription_events():
    body = _body(_event(eventCategory="SUBSCRIPTION", tenantType="APPLICATION"), _event())
    assert [e.entity for e in webhooks.parse({}, body)] == ["invoice"]


@pytest.mark.parametrize("event_type, operation", [
    ("CREATE", "create"), ("UPDATE", "update"), ("DELETE", "delete"), ("ARCHIVE", "update")])
def test_hook_parse_webhook_speaks_the_hosts_vocabulary(event_type, operation):
    [event] = webhooks.parse({}, _body(_event(eventType=event_type)))
    assert (event.entity, event.operation) == ("invoice", operation)
    assert event.entity in WEBHOOK_ENTITIES and event.operation in WEBHOOK_OPERATIONS


@pytest.mark.parametrize("body, reason", [
    (b"", "not JSON"),
    (b"<xml/>", "not JSON"),
    (b"[]", "not a JSON object"),
    (b'{"entropy":"x"}', "'events' is missing"),
    (b'{"events":{}}', "'events' is missing or not a list"),
    (b'{"events":[42]}', "event 1 is not an object"),
    (_body(_event(tenantId=None)), "event 1 lacks tenantId"),
    (_body(_event(), _event(resourceId="")), "event 2 lacks resourceId"),
    (_body({"eventCategory": "INVOICE"}), "lacks tenantId, eventType, resourceId, eventDateUtc"),
    (_body(_event(eventDateUtc="yesterday")), "unreadable eventDateUtc"),
])
def test_hook_parse_webhook_malformed_payload_is_a_validation_error(body, reason):
    with pytest.raises(ValidationError) as caught:
        webhooks.parse({}, body)
    assert reason in caught.value.message
    assert caught.value.message.startswith("Malformed Xero webhook")
    assert caught.value.fix and "/webhooks/xero" in caught.value.fix
    assert caught.value.retryable is False


# -- through the host's POST /webhooks/xero -----------------------------------------------------


def test_hook_verify_webhook_the_host_answers_xeros_intent_to_receive_probes(app):
    client = app.test_client()
    key = app.config["XERO_WEBHOOK_KEY"]
    from host.integrations.signatures import hmac_sha256_base64

    good = client.post("/webhooks/xero", data=ITR_BODY, headers={
        "x-xero-signature": hmac_sha256_base64(key, ITR_BODY),
        "Content-Type": "application/json"})
    assert (good.status_code, good.data) == (200, b"")
    assert "Set-Cookie" not in good.headers
    bad = client.post("/webhooks/xero", data=ITR_BODY, headers={
        "x-xero-signature": hmac_sha256_base64(key + "-not-ours", ITR_BODY),
        "Content-Type": "application/json"})
    assert (bad.status_code, bad.data) == (401, b"")
    assert "Set-Cookie" not in bad.headers


def test_hook_parse_webhook_a_malformed_delivery_is_kept_failed_with_the_reason(app):
    import sqlalchemy as sa

    from host.extensions import db
    from host.integrations.signatures import hmac_sha256_base64
    from host.models.webhook_delivery import WebhookDelivery
    from host.sync.deliveries import process_delivery

    body = _body(_event(tenantId=""))
    resp = app.test_client().post("/webhooks/xero", data=body, headers={
        "x-xero-signature": hmac_sha256_base64(app.config["XERO_WEBHOOK_KEY"], body)})
    assert resp.status_code == 200  # signed by Xero: stored, answered at once
    with app.app_context():
        delivery = db.session.scalars(sa.select(WebhookDelivery).filter_by(
            provider_key="xero")).one()
        assert process_delivery(delivery.id) == "failed"
        db.session.refresh(delivery)
        assert delivery.error == ("Malformed payload: Malformed Xero webhook: event 1 lacks "
                                  "tenantId.")
        assert delivery.body == body
