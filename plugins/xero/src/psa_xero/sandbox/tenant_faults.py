"""Faults injected per organisation, answered the way Xero answers them.

The kit's fault rules (``/_sandbox/faults``) match a path and a method and answer from outside
the application. The contract suite's fault categories
(:mod:`host.integrations.provider_state`) need more: "the next *write* of *this*
organisation", answered in Xero's own shapes and inside the Accounting API, so the answer is
recorded and checked against Xero's OpenAPI documents like every other one. A fault is queued
with :meth:`TenantFaults.inject` and taken by the API gate (:mod:`.guard`) on the
organisation's next request that the gate accepts (token, tenant and scope good):

==================  ===========================================================================
category            Xero's answer
==================  ===========================================================================
``validation``      the element is rejected with "Email address must be valid." (a
                    ``ValidationException``: 400, or 200 with the element's
                    ``ValidationErrors`` under ``summarizeErrors=false``); nothing is written
``conflict``        likewise, with the stale/duplicate message Xero gives for the write:
                    "Invoice # must be unique." (creating an invoice), "Credit Note # must be
                    unique." (a credit note), "This document cannot be edited as it has a
                    payment or credit note allocated to it." (updating one), "The contact
                    name ... is already assigned to another contact. ..." (creating a
                    contact), else "The Idempotency-Key '...' has already been used with a
                    different request."
``not_found``       404, plain text "The resource you're looking for cannot be found"
``rate_limited``    429 with ``Retry-After`` and ``X-Rate-Limit-Problem: minute``
``provider_down``   503, plain text (maintenance / "Organisation offline")
``auth``            the organisation's adviser revokes the app in Xero: the grant, its tokens
                    and connections are gone, the request gets 401, the refresh
                    ``invalid_grant`` (what no token refresh can cure)
``lost_response``   the write runs and is committed (Idempotency-Key stored), then the
                    connection is dropped without an answer; a retry with the same key gets
                    the stored answer (``Idempotent-Replayed: true``)
==================  ===========================================================================

Control API: ``POST /_sandbox/tenant-faults {"tenant_id", "category", "writes_only": true}``;
``DELETE /_sandbox/tenant-faults`` clears them (as does ``POST /_sandbox/reset``).
"""

from __future__ import annotations

import re
import threading

from flask import Response, request

from . import errors as E

CATEGORIES = ("validation", "conflict", "not_found", "rate_limited", "provider_down", "auth",
              "lost_response")
WRITES = ("PUT", "POST", "DELETE")
MSG_UNAVAILABLE = "Service Unavailable: the organisation is offline for maintenance."
_ID_IN_PATH = re.compile(r"^/api\.xro/2\.0/(Invoices|CreditNotes)/[^/]+$")


class TenantFaults:
    """Queued faults per organisation; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queued: list[dict] = []

    def inject(self, tenant_id: str, category: str, *, writes_only: bool = True) -> dict:
        if category not in CATEGORIES:
            raise ValueError(f"unknown fault category {category!r}; expected one of "
                             f"{', '.join(CATEGORIES)}")
        fault = {"tenant_id": str(tenant_id).lower(), "category": category,
                 "writes_only": bool(writes_only)}
        with self._lock:
            self._queued.append(fault)
        return fault

    def take(self, tenant_id: str, method: str) -> str | None:
        """The category of the first fault queued for this request (and consume it)."""
        write = method.upper() in WRITES
        with self._lock:
            for fault in self._queued:
                if fault["tenant_id"] == tenant_id.lower() and (write or not fault["writes_only"]):
                    self._queued.remove(fault)
                    return fault["category"]
        return None

    def queued(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._queued]

    def clear(self) -> None:
        with self._lock:
            self._queued.clear()


def answer(sandbox, category: str, record: dict, tenant_id: str) -> Response | None:
    """Xero's answer for ``category`` (None for ``lost_response``: the request runs, then
    :func:`drop_connection`)."""
    if category == "validation":
        return rejected(E.MSG_EMAIL_INVALID)
    if category == "conflict":
        return rejected(_conflict_message())
    if category == "not_found":
        return E.not_found()
    if category == "rate_limited":
        return sandbox.limits.too_many("minute", 5.0, tenant_id)
    if category == "provider_down":
        return Response(MSG_UNAVAILABLE, status=503, mimetype="text/plain")
    if category == "auth":
        with sandbox.state.lock:
            sandbox.identity.drop_grant(record["grant_id"])
            sandbox.state.save()
        return E.unauthorized()
    return None


def _conflict_message() -> str:
    path = request.path
    if request.method in ("PUT", "POST") and path == "/api.xro/2.0/Invoices":
        return E.MSG_INVOICE_NUMBER_UNIQUE
    if request.method in ("PUT", "POST") and path == "/api.xro/2.0/CreditNotes":
        return E.MSG_CREDIT_NOTE_NUMBER_UNIQUE
    if request.method == "POST" and _ID_IN_PATH.match(path):
        return E.MSG_HAS_PAYMENTS
    if request.method in ("PUT", "POST") and path == "/api.xro/2.0/Contacts":
        _, items = _elements(request.get_json(silent=True))
        name = str((items[0] if items else {}).get("Name") or "")
        return E.MSG_CONTACT_NAME_TAKEN.format(name=name)
    key = request.headers.get("Idempotency-Key") or "-"
    return E.MSG_IDEMPOTENCY_REUSED.format(key=key)


def rejected(message: str) -> Response:
    """The request's elements rejected with ``message``, as the Accounting API rejects them:
    each element echoed with its ``ValidationErrors`` (400 ``ValidationException``, or 200 with
    ``StatusAttributeString: ERROR`` under ``summarizeErrors=false``); a write without elements
    (``/Email``) gets the plain 400."""
    from .listing import envelope, summarize_errors

    data = request.get_json(silent=True)
    key, items = _elements(data)
    if not items:
        return E.validation_single(message)
    echoed = [dict(item, HasErrors=True, StatusAttributeString="ERROR",
                   ValidationErrors=[{"Message": message}]) for item in items]
    if summarize_errors():
        return E.validation_exception(echoed)
    return envelope(key, echoed)


def _elements(data) -> tuple[str, list[dict]]:
    collection = request.path.split("/")[3] if request.path.count("/") >= 3 else ""
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
                return key, value
        if data:
            return collection, [data]
    return collection, []


def drop_connection() -> None:
    """Close the client's connection without an answer (the write already committed)."""
    from host.sandbox_kit.faults import drop_connection as drop

    drop(request.environ)
