"""Payments: the rules (service functions shared with the web page) and ``/Payments`` routes.

A payment applies to an AUTHORISED invoice (or an AUTHORISED credit note, as a refund) from a
BANK account or one with ``EnablePaymentsToAccount``; it may not exceed the amount due.
Payments are never edited, only deleted (``POST /Payments/{id}`` with ``Status: DELETED``),
which puts the invoice back to AUTHORISED.
"""

from __future__ import annotations

from flask import Blueprint, current_app

from . import documents
from . import errors as E
from .guard import api, emit
from .listing import batch, elements, envelope, select
from .state import new_id
from .xerojson import money, num, parse_date

bp = Blueprint("xero_payments", __name__, url_prefix="/api.xro/2.0")
PAYMENT_TYPES = {"ACCREC": "ACCRECPAYMENT", "ACCPAY": "ACCPAYPAYMENT",
                 "ACCRECCREDIT": "ARCREDITPAYMENT", "ACCPAYCREDIT": "APCREDITPAYMENT"}
MSG_ACCOUNT_TYPE = ("Payments can only be made to or from bank accounts, or accounts with "
                    "payments enabled.")
MSG_NOT_AUTHORISED = "Payments can only be made against documents with a status of AUTHORISED."


def _state():
    return current_app.extensions["xero_sandbox"].state


def _document(org: dict, element: dict):
    ref = element.get("Invoice")
    if ref or element.get("InvoiceNumber"):
        ref = ref or {}
        doc = org["invoices"].get(str(ref.get("InvoiceID", "")).lower())
        number = ref.get("InvoiceNumber") or element.get("InvoiceNumber")
        if doc is None and number:
            doc = next((d for d in org["invoices"].values() if d["InvoiceNumber"] == number
                        and d["Status"] != "DELETED"), None)
        return "invoice", doc
    ref = element.get("CreditNote") or {}
    if ref or element.get("CreditNoteNumber"):
        doc = org["credit_notes"].get(str(ref.get("CreditNoteID", "")).lower())
        number = ref.get("CreditNoteNumber") or element.get("CreditNoteNumber")
        if doc is None and number:
            doc = next((d for d in org["credit_notes"].values()
                        if d["CreditNoteNumber"] == number), None)
        return "credit_note", doc
    return None, None


def _account(org: dict, ref: dict | None):
    ref = ref or {}
    for account in org["accounts"].values():
        if (ref.get("AccountID") and account["AccountID"] == str(ref["AccountID"]).lower()) or (
                ref.get("Code") and account["Code"] == str(ref["Code"])):
            return account
    return None


def default_bank_code(org: dict) -> str | None:
    """The code of the organisation's first active bank account (where the accountant's
    Record payment form books to unless another is chosen)."""
    return next((a["Code"] for a in org["accounts"].values()
                 if a["Type"] == "BANK" and a["Status"] == "ACTIVE"), None)


def record_payment(org: dict, element: dict) -> dict:
    """Validate and store one payment; raises ``documents.Invalid``."""
    state = _state()
    kind, doc = _document(org, element)
    if doc is None:
        raise documents.Invalid([E.MSG_DOC_NOT_FOUND])
    account = _account(org, element.get("Account") or (
        {"Code": element["Code"]} if element.get("Code") else None))
    problems = []
    if account is None or account["Status"] != "ACTIVE":
        problems.append("Account must be valid.")
    elif account["Type"] != "BANK" and not account.get("EnablePaymentsToAccount"):
        problems.append(MSG_ACCOUNT_TYPE)
    if doc["Status"] != "AUTHORISED":
        problems.append(MSG_NOT_AUTHORISED)
    try:
        amount = money(element.get("Amount"))
    except (ArithmeticError, TypeError, ValueError):
        raise documents.Invalid(["Amount must be a valid number."]) from None
    outstanding = money(doc.get("AmountDue") if kind == "invoice" else doc.get("RemainingCredit"))
    if amount <= 0:
        problems.append("Payment amount must be greater than zero.")
    elif amount > outstanding:
        problems.append(E.MSG_PAYMENT_EXCEEDS)
    try:
        day = parse_date(element.get("Date")) or state.today(org)
    except ValueError:
        raise documents.Invalid(["The date format is not valid. Use YYYY-MM-DD."]) from None
    lock = documents._lock_problem(org, day)
    if lock:
        problems.append(lock)
    if problems:
        raise documents.Invalid(problems)
    payment = {
        "PaymentID": new_id(), "Date": day, "Amount": num(amount), "BankAmount": num(amount),
        "CurrencyRate": 1.0, "Reference": str(element.get("Reference") or ""),
        "IsReconciled": bool(element.get("IsReconciled", False)), "Status": "AUTHORISED",
        "PaymentType": PAYMENT_TYPES[doc["Type"]], "UpdatedDateUTC": state.now_iso(),
        "Account": {"AccountID": account["AccountID"], "Code": account["Code"]},
        "HasAccount": True, "HasValidationErrors": False,
        "_document_id": documents.doc_id(kind, doc), "_kind": kind,
    }
    org["payments"][payment["PaymentID"]] = payment
    doc["UpdatedDateUTC"] = state.now_iso()
    documents.recompute(org, kind, doc, state)
    _notify(kind, doc)
    return payment


