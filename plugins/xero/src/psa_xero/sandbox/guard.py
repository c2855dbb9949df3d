"""What every Accounting API call goes through, in Xero's order:

bearer token (401) -> ``xero-tenant-id`` connected to this app (403) -> scope (403) ->
a fault injected for the organisation (:mod:`.tenant_faults`) -> rate limits (429) ->
concurrency slot (429) -> ``Idempotency-Key`` replay -> the handler, under the state lock ->
rate headers, persistence (-> the dropped connection of an injected ``lost_response``). Every answer of the API, refusals included,
gets its ``Xero-Correlation-Id`` in ``app.py``.
"""

from __future__ import annotations

import hashlib
import time
from functools import wraps

from flask import Response, current_app, g, jsonify, request

from . import errors as E
from . import tenant_faults

IDEMPOTENCY_TTL = 360.0
IDEMPOTENCY_MAX = 128

_T = ("accounting.transactions", "accounting.transactions.read")
SCOPES = {  # group -> (scopes that allow reading, scopes that allow writing)
    "invoices": (set(_T) | {"accounting.invoices", "accounting.invoices.read"},
                 {"accounting.transactions", "accounting.invoices"}),
    "payments": (set(_T) | {"accounting.payments", "accounting.payments.read"},
                 {"accounting.transactions", "accounting.payments"}),
    "allocations": (set(_T) | {"accounting.invoices", "accounting.invoices.read",
                               "accounting.payments", "accounting.payments.read"},
                    {"accounting.transactions", "accounting.invoices", "accounting.payments"}),
    "contacts": ({"accounting.contacts", "accounting.contacts.read"}, {"accounting.contacts"}),
    "settings": ({"accounting.settings", "accounting.settings.read"}, {"accounting.settings"}),
    "items": ({"accounting.settings", "accounting.settings.read", "accounting.invoices",
               "accounting.invoices.read"}, {"accounting.settings", "accounting.invoices"}),
}


def sandbox():
    return current_app.extensions["xero_sandbox"]


def _authenticate():
    sb = sandbox()
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None, E.unauthorized()
    record, problem = sb.identity.access(header[7:].strip())
    if record is None:
        return None, E.unauthorized(problem)
    g.client_id = record["client_id"]
    return record, None


def _request_hash() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.full_path.encode())
    digest.update(request.get_data())
    return digest.hexdigest()


def _idempotent_replay(sb, key: str, tenant: str):
    """Returns (stored response or error response or None, storage slot key)."""
    slot = f"{g.client_id}:{key}"
    entry = sb.state.idempotency.get(slot)
    now = sb.state.clock.now()
    if entry and now - entry["at"] > IDEMPOTENCY_TTL:
        sb.state.idempotency.pop(slot)
        entry = None
    if entry is None:
        return None, slot
    if entry["hash"] != _request_hash() or entry["tenant"] != tenant:
        return E.validation_single(E.MSG_IDEMPOTENCY_REUSED.format(key=key)), slot
    resp = Response(entry["body"], status=entry["status"], mimetype=entry["mimetype"])
    resp.headers["Idempotent-Replayed"] = "true"
    return resp, slot


def api(group: str):
    """Decorate an Accounting API view; it receives ``org`` as its first argument."""
    read_scopes, write_scopes = SCOPES[group]

    def decorate(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            sb = sandbox()
            record, failure = _authenticate()
            if failure:
                return failure
            tenant = (request.headers.get("xero-tenant-id") or "").strip().lower()
            with sb.state.lock:
                connected = tenant and sb.identity.is_connected(record["client_id"], tenant)
            if not connected:
                return E.forbidden()
            needed = read_scopes if request.method in ("GET", "HEAD") else write_scopes
            if not needed & set(record["scopes"]):
                return E.forbidden()
            fault = sb.tenant_faults.take(tenant, request.method)
            if fault is not None and fault != "lost_response":
                return tenant_faults.answer(sb, fault, record, tenant)
            limited = sb.limits.check_tenant(tenant)
            if limited is not None:
                return limited
            busy = sb.limits.acquire(tenant)
            if busy is not None:
                return busy
            try:
                if sb.limits.config.slow_ms:
                    time.sleep(sb.limits.config.slow_ms / 1000.0)
                resp = _run(sb, view, tenant, args, kwargs)
            finally:
                sb.limits.release(tenant)
            sb.limits.headers(resp, tenant)
            if fault == "lost_response":
                tenant_faults.drop_connection()
            return resp
        return wrapper
    return decorate


def _run(sb, view, tenant: str, args, kwargs) -> Response:
    g.tenant_id = tenant
    g.events = []
    key = request.headers.get("Idempotency-Key")
    with sb.state.lock:
        slot = None
        if key is not None and request.method in ("PUT", "POST", "PATCH", "DELETE"):
            if len(key) > IDEMPOTENCY_MAX or not key.strip():
                return E.validation_single(
                    f"The Idempotency-Key must be between 1 and {IDEMPOTENCY_MAX} characters.")
            replay, slot = _idempotent_replay(sb, key, tenant)
            if replay is not None:
                return replay
        org = sb.state.org(tenant)
        try:
            resp = view(org, *args, **kwargs)
        except E.XeroError as exc:
            resp = exc.response
        if isinstance(resp, tuple):
            resp = jsonify(resp[0]) if not isinstance(resp[0], Response) else resp[0]
        if slot is not None:
            sb.state.idempotency[slot] = {
                "at": sb.state.clock.now(), "hash": _request_hash(), "tenant": tenant,
                "status": resp.status_code, "body": resp.get_data(as_text=True),
                "mimetype": resp.mimetype}
        if request.method != "GET":
            sb.state.save()
    for event in g.events:
        sb.publish_event(tenant, *event)
    return resp


def emit(category: str, event_type: str, resource_id: str, data: dict | None = None) -> None:
    """Queue a webhook event; sent after the handler finished (only if it committed)."""
    g.events.append((category, event_type, resource_id, data))
