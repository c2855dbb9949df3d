"""Xero webhooks: the ``x-xero-signature`` check and the delivery parser.

Xero signs each delivery with the app's webhook key: ``x-xero-signature`` is the base64
HMAC-SHA256 of the raw body (reference 10.3). The host answers 401 when :func:`verify` says no
and 200 with an empty body otherwise, which is exactly what Xero's Intent-to-Receive check asks
for (a correctly signed ``"events": []`` probe gets 200, a badly signed one 401).

Events are thin (reference 10.2): category (``INVOICE``, ``CREDITNOTE``, ``CONTACT``), type
(``CREATE``/``UPDATE``), the resource id and the tenant. :func:`parse` keeps them as
:class:`WebhookEvent` in the host's vocabulary (``hookspecs.WEBHOOK_ENTITIES`` and
``WEBHOOK_OPERATIONS``): ``INVOICE`` -> ``invoice``, ``CREDITNOTE`` -> ``credit_note``,
``CONTACT`` -> ``customer``; ``CREATE`` / ``UPDATE`` / ``DELETE`` -> ``create`` / ``update`` /
``delete``, and a type the vocabulary has no word for is an ``update`` (fetching the resource
reads what it is now). :mod:`psa_xero.changes` fetches what they point at. There is no PAYMENT
category: a payment shows up as an ``invoice`` ``update`` of the invoice it pays.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Mapping

from hookspecs import WEBHOOK_ENTITIES, WEBHOOK_OPERATIONS, ValidationError, WebhookEvent
from host.integrations.signatures import verify_signed_delivery
from host.integrations.timestamps import utc_datetime

#: Host configuration key holding the webhook key from Xero's developer portal.
WEBHOOK_KEY_CONFIG = "XERO_WEBHOOK_KEY"
SIGNATURE_HEADER = "x-xero-signature"
#: Xero event categories -> ``WebhookEvent.entity``; others (SUBSCRIPTION ...) are left out.
CATEGORIES = {"INVOICE": "invoice", "CREDITNOTE": "credit_note", "CONTACT": "customer"}
REQUIRED = ("tenantId", "eventCategory", "eventType", "resourceId", "eventDateUtc")
#: Xero event types -> ``WebhookEvent.operation``; any other type is an ``update``.
OPERATIONS = {"CREATE": "create", "UPDATE": "update", "DELETE": "delete"}
assert set(CATEGORIES.values()) <= set(WEBHOOK_ENTITIES)
assert set(OPERATIONS.values()) <= set(WEBHOOK_OPERATIONS)
MALFORMED_FIX = ("Nothing to change in the PSA: the delivery is kept for inspection. If Xero "
                 "keeps sending such payloads, check the webhook URL in the Xero developer "
                 "portal points at this PSA's /webhooks/xero.")



def verify(headers: Mapping[str, str], body: bytes, config: Mapping[str, Any]) -> bool:
    """True when ``x-xero-signature`` signs exactly ``body`` with ``XERO_WEBHOOK_KEY``.

    Without a configured key every delivery is refused (Xero then shows the subscription as
    failing), never accepted unsigned.
    """
    return verify_signed_delivery(headers, SIGNATURE_HEADER, config, WEBHOOK_KEY_CONFIG, body)


def _malformed(reason: str) -> ValidationError:
    return ValidationError(f"Malformed Xero webhook: {reason}.", fix=MALFORMED_FIX,
                           code="MalformedWebhook")


def _event_time(value: Any, index: int) -> datetime:
    """``eventDateUtc`` ("2026-03-10T09:15:42.517", no zone; the sandbox adds ``Z``) in UTC."""
    if not isinstance(value, str) or not value:
        raise _malformed(f"event {index} has no eventDateUtc")
    try:
        return utc_datetime(value)
    except ValueError:
        raise _malformed(f"event {index} has an unreadable eventDateUtc {value!r}") from None


def parse(headers: Mapping[str, str], body: bytes) -> list[WebhookEvent]:
    """The events of a verified delivery (empty for an Intent-to-Receive probe).

    :raises ValidationError: the body is not Xero's webhook JSON, or an event lacks a required
        field (tenantId, eventCategory, eventType, resourceId, eventDateUtc).
    """
    try:
        data = json.loads(body)
    except (TypeError, ValueError, UnicodeDecodeError):
        raise _malformed("the body is not JSON") from None
    if not isinstance(data, dict):
        raise _malformed("the body is not a JSON object")
    events = data.get("events")
    if not isinstance(events, list):
        raise _malformed("'events' is missing or not a list")
    parsed: list[WebhookEvent] = []
    for index, raw in enumerate(events, start=1):
        if not isinstance(raw, dict):
            raise _malformed(f"event {index} is not an object")
        missing = [f for f in REQUIRED if not isinstance(raw.get(f), str) or not raw.get(f)]
        if missing:
            raise _malformed(f"event {index} lacks {', '.join(missing)}")
        category = raw["eventCategory"].upper()
        occurred = _event_time(raw["eventDateUtc"], index)
        if category not in CATEGORIES:
            continue  # e.g. SUBSCRIPTION (App Store): not about an organisation's documents
        event_type = raw["eventType"].upper()
        parsed.append(WebhookEvent(
            tenant_id=raw["tenantId"],
            entity=CATEGORIES[category],
            entity_id=raw["resourceId"],
            operation=OPERATIONS.get(event_type, "update"),
            # Xero events carry no id; reference 10.2 dedupes on these four fields.
            event_id=":".join((raw["tenantId"], raw["resourceId"], raw["eventDateUtc"],
                               event_type)),
            occurred_at=occurred,
        ))
    return parsed


__all__ = ["CATEGORIES", "SIGNATURE_HEADER", "WEBHOOK_KEY_CONFIG", "parse", "verify"]
