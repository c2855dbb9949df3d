"""``/api.xro/2.0/CreditNotes``: list, get, PUT, POST, and Allocations (PUT, DELETE)."""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify

from . import documents
from . import errors as E
from .api_invoices import history_add
from .guard import api, emit
from .listing import batch, elements, envelope, select, unitdp
from .state import new_id
from .xerojson import money, num, parse_date, render

bp = Blueprint("xero_credit_notes", __name__, url_prefix="/api.xro/2.0")
KIND = "credit_note"


def _sb():
    return current_app.extensions["xero_sandbox"]


def find(org: dict, key: str) -> dict | None:
    doc = org["credit_notes"].get(key.lower())
    if doc is None:
        doc = next((d for d in org["credit_notes"].values() if d["CreditNoteNumber"] == key), None)
    return doc


def _save(org: dict, element: dict, existing: dict | None):
    doc, warnings, contact_created = documents.save_document(
        _sb().state, org, element, KIND, existing, unitdp())
    if contact_created:
        emit("CONTACT", "CREATE", doc["Contact"]["ContactID"])
    if existing is None:
        doc["_app"] = g.client_id
        history_add(org, doc["CreditNoteID"], "Created", f"Credit note {doc['CreditNoteNumber']} created.")
    emit("CREDITNOTE", "CREATE" if existing is None else "UPDATE", doc["CreditNoteID"],
         {"Type": doc["Type"], "Status": doc["Status"]})
    return doc, warnings


def _present(org):
    return lambda doc: documents.present(org, KIND, doc, unitdp=unitdp())


@bp.get("/CreditNotes")
@api("invoices")
def list_credit_notes(org):
    items, pagination = select(list(org["credit_notes"].values()), id_field="CreditNoteID",
                               pageable=True)
    shown = [documents.present(org, KIND, d, unitdp=unitdp()) for d in items]
    return envelope("CreditNotes", shown, pagination)


