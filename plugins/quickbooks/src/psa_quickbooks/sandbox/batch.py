"""``POST /batch`` (reference 5): up to 30 items, each a create/update/delete or a query; every
item succeeds or fails on its own (``Fault`` per item), the batch itself answers 200."""
from __future__ import annotations

from flask import request

from . import faults, query
from .store import ENTITY_RESOURCES

MAX_ITEMS = 30
OPERATIONS = {"create", "update", "delete"}


def run(company, body, write, options_fn) -> dict:
    """Execute a batch; ``write`` is the API's single-write function (persists, emits events)."""
    if not isinstance(body, dict) or not isinstance(body.get("BatchItemRequest"), list):
        raise faults.required("BatchItemRequest")
    items = body["BatchItemRequest"]
    if len(items) > MAX_ITEMS:
        raise faults.QboFault(1040, "Batch size exceeds allowed limit",
                              f"Batch size {len(items)} exceeds the maximum of {MAX_ITEMS} items")
    seen: set = set()
    with_request_id = bool(request.args.get("requestid"))
    responses = []
    for item in items:
        bid = str((item or {}).get("bId") or "")
        try:
            if not bid:
                raise faults.required("bId")
            if bid in seen:
                raise faults.QboFault(630, "Duplicate Object", f"Duplicate bId {bid} in the batch", "bId")
            if with_request_id and len(bid) > 10:
                raise faults.QboFault(2130, "Invalid Request Id Format",
                                      "bId must be at most 10 characters with a requestid", "bId")
            seen.add(bid)
            responses.append(dict(_one(company, item, write, options_fn), bId=bid))
        except faults.QboFault as fault:
            responses.append({"bId": bid, "Fault": fault.fault()})
    return {"BatchItemResponse": responses}


def _one(company, item: dict, write, options_fn) -> dict:
    if "Query" in item:
        return {"QueryResponse": query.execute(company, item["Query"])}
    entities = [name for name in ENTITY_RESOURCES if name in item]
    if len(entities) != 1:
        raise faults.bad_property("batch item must hold exactly one entity or a Query")
    operation = (item.get("operation") or "").lower()
    if operation not in OPERATIONS:
        raise faults.QboFault(2170, "Invalid Enumeration", f"Invalid operation {operation!r}", "operation")
    options = options_fn()
    extra = {o.strip().lower() for o in str(item.get("optionsData") or "").split(",") if o.strip()}
    if "void" in extra:
        options["void"] = True
    if "allowduplicatedocnum" in extra:
        options["allow_duplicate_docnum"] = True
    entity = entities[0]
    body = item[entity]
    if operation == "create" and isinstance(body, dict) and body.get("Id"):
        raise faults.bad_property("Id is not allowed on create", "Id")
    if operation == "update" and isinstance(body, dict) and not body.get("Id"):
        raise faults.required("Id")
    op = "void" if options.get("void") and entity != "Payment" else (
        "delete" if operation == "delete" else None)
    return write(company, entity, body, op, options)
