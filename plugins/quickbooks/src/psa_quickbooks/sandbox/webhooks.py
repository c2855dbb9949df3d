"""Webhook notifications in both Intuit formats, signed with ``intuit-signature`` (reference 10).

Each app (OAuth client) may have a target: URL, verifier token and format (``legacy`` =
``eventNotifications``, ``cloudevents`` = a JSON array of CloudEvents 1.0). Events go to every
app holding a live grant for the realm that changed.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid

from .timefmt import utc_time

VERBS = {"Create": "created", "Update": "updated", "Delete": "deleted", "Merge": "merged",
         "Void": "voided", "Emailed": "emailed"}
SOURCE = "intuit.qbo-sandbox"


def signature(verifier_token: str, body: bytes) -> str:
    """base64(HMAC-SHA256(body, verifier token)) -- the ``intuit-signature`` header."""
    digest = hmac.new(verifier_token.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def event(realm_id: str, entity: str, ident: str, operation: str, epoch: float) -> dict:
    return {"realm": realm_id, "name": entity, "id": ident, "operation": operation, "time": epoch}


def render_legacy(events: list[dict]) -> bytes:
    by_realm: dict[str, list] = {}
    for e in events:
        by_realm.setdefault(e["realm"], []).append(
            {"name": e["name"], "id": e["id"], "operation": e["operation"],
             "lastUpdated": utc_time(e["time"])})
    body = {"eventNotifications": [{"realmId": realm, "dataChangeEvent": {"entities": entities}}
                                   for realm, entities in by_realm.items()]}
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def render_cloudevents(events: list[dict]) -> bytes:
    body = [{
        "specversion": "1.0", "id": str(uuid.uuid4()), "source": SOURCE,
        "type": f"qbo.{e['name'].lower()}.{VERBS.get(e['operation'], e['operation'].lower())}.v1",
        "datacontenttype": "application/json", "time": utc_time(e["time"], digits=6),
        "intuitentityid": e["id"], "intuitaccountid": e["realm"], "data": {},
    } for e in events]
    return json.dumps(body, separators=(",", ":")).encode("utf-8")


def render(fmt: str, events: list[dict]) -> bytes:
    return render_cloudevents(events) if fmt == "cloudevents" else render_legacy(events)


def headers(verifier_token: str, body: bytes, created: float) -> dict:
    return {
        "intuit-signature": signature(verifier_token, body),
        "intuit-created-time": utc_time(created),
        "intuit-t-id": str(uuid.uuid4()),
        "intuit-notification-schema-version": "0.1",
        "content-type": "application/json; charset=utf-8",
        "user-agent": "intuit_notification_server/0.1",
    }