@bp.get("/CreditNotes/<key>")
@api("invoices")
def get_credit_note(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    return envelope("CreditNotes", [documents.present(org, KIND, doc, unitdp=unitdp())])


@bp.put("/CreditNotes")
@api("invoices")
def create_credit_notes(org):
    return batch("CreditNotes", elements("CreditNotes"), lambda el: _save(org, el, None),
                 _present(org), "CreditNoteID")


def _target(org, element):
    if element.get("CreditNoteID"):
        doc = org["credit_notes"].get(str(element["CreditNoteID"]).lower())
        if doc is None:
            raise documents.Invalid([E.MSG_CREDIT_NOTE_NOT_FOUND])
        return doc
    number = element.get("CreditNoteNumber")
    if number:
        return next((d for d in org["credit_notes"].values()
                     if d["CreditNoteNumber"] == number), None)
    return None


@bp.post("/CreditNotes")
@api("invoices")
def create_or_update_credit_notes(org):
    return batch("CreditNotes", elements("CreditNotes"),
                 lambda el: _save(org, el, _target(org, el)), _present(org), "CreditNoteID")


@bp.post("/CreditNotes/<key>")
@api("invoices")
def update_credit_note(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    return batch("CreditNotes", elements("CreditNotes")[:1], lambda el: _save(org, el, doc),
                 _present(org), "CreditNoteID")


def allocate(org: dict, note: dict, element: dict) -> dict:
    """Validate and apply one allocation of ``note`` to an invoice; raises Invalid."""
    sb = _sb()
    ref = element.get("Invoice") or {}
    invoice = org["invoices"].get(str(ref.get("InvoiceID", "")).lower())
    if invoice is None and ref.get("InvoiceNumber"):
        invoice = next((d for d in org["invoices"].values()
                        if d["InvoiceNumber"] == ref["InvoiceNumber"]), None)
    problems = []
    if invoice is None:
        raise documents.Invalid([E.MSG_DOC_NOT_FOUND])
    try:
        amount = money(element.get("Amount"))
    except (ArithmeticError, TypeError, ValueError):
        raise documents.Invalid(["Amount must be a valid number."]) from None
    try:
        day = parse_date(element.get("Date")) or sb.state.today(org)
    except ValueError:
        raise documents.Invalid(["The date format is not valid. Use YYYY-MM-DD."]) from None
    if note["Status"] != "AUTHORISED":
        problems.append("Credit note must be approved (AUTHORISED) before it can be allocated.")
    if invoice["Status"] != "AUTHORISED":
        problems.append(E.MSG_STATUS_MODIFY)
    expected = {"ACCRECCREDIT": "ACCREC", "ACCPAYCREDIT": "ACCPAY"}[note["Type"]]
    if invoice["Type"] != expected:
        problems.append("The document type of the invoice does not match the credit note.")
    if invoice["Contact"]["ContactID"] != note["Contact"]["ContactID"]:
        problems.append("The credit note and the invoice must belong to the same contact.")
    if invoice["CurrencyCode"] != note["CurrencyCode"]:
        problems.append("The credit note and the invoice must have the same currency.")
    if amount <= 0:
        problems.append("Amount must be greater than zero.")
    if amount > money(note.get("RemainingCredit", 0)):
        problems.append("The amount allocated cannot exceed the remaining credit on the credit note.")
    if amount > money(invoice.get("AmountDue", 0)):
        problems.append("The amount allocated cannot exceed the amount due on the invoice.")
    lock = documents._lock_problem(org, day)
    if lock:
        problems.append(lock)
    if problems:
        raise documents.Invalid(problems)
    allocation_id = new_id()
    invoice["_allocations"].append({
        "AllocationID": allocation_id, "CreditNoteID": note["CreditNoteID"],
        "CreditNoteNumber": note["CreditNoteNumber"], "Total": note["Total"],
        "Amount": num(amount), "Date": day})
    note["_allocations"].append({
        "AllocationID": allocation_id, "InvoiceID": invoice["InvoiceID"],
        "InvoiceNumber": invoice["InvoiceNumber"], "Amount": num(amount), "Date": day})
    now = sb.state.now_iso()
    for kind, doc in (("invoice", invoice), (KIND, note)):
        doc["UpdatedDateUTC"] = now
        documents.recompute(org, kind, doc, sb.state)
    emit("INVOICE", "UPDATE", invoice["InvoiceID"])
    emit("CREDITNOTE", "UPDATE", note["CreditNoteID"], {"Type": note["Type"],
                                                        "Status": note["Status"]})
    return {"AllocationID": allocation_id, "Amount": num(amount), "Date": day,
            "Invoice": {"InvoiceID": invoice["InvoiceID"],
                        "InvoiceNumber": invoice["InvoiceNumber"]},
            "CreditNote": {"CreditNoteID": note["CreditNoteID"],
                           "CreditNoteNumber": note["CreditNoteNumber"]},
            "IsDeleted": False, "StatusAttributeString": "OK"}


@bp.put("/CreditNotes/<key>/Allocations")
@api("allocations")
def create_allocations(org, key):
    note = find(org, key)
    if note is None:
        return E.validation_single(E.MSG_CREDIT_NOTE_NOT_FOUND)
    items = elements("Allocations")
    return batch("Allocations", items, lambda el: (allocate(org, note, el), []),
                 lambda shown: shown, "AllocationID")


@bp.delete("/CreditNotes/<key>/Allocations/<allocation_id>")
@api("allocations")
def delete_allocation(org, key, allocation_id):
    note = find(org, key)
    entry = note and next((a for a in note["_allocations"]
                           if a["AllocationID"] == allocation_id.lower()), None)
    if entry is None or entry.get("IsDeleted"):
        return E.not_found()
    invoice = org["invoices"][entry["InvoiceID"]]
    for doc in (note, invoice):
        for a in doc["_allocations"]:
            if a["AllocationID"] == entry["AllocationID"]:
                a["IsDeleted"] = True
    now = _sb().state.now_iso()
    for kind, doc in (("invoice", invoice), (KIND, note)):
        doc["UpdatedDateUTC"] = now
        documents.recompute(org, kind, doc, _sb().state)
    emit("INVOICE", "UPDATE", invoice["InvoiceID"])
    emit("CREDITNOTE", "UPDATE", note["CreditNoteID"], {"Type": note["Type"],
                                                        "Status": note["Status"]})
    return jsonify(render({"AllocationID": entry["AllocationID"], "Amount": entry["Amount"],
                           "Date": entry["Date"], "IsDeleted": True,
                           "Invoice": {"InvoiceID": invoice["InvoiceID"],
                                       "InvoiceNumber": invoice["InvoiceNumber"]},
                           "CreditNote": {"CreditNoteID": note["CreditNoteID"]}}))