def delete_payment(org: dict, payment: dict) -> dict:
    state = _state()
    if payment["Status"] == "DELETED":
        raise documents.Invalid(["This payment has already been deleted."])
    lock = documents._lock_problem(org, payment["Date"])
    if lock:
        raise documents.Invalid([lock])
    payment["Status"] = "DELETED"
    payment["UpdatedDateUTC"] = state.now_iso()
    kind = payment["_kind"]
    doc = org[documents.KINDS[kind]["collection"]][payment["_document_id"]]
    doc["UpdatedDateUTC"] = state.now_iso()
    documents.recompute(org, kind, doc, state)
    _notify(kind, doc)
    return payment


def _notify(kind: str, doc: dict) -> None:
    if kind == "invoice":
        emit("INVOICE", "UPDATE", doc["InvoiceID"])
    else:
        emit("CREDITNOTE", "UPDATE", doc["CreditNoteID"],
             {"Type": doc["Type"], "Status": doc["Status"]})


def present(org: dict, payment: dict) -> dict:
    out = dict(payment)
    kind = payment["_kind"]
    doc = org[documents.KINDS[kind]["collection"]].get(payment["_document_id"], {})
    contact = org["contacts"].get(doc.get("Contact", {}).get("ContactID"), {})
    summary = {"Type": doc.get("Type"), "Contact": {"ContactID": contact.get("ContactID"),
                                                    "Name": contact.get("Name")},
               "CurrencyCode": doc.get("CurrencyCode")}
    if kind == "invoice":
        out["Invoice"] = dict(summary, InvoiceID=doc.get("InvoiceID"),
                              InvoiceNumber=doc.get("InvoiceNumber"))
    else:
        out["CreditNote"] = dict(summary, CreditNoteID=doc.get("CreditNoteID"),
                                 CreditNoteNumber=doc.get("CreditNoteNumber"))
    return out


@bp.get("/Payments")
@api("payments")
def list_payments(org):
    items = [present(org, p) for p in org["payments"].values()]
    items, pagination = select(items, id_field="PaymentID", pageable=True)
    return envelope("Payments", items, pagination)


@bp.get("/Payments/<payment_id>")
@api("payments")
def get_payment(org, payment_id):
    payment = org["payments"].get(payment_id.lower())
    if payment is None:
        return E.not_found()
    return envelope("Payments", [present(org, payment)])


@bp.put("/Payments")
@api("payments")
def create_payments(org):
    return batch("Payments", elements("Payments"), lambda el: (record_payment(org, el), []),
                 lambda p: present(org, p), "PaymentID")


@bp.post("/Payments")
@api("payments")
def create_payment(org):
    return batch("Payments", elements("Payments")[:1], lambda el: (record_payment(org, el), []),
                 lambda p: present(org, p), "PaymentID")


@bp.post("/Payments/<payment_id>")
@api("payments")
def update_payment(org, payment_id):
    payment = org["payments"].get(payment_id.lower())
    if payment is None:
        return E.not_found()
    element = (elements("Payments") or [{}])[0]
    if str(element.get("Status", "")).upper() != "DELETED":
        return E.validation_single("Payments can only be deleted (Status DELETED), not edited.",
                                   {"PaymentID": payment["PaymentID"]})
    return batch("Payments", [element], lambda el: (delete_payment(org, payment), []),
                 lambda p: present(org, p), "PaymentID")

