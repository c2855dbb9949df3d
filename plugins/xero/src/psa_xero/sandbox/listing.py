"""Shared request/response plumbing of the Accounting API views.

- :func:`envelope`: ``{"Id", "Status": "OK", "ProviderName", "DateTimeUTC", <Key>: [...]}``;
- :func:`select`: where / IDs / Statuses / If-Modified-Since / order / page / pageSize;
- :func:`elements`: the ``{"Invoices": [...]}`` request body;
- :func:`unitdp`: the decimal places of unit amounts the request asks for;
- :func:`batch`: run a save per element with Xero's ``summarizeErrors`` semantics.
"""

from __future__ import annotations

import uuid

from flask import current_app, jsonify, request

from . import errors as E
from .query import QueryError, apply_order, compile_where, paginate
from .xerojson import parse_http_datetime, parse_stored_ts, render


def envelope(key: str, items: list, pagination: dict | None = None, warnings=None):
    sb = current_app.extensions["xero_sandbox"]
    body = {"Id": str(uuid.uuid4()), "Status": "OK",
            "ProviderName": sb.provider_name(),
            "DateTimeUTC": f"/Date({int(sb.state.clock.now() * 1000)})/"}
    if pagination is not None:
        body["pagination"] = pagination
    if warnings:
        body["Warnings"] = [{"Message": w} for w in warnings]
    body[key] = render(items)
    return jsonify(body)


def unitdp() -> int:
    """The request's ``unitdp``: 4 when it asks for 4 decimal places, else 2 (Xero's rule)."""
    return 4 if request.args.get("unitdp") == "4" else 2


def _csv(name: str) -> list[str]:
    raw = request.args.get(name)
    return [part.strip() for part in raw.split(",") if part.strip()] if raw else []


def select(items: list[dict], *, id_field: str | None = None, number_field: str | None = None,
           status_field: str = "Status", default_order: str | None = None,
           pageable: bool = False, archived_filter=None) -> tuple[list[dict], dict | None]:
    """Apply the list parameters Xero supports; raises XeroError for bad syntax."""
    ids = {v.lower() for v in _csv("IDs")}
    if ids and id_field:
        items = [i for i in items if i[id_field].lower() in ids]
    numbers = set(_csv("InvoiceNumbers"))
    if numbers and number_field:
        items = [i for i in items if i.get(number_field) in numbers]
    contact_ids = {v.lower() for v in _csv("ContactIDs")}
    if contact_ids:
        items = [i for i in items if i.get("Contact", {}).get("ContactID") in contact_ids]
    statuses = {v.upper() for v in _csv("Statuses")}
    if statuses:
        items = [i for i in items if str(i.get(status_field, "")).upper() in statuses]
    if archived_filter and request.args.get("includeArchived", "").lower() != "true":
        items = [i for i in items if archived_filter(i)]
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            moment = parse_http_datetime(since)
        except (TypeError, ValueError):
            raise E.XeroError(E.validation_single("If-Modified-Since is not a valid date."))
        items = [i for i in items if i.get("UpdatedDateUTC")
                 and parse_stored_ts(i["UpdatedDateUTC"]) > moment]
    try:
        predicate = compile_where(request.args.get("where"))
        if predicate:
            items = [i for i in items if predicate(i)]
        items = apply_order(items, request.args.get("order"), default_order)
    except QueryError as exc:
        raise E.XeroError(E.query_parse_error(str(exc)))
    if not pageable:
        return items, None
    try:
        page = request.args.get("page", type=int)
        size = request.args.get("pageSize", type=int)
    except ValueError:
        page = size = None
    return paginate(items, page, size)


def elements(key: str) -> list[dict]:
    """The list under ``key`` of a JSON body (a bare object is taken as one element)."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise E.XeroError(E.validation_single("The request body is not valid JSON."))
    if key in data:
        items = data[key]
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise E.XeroError(E.validation_single(f"{key} must be a list of objects."))
        return items
    return [data]


def summarize_errors() -> bool:
    return request.args.get("summarizeErrors", "true").lower() != "false"


def batch(key: str, items: list[dict], save, present, id_field: str):
    """Run ``save(element) -> stored`` per element (raising ``Invalid``), Xero-style.

    summarizeErrors=true (default): any failure -> 400 ValidationException listing only the
    failed elements (valid ones are still saved, as Xero does). summarizeErrors=false: 200 with
    every element carrying StatusAttributeString / ValidationErrors.
    """
    from .documents import Invalid

    results, failures, all_warnings = [], [], []
    for element in items:
        try:
            stored, warnings = save(element)
        except Invalid as exc:
            echo = {k: v for k, v in element.items()}
            if isinstance(echo.get("LineItems"), list):
                echo["LineItems"] = [
                    dict(line, ValidationErrors=[{"Message": m}
                                                 for m in exc.line_errors.get(n, [])])
                    if exc.line_errors.get(n) else line
                    for n, line in enumerate(echo["LineItems"])]
            echo.update({"HasErrors": True, "StatusAttributeString": "ERROR",
                         "ValidationErrors": [{"Message": m} for m in exc.messages]})
            if exc.warnings:
                echo["Warnings"] = [{"Message": w} for w in exc.warnings]
            failures.append(echo)
            results.append(echo)
            continue
        shown = present(stored)
        shown["StatusAttributeString"] = "WARNING" if warnings else "OK"
        if warnings:
            shown["Warnings"] = [{"Message": w} for w in warnings]
            all_warnings.extend(warnings)
        results.append(shown)
    if failures and summarize_errors():
        return E.validation_exception(render(failures))
    return envelope(key, results)
