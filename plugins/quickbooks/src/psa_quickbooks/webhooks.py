"""QuickBooks webhooks: the ``intuit-signature`` check and the delivery parser (reference 10).

Intuit signs every delivery with the app's **verifier token** (developer portal > Webhooks):
``intuit-signature`` is the base64 HMAC-SHA256 of the raw body (reference 10.5). The host
answers 401 and stores nothing when :func:`verify` says no.

Two payload formats exist and an app may receive either, depending on a switch in the portal
(reference 10.3 and 10.4), so :func:`parse` accepts both:

* legacy: ``{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [{"name",
  "id", "operation", "lastUpdated"}]}}]}``;
* CloudEvents 1.0: a JSON array of ``{"specversion": "1.0", "id", "type":
  "qbo.<entity>.<verb>.v1", "time", "intuitentityid", "intuitaccountid", ...}``, where
  ``intuitaccountid`` is the realmId and ``intuitentityid`` the entity Id.

Events carry ids only; :mod:`psa_quickbooks.changes` reads what they point at. :func:`parse`
translates QuickBooks' names into the host's vocabulary (``hookspecs.WEBHOOK_ENTITIES`` and
``WEBHOOK_OPERATIONS``): ``Invoice`` -> ``invoice``, ``Payment`` -> ``payment``,
``CreditMemo`` -> ``credit_note``, ``Customer`` -> ``customer``, ``Item`` -> ``item``; an event
about any other entity (Vendor, Account ...) is dropped. ``Emailed`` is an ``update``,
``Merge`` a ``delete`` of the merged-away record, and a verb the vocabulary has no word for is
an ``update`` (the record changed: fetching it reads what it is now). ``fetch_changes`` acts on
``payment`` (money received, also a credit memo applied to an invoice, which QuickBooks books as
a Payment) and ``invoice`` (voided, deleted, edited) events.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from hookspecs import WEBHOOK_ENTITIES, WEBHOOK_OPERATIONS, ValidationError, WebhookEvent
from host.integrations.signatures import verify_signed_delivery
from host.integrations.timestamps import utc_datetime

#: Host configuration key holding the app's webhook verifier token.
VERIFIER_TOKEN_CONFIG = "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"
SIGNATURE_HEADER = "intuit-signature"
#: QBO entity names (lower case: CloudEvents ``type`` spells them so, ``qbo.payment.created.v1``)
#: -> ``WebhookEvent.entity``. Entities not listed are dropped.
ENTITIES = {"invoice": "invoice", "payment": "payment", "creditmemo": "credit_note",
            "customer": "customer", "item": "item"}
#: Legacy operations and CloudEvents verbs (reference 10.4; only ``created`` is confirmed by
#: Intuit, the others follow the documented pattern), lower case -> ``WebhookEvent.operation``.
#: Anything else is an ``update``.
OPERATIONS = {"create": "create", "created": "create", "update": "update", "updated": "update",
              "delete": "delete", "deleted": "delete", "merge": "delete", "merged": "delete",
              "void": "void", "voided": "void", "emailed": "update"}
assert set(ENTITIES.values()) <= set(WEBHOOK_ENTITIES)
assert set(OPERATIONS.values()) <= set(WEBHOOK_OPERATIONS)
MALFORMED_FIX = ("Nothing to change in the PSA: the delivery is kept for inspection and the "
                 "periodic reconciliation still picks up payments. If QuickBooks keeps sending "
                 "such payloads, check that the webhook endpoint in the Intuit developer portal "
                 "points at this PSA's /webhooks/quickbooks.")



def verify(headers: Mapping[str, str], body: bytes, config: Mapping[str, Any]) -> bool:
    """True when ``intuit-signature`` signs exactly ``body`` with the verifier token.

    Without a configured token every delivery is refused (a misconfigured host never accepts
    unsigned deliveries).
    """
    return verify_signed_delivery(headers, SIGNATURE_HEADER, config, VERIFIER_TOKEN_CONFIG, body)


def _malformed(reason: str) -> ValidationError:
    return ValidationError(f"Malformed QuickBooks webhook: {reason}.", fix=MALFORMED_FIX,
                           code="MalformedWebhook")


def _time(value: Any, where: str, field: str, required: bool) -> datetime | None:
    """An event time in UTC (CloudEvents ``time`` has nanoseconds: cut to microseconds)."""
    if value is None or value == "":
        if required:
            raise _malformed(f"{where} has no {field}")
        return None
    if not isinstance(value, str):
        raise _malformed(f"{where} has a {field} that is not a string")
    try:
        return utc_datetime(value)
    except ValueError:
        raise _malformed(f"{where} has an unreadable {field} {value!r}") from None


def _operation(verb: str) -> str:
    """QuickBooks' operation or CloudEvents verb in the host's vocabulary."""
    return OPERATIONS.get(verb.lower(), "update")


def _text(raw: Mapping[str, Any], key: str) -> str | None:
    value = raw.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def _legacy(data: Mapping[str, Any]) -> list[WebhookEvent]:
    notifications = data.get("eventNotifications")
    if not isinstance(notifications, list):
        raise _malformed("'eventNotifications' is not a list")
    events: list[WebhookEvent] = []
    for n, notification in enumerate(notifications, start=1):
        where = f"notification {n}"
        if not isinstance(notification, dict):
            raise _malformed(f"{where} is not an object")
        realm = _text(notification, "realmId")
        if not realm:
            raise _malformed(f"{where} has no realmId")
        change = notification.get("dataChangeEvent")
        entities = change.get("entities") if isinstance(change, dict) else None
        if not isinstance(entities, list):
            raise _malformed(f"{where} has no dataChangeEvent.entities list")
        for e, entity in enumerate(entities, start=1):
            at = f"{where}, entity {e}"
            if not isinstance(entity, dict):
                raise _malformed(f"{at} is not an object")
            missing = [k for k in ("name", "id", "operation") if not _text(entity, k)]
            if missing:
                raise _malformed(f"{at} lacks {', '.join(missing)}")
            occurred = _time(entity.get("lastUpdated"), at, "lastUpdated", required=False)
            name = _text(entity, "name")
            canonical = ENTITIES.get(name.lower())
            if canonical is None:
                continue
            operation = _operation(_text(entity, "operation"))
            ident = _text(entity, "id")
            events.append(WebhookEvent(
                tenant_id=realm, entity=canonical, entity_id=ident, operation=operation,
                # legacy events carry no id of their own
                event_id=":".join((realm, canonical, ident, operation,
                                   str(entity.get("lastUpdated") or ""))),
                occurred_at=occurred,
            ))
    return events


def _cloudevents(items: list) -> list[WebhookEvent]:
    events: list[WebhookEvent] = []
    for i, item in enumerate(items, start=1):
        where = f"event {i}"
        if not isinstance(item, dict):
            raise _malformed(f"{where} is not an object")
        missing = [k for k in ("type", "intuitaccountid", "intuitentityid") if not _text(item, k)]
        if missing:
            raise _malformed(f"{where} lacks {', '.join(missing)}")
        kind = _text(item, "type")
        parts = kind.split(".")
        if len(parts) < 3 or parts[0].lower() != "qbo":
            raise _malformed(f"{where} has an unknown type {kind!r} (expected "
                             "qbo.<entity>.<verb>.v1)")
        occurred = _time(item.get("time"), where, "time", required=False)
        canonical = ENTITIES.get(parts[1].lower())
        if canonical is None:
            continue
        operation = _operation(parts[2])
        realm, ident = _text(item, "intuitaccountid"), _text(item, "intuitentityid")
        events.append(WebhookEvent(
            tenant_id=realm, entity=canonical, entity_id=ident, operation=operation,
            event_id=_text(item, "id") or ":".join((realm, canonical, ident, operation,
                                                     str(item.get("time") or ""))),
            occurred_at=occurred,
        ))
    return events


def parse(headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    """The events of a verified delivery, in either format, in the host's vocabulary.

    :raises ValidationError: the body is not JSON, or not one of the two formats, or an event
        lacks its realm, entity, id or operation (the reason names which one).
    """
    try:
        data = json.loads(body)
    except (TypeError, ValueError, UnicodeDecodeError):
        raise _malformed("the body is not JSON") from None
    if isinstance(data, list):
        return _cloudevents(data)
    if isinstance(data, dict) and "eventNotifications" in data:
        return _legacy(data)
    if isinstance(data, dict) and "specversion" in data:  # a single CloudEvent, unbatched
        return _cloudevents([data])
    raise _malformed("neither an 'eventNotifications' object nor a CloudEvents array")


__all__ = ["ENTITIES", "SIGNATURE_HEADER", "VERIFIER_TOKEN_CONFIG", "parse", "verify"]
