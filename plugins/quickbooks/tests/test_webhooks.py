"""QuickBooks webhook deliveries: the intuit-signature check and both payload formats.

The bodies and signatures are the reference's samples (shared/reference/quickbooks-online.md
10.5 and S5), signed by Intuit's algorithm over exactly these bytes.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from hookspecs import WEBHOOK_ENTITIES, WEBHOOK_OPERATIONS, ValidationError
from host.integrations.signatures import hmac_sha256_base64
from psa_quickbooks import webhooks

S5_TOKEN = "0f3b7c1e-5d2a-4a8e-9b6c-2e1f4d7a9c30"
S5_LEGACY = (b'{"eventNotifications":[{"realmId":"9341452875912345","dataChangeEvent":{"entities":'
             b'[{"name":"Invoice","id":"1045","operation":"Create","lastUpdated":"2026-03-02T18:04:'
             b'11.000Z"},{"name":"Payment","id":"388","operation":"Create","lastUpdated":"2026-03-0'
             b'2T18:05:40.000Z"}]}}]}')
S5_LEGACY_SIG = "Tjdnu5RmScx71/rKMt0pAmIIgNpTlS6krCOsMcFCK/M="
S5_CLOUD = (b'[{"specversion":"1.0","id":"6f1c2a7e-3b9d-4c55-8e0a-9d2b7c41f0aa","source":"intuit.d'
            b'snBgbseACLLRZNxo2dfc4evmEJdxde58xeeYcZliOU=","type":"qbo.invoice.created.v1","datacon'
            b'tenttype":"application/json","time":"2026-03-02T18:04:11.512Z","intuitentityid":"104'
            b'5","intuitaccountid":"9341452875912345","data":{}}]')
S5_CLOUD_SIG = "Fu13mt1ZFXhzBlos5zpGbGrhLFypw0P5who3ubnDBGE="
SDK_TOKEN = "00faeec4-08d0-4996-bb37-698ae19f0149"
SDK_BODY = (b'{"eventNotifications":[{"realmId":"1269959970","dataChangeEvent":{"entities":[{"name'
            b'":"Vendor","id":"40","operation":"Update","lastUpdated":"2016-10-05T03:09:04.000Z"},{'
            b'"name":"Customer","id":"43","operation":"Create","lastUpdated":"2016-10-05T03:07:04.0'
            b'00Z"}]}}]}')
SDK_SIG = "6q+xGyMirJupwKTh2/WBl2NcdxzxqdIbk3sneKTxLWM="


def config(token=S5_TOKEN):
    return {"QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": token}


# -- signature ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, signature", [(S5_LEGACY, S5_LEGACY_SIG), (S5_CLOUD, S5_CLOUD_SIG)])
def test_hook_verify_webhook_accepts_intuits_signature_of_both_formats(body, signature):
    assert webhooks.verify({"intuit-signature": signature}, body, config()) is True


def test_hook_verify_webhook_matches_intuits_sdk_known_answer():
    assert webhooks.verify({"intuit-signature": SDK_SIG}, SDK_BODY, config(SDK_TOKEN)) is True


def test_hook_verify_webhook_header_name_is_case_insensitive_in_a_plain_dict():
    assert webhooks.verify({"Intuit-Signature": S5_LEGACY_SIG}, S5_LEGACY, config()) is True


def test_hook_verify_webhook_rejects_a_tampered_body():
    tampered = S5_LEGACY.replace(b'"id":"388"', b'"id":"389"')
    assert webhooks.verify({"intuit-signature": S5_LEGACY_SIG}, tampered, config()) is False


def test_hook_verify_webhook_rejects_a_body_reserialized_by_a_json_parser():
    reserialized = json.dumps(json.loads(S5_LEGACY)).encode()  # spaces after separators
    assert reserialized != S5_LEGACY
    assert webhooks.verify({"intuit-signature": S5_LEGACY_SIG}, reserialized, config()) is False


def test_hook_verify_webhook_rejects_another_apps_token():
    assert webhooks.verify({"intuit-signature": S5_LEGACY_SIG}, S5_LEGACY,
                           config(SDK_TOKEN)) is False


@pytest.mark.parametrize("headers", [{}, {"intuit-signature": ""}, {"intuit-signature": "xx"}])
def test_hook_verify_webhook_rejects_a_missing_or_garbled_signature(headers):
    assert webhooks.verify(headers, S5_LEGACY, config()) is False


@pytest.mark.parametrize("cfg", [{}, {"QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": ""},
                                 {"QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": None}])
def test_hook_verify_webhook_without_a_configured_token_refuses_everything(cfg):
    unsigned_but_matching = hmac_sha256_base64("", S5_LEGACY)
    assert webhooks.verify({"intuit-signature": S5_LEGACY_SIG}, S5_LEGACY, cfg) is False
    assert webhooks.verify({"intuit-signature": unsigned_but_matching}, S5_LEGACY, cfg) is False


def test_hook_verify_webhook_never_raises_on_odd_input():
    assert webhooks.verify({"intuit-signature": "é"}, S5_LEGACY, config()) is False
    assert webhooks.verify({"intuit-signature": S5_LEGACY_SIG}, S5_LEGACY, object()) is False


# -- legacy payload -------------------------------------------------------------------------------


def test_hook_parse_webhook_legacy_payment_and_invoice_events():
    events = webhooks.parse({}, S5_LEGACY)
    assert [(e.tenant_id, e.entity, e.entity_id, e.operation) for e in events] == [
        ("9341452875912345", "invoice", "1045", "create"),
        ("9341452875912345", "payment", "388", "create"),
    ]
    assert events[1].occurred_at == datetime(2026, 3, 2, 18, 5, 40, tzinfo=timezone.utc)
    assert events[0].event_id != events[1].event_id


def test_hook_parse_webhook_legacy_several_realms_keep_their_tenant():
    body = json.dumps({"eventNotifications": [
        {"realmId": "111", "dataChangeEvent": {"entities": [
            {"name": "Payment", "id": "5", "operation": "Delete",
             "lastUpdated": "2026-03-02T18:05:40.000Z"}]}},
        {"realmId": "222", "dataChangeEvent": {"entities": [
            {"name": "Invoice", "id": "7", "operation": "Void",
             "lastUpdated": "2026-03-02T18:06:00Z"}]}},
    ]}).encode()
    events = webhooks.parse({}, body)
    assert [(e.tenant_id, e.entity, e.entity_id, e.operation) for e in events] == [
        ("111", "payment", "5", "delete"), ("222", "invoice", "7", "void")]


def test_hook_parse_webhook_legacy_keeps_only_entities_the_vocabulary_names():
    events = webhooks.parse({}, SDK_BODY)  # a Vendor and a Customer change
    assert [(e.entity, e.entity_id, e.operation) for e in events] == [
        ("customer", "43", "create")]
    assert events[0].entity in WEBHOOK_ENTITIES and events[0].operation in WEBHOOK_OPERATIONS


# -- CloudEvents payload --------------------------------------------------------------------------


def test_hook_parse_webhook_cloudevents_sample():
    (event,) = webhooks.parse({}, S5_CLOUD)
    assert (event.tenant_id, event.entity, event.entity_id, event.operation) == (
        "9341452875912345", "invoice", "1045", "create")
    assert event.event_id == "6f1c2a7e-3b9d-4c55-8e0a-9d2b7c41f0aa"
    assert event.occurred_at == datetime(2026, 3, 2, 18, 4, 11, 512000, tzinfo=timezone.utc)


def cloud(**over):
    base = {"specversion": "1.0", "id": "e-1", "source": "intuit.x",
            "type": "qbo.payment.created.v1", "datacontenttype": "application/json",
            "time": "2025-09-10T21:31:25.179851517Z", "intuitentityid": "1234",
            "intuitaccountid": "310687", "data": {}}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


@pytest.mark.parametrize("type_, entity, operation", [
    ("qbo.payment.created.v1", "payment", "create"),
    ("qbo.payment.updated.v1", "payment", "update"),
    ("qbo.payment.deleted.v1", "payment", "delete"),
    ("qbo.payment.voided.v1", "payment", "void"),
    ("qbo.invoice.voided.v1", "invoice", "void"),
    ("qbo.invoice.emailed.v1", "invoice", "update"),
    ("qbo.Invoice.Updated.v1", "invoice", "update"),
    ("qbo.creditmemo.created.v1", "credit_note", "create"),
    ("qbo.customer.merged.v1", "customer", "delete"),
    ("qbo.item.restored.v1", "item", "update"),
])
def test_hook_parse_webhook_cloudevents_type_gives_entity_and_operation(type_, entity, operation):
    (event,) = webhooks.parse({}, json.dumps([cloud(type=type_)]).encode())
    assert (event.entity, event.operation, event.entity_id, event.tenant_id) == (
        entity, operation, "1234", "310687")


def test_hook_parse_webhook_cloudevents_nanosecond_time_is_kept_to_the_microsecond():
    (event,) = webhooks.parse({}, json.dumps([cloud()]).encode())
    assert event.occurred_at == datetime(2025, 9, 10, 21, 31, 25, 179851, tzinfo=timezone.utc)


def test_hook_parse_webhook_cloudevents_several_realms_and_other_entities():
    body = json.dumps([cloud(id="a", intuitaccountid="1"),
                       cloud(id="b", type="qbo.account.created.v1"),
                       cloud(id="c", intuitaccountid="2", type="qbo.invoice.deleted.v1",
                             intuitentityid="9", time=None)]).encode()
    events = webhooks.parse({}, body)
    assert [(e.event_id, e.tenant_id, e.entity, e.operation) for e in events] == [
        ("a", "1", "payment", "create"), ("c", "2", "invoice", "delete")]
    assert events[1].occurred_at is None


def test_hook_parse_webhook_cloudevents_empty_array_has_no_events():
    assert webhooks.parse({}, b"[]") == []


# -- malformed ------------------------------------------------------------------------------------


@pytest.mark.parametrize("body, reason", [
    (b"not json", "the body is not JSON"),
    (b"", "the body is not JSON"),
    (b'"text"', "neither an 'eventNotifications' object nor a CloudEvents array"),
    (b'{"events": []}', "neither an 'eventNotifications' object nor a CloudEvents array"),
    (b'{"eventNotifications": {}}', "'eventNotifications' is not a list"),
    (b'{"eventNotifications": [{"dataChangeEvent": {"entities": []}}]}',
     "notification 1 has no realmId"),
    (b'{"eventNotifications": [{"realmId": "1"}]}',
     "notification 1 has no dataChangeEvent.entities list"),
    (b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": '
     b'[{"name": "Payment", "operation": "Create"}]}}]}',
     "notification 1, entity 1 lacks id"),
    (b'{"eventNotifications": [{"realmId": "1", "dataChangeEvent": {"entities": '
     b'[{"name": "Payment", "id": "3", "operation": "Create", "lastUpdated": "yesterday"}]}}]}',
     "notification 1, entity 1 has an unreadable lastUpdated 'yesterday'"),
    (json.dumps([cloud(intuitaccountid=None)]).encode(), "event 1 lacks intuitaccountid"),
    (json.dumps([cloud(), cloud(intuitentityid="")]).encode(), "event 2 lacks intuitentityid"),
    (json.dumps([cloud(type="com.example.thing")]).encode(),
     "event 1 has an unknown type 'com.example.thing'"),
    (json.dumps([cloud(time="soon")]).encode(), "event 1 has an unreadable time 'soon'"),
    (b'[1]', "event 1 is not an object"),
])
def test_hook_parse_webhook_malformed_payload_says_why(body, reason):
    with pytest.raises(ValidationError) as caught:
        webhooks.parse({}, body)
    assert reason in caught.value.message
    assert caught.value.message.startswith("Malformed QuickBooks webhook")
    assert "/webhooks/quickbooks" in caught.value.fix
    assert caught.value.retryable is False
