"""``/api.xro/2.0/Invoices``: list, get, PUT (create), POST (create or update), Email,
OnlineInvoice and History."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, current_app, g, request

from . import documents
from . import errors as E
from .guard import api, emit
from .listing import batch, elements, envelope, select, unitdp

bp = Blueprint("xero_invoices", __name__, url_prefix="/api.xro/2.0")
KIND = "invoice"


def find(org: dict, key: str) -> dict | None:
    """By InvoiceID, or by InvoiceNumber (the path segment accepts both)."""
    doc = org["invoices"].get(key.lower())
    if doc is None:
        doc = next((d for d in org["invoices"].values() if d["InvoiceNumber"] == key
                    and d["Status"] != "DELETED"), None)
    return doc


def history_add(org: dict, doc_id: str, changes: str, details: str) -> None:
    sb = current_app.extensions["xero_sandbox"]
    org["history"].setdefault(doc_id, []).append({
        "Changes": changes, "DateUTC": sb.state.now_iso(), "User": "System Generated",
        "Details": details})


def _save(org: dict, element: dict, existing: dict | None):
    sb = current_app.extensions["xero_sandbox"]
    doc, warnings, contact_created = documents.save_document(
        sb.state, org, element, KIND, existing, unitdp())
    if contact_created:
        emit("CONTACT", "CREATE", doc["Contact"]["ContactID"])
    if existing is None:
        doc["_app"] = g.client_id
        history_add(org, doc["InvoiceID"], "Created", f"INVOICE {doc['InvoiceNumber']} created.")
        emit("INVOICE", "CREATE", doc["InvoiceID"])
    else:
        history_add(org, doc["InvoiceID"], "Edited", f"INVOICE {doc['InvoiceNumber']} updated.")
        emit("INVOICE", "UPDATE", doc["InvoiceID"])
    return doc, warnings


def _present(org):
    return lambda doc: documents.present(org, KIND, doc, unitdp=unitdp())


@bp.get("/Invoices")
@api("invoices")
def list_invoices(org):
    items = list(org["invoices"].values())
    if request.args.get("createdByMyApp", "").lower() == "true":
        items = [d for d in items if d.get("_app") == g.client_id]
    term = (request.args.get("searchTerm") or "").lower()
    if term:
        items = [d for d in items if term in d["InvoiceNumber"].lower()
                 or term in str(d.get("Reference", "")).lower()]
    items, pagination = select(items, id_field="InvoiceID", number_field="InvoiceNumber",
                               pageable=True)
    summary = request.args.get("summaryOnly", "").lower() == "true"
    shown = [documents.present(org, KIND, d, summary_only=summary, unitdp=unitdp())
             for d in items]
    return envelope("Invoices", shown, pagination)


@bp.get("/Invoices/<key>")
@api("invoices")
def get_invoice(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    return envelope("Invoices", [documents.present(org, KIND, doc, unitdp=unitdp())])


@bp.put("/Invoices")
@api("invoices")
def create_invoices(org):
    items = elements("Invoices")
    return batch("Invoices", items, lambda el: _save(org, el, None), _present(org), "InvoiceID")


def _target(org, element: dict) -> dict | None:
    if element.get("InvoiceID"):
        doc = org["invoices"].get(str(element["InvoiceID"]).lower())
        if doc is None:
            raise documents.Invalid([E.MSG_DOC_NOT_FOUND])
        return doc
    number = element.get("InvoiceNumber")
    if number and element.get("Type", "ACCREC") == "ACCREC":
        return next((d for d in org["invoices"].values() if d["InvoiceNumber"] == number
                     and d["Type"] == "ACCREC" and d["Status"] != "DELETED"), None)
    return None


@bp.post("/Invoices")
@api("invoices")
def create_or_update_invoices(org):
    items = elements("Invoices")
    return batch("Invoices", items, lambda el: _save(org, el, _target(org, el)),
                 _present(org), "InvoiceID")


@bp.post("/Invoices/<key>")
@api("invoices")
def update_invoice(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    items = elements("Invoices")[:1]
    return batch("Invoices", items, lambda el: _save(org, el, doc), _present(org), "InvoiceID")


@bp.post("/Invoices/<key>/Email")
@api("invoices")
def email_invoice(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    element = {"InvoiceID": doc["InvoiceID"], "InvoiceNumber": doc["InvoiceNumber"]}
    if doc["Type"] != "ACCREC" or doc["Status"] not in ("SUBMITTED", "AUTHORISED", "PAID"):
        return E.validation_single(
            "Invoice must be approved (SUBMITTED, AUTHORISED or PAID) to be emailed.", element)
    contact = org["contacts"].get(doc["Contact"]["ContactID"], {})
    recipients = [contact["EmailAddress"]] if contact.get("EmailAddress") else []
    recipients += [p["EmailAddress"] for p in contact.get("ContactPersons", [])
                   if p.get("IncludeInEmails") and p.get("EmailAddress")][:5]
    if not recipients:
        return E.validation_single("The contact does not have an email address.", element)
    sb = current_app.extensions["xero_sandbox"]
    org["emails"].append({"InvoiceID": doc["InvoiceID"], "InvoiceNumber": doc["InvoiceNumber"],
                          "To": recipients, "At": sb.state.now_iso()})
    doc["SentToContact"] = True
    doc["UpdatedDateUTC"] = sb.state.now_iso()
    history_add(org, doc["InvoiceID"], "Sent", f"This invoice was sent to {', '.join(recipients)}")
    emit("INVOICE", "UPDATE", doc["InvoiceID"])
    return Response(status=204)


@bp.get("/Invoices/<key>/OnlineInvoice")
@api("invoices")
def online_invoice(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    if doc["Status"] not in ("SUBMITTED", "AUTHORISED", "PAID") or doc["Type"] != "ACCREC":
        return E.validation_single("An online invoice cannot be viewed for a draft invoice.",
                                   {"InvoiceID": doc["InvoiceID"]})
    if not doc.get("_online_token"):
        doc["_online_token"] = secrets.token_urlsafe(24)
    url = f"{request.host_url.rstrip('/')}/in/{doc['_online_token']}"
    return envelope("OnlineInvoices", [{"OnlineInvoiceUrl": url}])


@bp.get("/Invoices/<key>/History")
@api("invoices")
def invoice_history(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    return envelope("HistoryRecords", history_records(org, doc["InvoiceID"]))


def history_records(org: dict, doc_id: str) -> list[dict]:
    from .xerojson import ms_timestamp

    return [{"Changes": h["Changes"], "DateUTCString": h["DateUTC"].split(".")[0],
             "DateUTC": ms_timestamp(h["DateUTC"]), "User": h["User"], "Details": h["Details"]}
            for h in org["history"].get(doc_id, [])]


@bp.put("/Invoices/<key>/History")
@api("invoices")
def invoice_history_add(org, key):
    doc = find(org, key)
    if doc is None:
        return E.not_found()
    notes = elements("HistoryRecords")
    for note in notes:
        if not str(note.get("Details", "")).strip():
            return E.validation_single("Details must be specified.")
    for note in notes:
        history_add(org, doc["InvoiceID"], "Note", str(note["Details"]))
    added = history_records(org, doc["InvoiceID"])[-len(notes):]
    return envelope("HistoryRecords", added)

