"""Xero webhooks: event payloads, the ``x-xero-signature`` and the Intent-to-Receive check.

Deliveries go through the kit's :class:`~host.sandbox_kit.webhooks.WebhookSender` (background
thread, retries). This module supplies Xero's body and signature and runs the ITR handshake:
a few correctly signed and a few badly signed empty-event probes; the receiver passes when it
answers 200 with an empty body to every good one and 401 to every bad one. Deliveries start
only once a receiver has passed (as Xero keeps an unvalidated subscription idle).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import random
import string

import httpx

TARGET_KEY = "xero-app"
CATEGORIES = ("INVOICE", "CONTACT", "CREDITNOTE")
RESOURCE_PATHS = {"INVOICE": "Invoices", "CONTACT": "Contacts", "CREDITNOTE": "CreditNotes"}
ITR_TIMEOUT = 5.0


def sign(key: str, body: bytes) -> str:
    """Base64 HMAC-SHA256 of the raw body with the webhook key."""
    return base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()


def entropy() -> str:
    return "".join(random.choices(string.ascii_uppercase, k=20))


def make_event(base_url: str, tenant_id: str, category: str, event_type: str,
               resource_id: str, at_iso: str, data: dict | None = None) -> dict:
    event = {
        "resourceUrl": f"{base_url}/api.xro/2.0/{RESOURCE_PATHS[category]}/{resource_id}",
        "resourceId": resource_id,
        "eventDateUtc": at_iso,
        "eventType": event_type,
        "eventCategory": category,
        "tenantId": tenant_id,
        "tenantType": "ORGANISATION",
    }
    if data:
        event["data"] = data
    return event


def render(events: list) -> bytes:
    """One delivery body; events carry ``_seq`` (assigned at publish), stripped here."""
    clean = [{k: v for k, v in e.items() if not k.startswith("_")} for e in events]
    seqs = [e["_seq"] for e in events]
    body = {"events": clean, "firstEventSequence": min(seqs), "lastEventSequence": max(seqs),
            "entropy": entropy()}
    return json.dumps(body, separators=(",", ":")).encode()


def intent_to_receive(url: str, key: str, good: int = 2, bad: int = 2) -> dict:
    """Send the ITR probes now; returns ``{"passed": bool, "probes": [...]}``."""
    probes = []
    plan = [True] * good + [False] * bad
    random.shuffle(plan)
    for correctly_signed in plan:
        body = json.dumps({"events": [], "firstEventSequence": 0, "lastEventSequence": 0,
                           "entropy": entropy()}, separators=(",", ":")).encode()
        signature = sign(key, body)
        if not correctly_signed:
            signature = sign(key + "-wrong", body)
        probe = {"signed_correctly": correctly_signed, "status_code": None, "error": None,
                 "expected": 200 if correctly_signed else 401}
        try:
            resp = httpx.post(url, content=body, timeout=ITR_TIMEOUT, headers={
                "Content-Type": "application/json", "x-xero-signature": signature,
                "User-Agent": "Xero-Webhooks-Sandbox"})
            probe["status_code"] = resp.status_code
            probe["empty_body"] = resp.content == b""
            probe["set_cookie"] = "set-cookie" in resp.headers
        except httpx.HTTPError as exc:
            probe["error"] = f"{type(exc).__name__}: {exc}"
        probe["ok"] = (probe["status_code"] == probe["expected"]
                       and (not correctly_signed or probe.get("empty_body", False))
                       and not probe.get("set_cookie", False))
        probes.append(probe)
    return {"passed": all(p["ok"] for p in probes), "probes": probes}
