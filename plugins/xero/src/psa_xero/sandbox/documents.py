"""Invoices and credit notes: validation, status rules, line mapping, totals and balances.

One element of a ``{"Invoices": [...]}`` or ``{"CreditNotes": [...]}`` body goes through
:func:`save_document`, which either returns the stored document or the list of validation
messages Xero would give (nothing is written in that case).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from . import contacts, currencies
from . import errors as E
from .state import new_id
from .totals import LINE_AMOUNT_TYPES, compute_line, document_totals, unit_shown
from .xerojson import money, num, parse_date

KINDS = {
    "invoice": {"collection": "invoices", "id": "InvoiceID", "number": "InvoiceNumber",
                "types": ("ACCREC", "ACCPAY"), "label": "Invoice"},
    "credit_note": {"collection": "credit_notes", "id": "CreditNoteID",
                    "number": "CreditNoteNumber", "types": ("ACCRECCREDIT", "ACCPAYCREDIT"),
                    "label": "Credit Note"},
}
EDITABLE = ("Reference", "Url", "BrandingThemeID", "ExpectedPaymentDate", "SentToContact")
REVENUE_TYPES = ("REVENUE", "SALES", "OTHERINCOME")
# status now -> statuses a client may move it to
TRANSITIONS = {
    "DRAFT": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "SUBMITTED": {"DRAFT", "SUBMITTED", "AUTHORISED", "DELETED"},
    "AUTHORISED": {"AUTHORISED", "VOIDED"},
    "PAID": {"PAID"},
    "VOIDED": set(),
    "DELETED": set(),
}


class Invalid(Exception):
    def __init__(self, messages: list[str], line_errors: dict[int, list[str]] | None = None,
                 warnings: list[str] | None = None):
        super().__init__("; ".join(messages))
        self.messages = messages
        self.line_errors = line_errors or {}
        self.warnings = warnings or []


def _account_by(org: dict, code=None, account_id=None) -> dict | None:
    for account in org["accounts"].values():
        if (code is not None and account["Code"].lower() == str(code).lower()) or (
                account_id is not None and account["AccountID"] == str(account_id).lower()):
            return account
    return None


def _lock_problem(org: dict, day: str) -> str | None:
    organisation = org["organisation"]
    for field, which in (("EndOfYearLockDate", "end of year"), ("PeriodLockDate", "period")):
        lock = organisation.get(field)
        if lock and day <= lock:
            shown = date.fromisoformat(lock).strftime("%d-%b-%Y")
            return E.MSG_LOCK_DATE.format(which=which, date=shown)
    return None


def _tracking(org: dict, entries, problems: list[str]) -> list[dict]:
    out = []
    if len(entries or []) > 2:
        problems.append(E.MSG_TRACKING_MAX)
    for entry in (entries or [])[:2]:
        category = next((c for c in org["tracking"].values() if c["Status"] == "ACTIVE" and (
            c["TrackingCategoryID"] == str(entry.get("TrackingCategoryID", "")).lower()
            or c["Name"] == entry.get("Name"))), None)
        option = None
        if category:
            option = next((o for o in category["Options"] if o["Status"] == "ACTIVE" and (
                o["TrackingOptionID"] == str(entry.get("TrackingOptionID", "")).lower()
                or o["Name"] == entry.get("Option"))), None)
        if not option:
            problems.append(E.MSG_TRACKING_INVALID.format(
                option=entry.get("Option") or entry.get("TrackingOptionID"),
                category=entry.get("Name") or entry.get("TrackingCategoryID")))
            continue
        out.append({"TrackingCategoryID": category["TrackingCategoryID"],
                    "TrackingOptionID": option["TrackingOptionID"], "Name": category["Name"],
                    "Option": option["Name"]})
    return out


def _line(org, raw: dict, doc_type: str, amount_type: str, status: str, kind: str,
          old_lines: dict, unitdp: int, warnings: list[str]) -> tuple[dict, list[str]]:
    problems: list[str] = []
    line = {k: raw[k] for k in ("Description", "Quantity", "UnitAmount", "LineAmount",
                                "DiscountRate", "DiscountAmount", "TaxAmount") if k in raw}
    line["_tax_given"] = "TaxAmount" in raw
    old = old_lines.get(str(raw.get("LineItemID", "")).lower())
    line["LineItemID"] = old["LineItemID"] if old else new_id()
    item = None
    if raw.get("ItemCode"):
        item = next((i for i in org["items"].values()
                     if i["Code"].lower() == str(raw["ItemCode"]).lower()), None)
        if not item:
            problems.append(f"Item code '{raw['ItemCode']}' is not valid.")
        else:
            line["ItemCode"] = item["Code"]
            sales = item.get("SalesDetails") or {}
            line.setdefault("Description", item.get("Description") or item["Name"])
            if "UnitAmount" not in raw and "LineAmount" not in raw:
                line["UnitAmount"] = sales.get("UnitPrice", 0)
    account = None
    code = raw.get("AccountCode") or (item and (item.get("SalesDetails") or {}).get("AccountCode"))
    if raw.get("AccountID") or code:
        account = _account_by(org, code=code if not raw.get("AccountID") else None,
                              account_id=raw.get("AccountID"))
        shown = code or raw.get("AccountID")
        if account is None:
            warnings.append(E.MSG_ACCOUNT_UNKNOWN_WARNING.format(code=shown))
        elif account["Status"] != "ACTIVE":
            problems.append(E.MSG_ACCOUNT_ARCHIVED.format(code=account["Code"]))
            account = None
        elif doc_type.startswith("ACCREC") and (account.get("SystemAccount")
                                                 or account["Type"] == "BANK"):
            problems.append(E.MSG_ACCOUNT_NOT_VALID.format(code=account["Code"]))
            account = None
    if account:
        line["AccountCode"] = account["Code"]
        line["AccountID"] = account["AccountID"]
    elif status == "AUTHORISED" and (line.get("UnitAmount") or line.get("LineAmount")) \
            and not problems:
        problems.append(E.MSG_ACCOUNT_REQUIRED)
    tax_code = raw.get("TaxType") or (item and (item.get("SalesDetails") or {}).get("TaxType")) \
        or (account and account.get("TaxType")) or "NONE"
    rate_row = org["tax_rates"].get(str(tax_code))
    revenue = doc_type.startswith("ACCREC")
    if (rate_row is None or rate_row["Status"] != "ACTIVE"
            or (revenue and not rate_row["CanApplyToRevenue"])
            or (not revenue and not rate_row["CanApplyToExpenses"])):
        problems.append(E.MSG_TAX_INVALID.format(code=tax_code))
        rate = Decimal(0)
    else:
        rate = Decimal(str(rate_row["EffectiveRate"]))
    line["TaxType"] = str(tax_code)
    if kind == "credit_note" and (raw.get("DiscountRate") or raw.get("DiscountAmount")):
        problems.append(E.MSG_DISCOUNT_NOT_ALLOWED)
    if "Description" not in line and not item and not raw.get("Quantity") \
            and not raw.get("UnitAmount"):
        problems.append(E.MSG_LINEITEM_DESCRIPTION)
    line["Tracking"] = _tracking(org, raw.get("Tracking"), problems)
    if len(str(line.get("Description", ""))) > 4000:
        problems.append("Description must not be more than 4000 characters long.")
    compute_line(line, amount_type, rate, unitdp, allow_discount=kind == "invoice")
    return line, problems


def _number_taken(org, kind: str, number: str, doc_type: str, exclude_id: str | None) -> bool:
    meta = KINDS[kind]
    for doc in org[meta["collection"]].values():
        if (doc[meta["number"]].lower() == number.lower() and doc["Type"] == doc_type
                and doc[meta["id"]] != exclude_id and doc["Status"] != "DELETED"):
            return True
    return False


def save_document(state, org: dict, data: dict, kind: str, existing: dict | None,
                  unitdp: int = 2) -> tuple[dict, list[str], bool]:
    """Validate and create/update one document. Returns (doc, warnings, contact_created).

    Raises :class:`Invalid` with Xero's messages when the element is rejected.
    """
    meta = KINDS[kind]
    problems: list[str] = []
    warnings: list[str] = []
    now_iso = state.now_iso()
    old_status = existing["Status"] if existing else None
    status = str(data.get("Status") or old_status or "DRAFT").upper()
    doc_type = data.get("Type") or (existing and existing["Type"])
    if doc_type not in meta["types"]:
        raise Invalid([f"{meta['label']} Type must be one of {', '.join(meta['types'])}."])
    if existing is None and status not in ("DRAFT", "SUBMITTED", "AUTHORISED"):
        raise Invalid([E.MSG_STATUS_CREATE.format(status=status).replace(
            "Invoices", meta["label"] + "s")])
    if existing is not None:
        allowed = TRANSITIONS[old_status]
        settled = existing.get("AmountPaid", 0) or existing.get("AmountCredited", 0) or (
            kind == "credit_note" and existing.get("AppliedAmount"))
        touches = [k for k in data if k not in EDITABLE + (meta["id"], meta["number"], "Type")
                   and not (k == "Status" and str(data[k]).upper() == old_status)]
        if settled and touches and old_status in ("AUTHORISED", "PAID"):
            raise Invalid([E.MSG_HAS_PAYMENTS])
        if status not in allowed or (old_status in ("PAID", "VOIDED", "DELETED") and touches):
            raise Invalid([E.MSG_STATUS_MODIFY])
    # -- contact
    if existing is not None and "Contact" not in data:
        contact = org["contacts"][existing["Contact"]["ContactID"]]
        contact_created = False
    else:
        contact, problem, contact_created = contacts.resolve_for_document(
            org, data.get("Contact"), now_iso)
        if problem:
            problems.append(problem)
            contact_created = False
    # -- dates
    try:
        doc_date = parse_date(data.get("Date")) or (existing and existing["Date"]) \
            or state.today(org)
        due = parse_date(data.get("DueDate")) or (existing and existing.get("DueDate"))
    except ValueError:
        raise Invalid(["The date format is not valid. Use YYYY-MM-DD."]) from None
    if not due and kind == "invoice" and doc_type == "ACCREC":
        terms = (org["organisation"].get("PaymentTerms") or {}).get("Sales") or {}
        due = (date.fromisoformat(doc_date) + timedelta(days=int(terms.get("Day", 30)))).isoformat()
    for day in {doc_date, existing["Date"] if existing else doc_date}:
        lock = _lock_problem(org, day)
        if lock:
            problems.append(lock)
            break
    # -- lines
    amount_type = data.get("LineAmountTypes") or (existing and existing["LineAmountTypes"]) \
        or "Exclusive"
    if amount_type not in LINE_AMOUNT_TYPES:
        problems.append(f"LineAmountTypes '{amount_type}' is not valid.")
        amount_type = "Exclusive"
    line_errors: dict[int, list[str]] = {}
    if "LineItems" in data or existing is None:
        old_lines = {ln["LineItemID"]: ln for ln in (existing or {}).get("LineItems", [])}
        lines = []
        for index, raw in enumerate(data.get("LineItems") or []):
            line, line_problems = _line(org, raw, doc_type, amount_type, status, kind,
                                        old_lines, unitdp, warnings)
            lines.append(line)
            if line_problems:
                line_errors[index] = line_problems
                problems.extend(line_problems)
    else:
        lines = existing["LineItems"]
    # -- number
    number = data.get(meta["number"]) or (existing and existing[meta["number"]])
    if number and (existing is None or number != existing[meta["number"]]) \
            and doc_type in ("ACCREC", "ACCRECCREDIT") \
            and _number_taken(org, kind, number, doc_type, existing and existing[meta["id"]]):
        problems.append(E.MSG_INVOICE_NUMBER_UNIQUE if kind == "invoice"
                        else E.MSG_CREDIT_NOTE_NUMBER_UNIQUE)
    currency = str(data.get("CurrencyCode") or (existing and existing["CurrencyCode"])
                   or org["organisation"]["BaseCurrency"]).upper()
    rate, currency_problems = currencies.document_rate(org, currency, data.get("CurrencyRate"),
                                                       existing)
    problems.extend(currency_problems)
    if status in ("SUBMITTED", "AUTHORISED") and not lines:
        problems.append(f"{meta['label']} must have at least one line item to be approved.")
    if problems:
        if contact_created:  # nothing of a rejected element is kept
            org["contacts"].pop(contact["ContactID"], None)
        raise Invalid(list(dict.fromkeys(problems)), line_errors, warnings)
    # -- commit
    doc = existing if existing is not None else {meta["id"]: new_id(), "Payments": [],
                                                  "_allocations": [], "HasAttachments": False,
                                                  "SentToContact": False}
    if not number:
        number = state.next_number(org, kind, lambda n: _number_taken(org, kind, n, doc_type,
                                                                      None))
    doc.update({
        "Type": doc_type, meta["number"]: number, "Contact": {"ContactID": contact["ContactID"]},
        "Date": doc_date, "Status": status, "LineAmountTypes": amount_type, "LineItems": lines,
        "CurrencyCode": currency, "CurrencyRate": num(rate), "UpdatedDateUTC": now_iso,
    })
    if due:
        doc["DueDate"] = due
    for field in EDITABLE:
        # a credit note can be marked sent only once approved (spec: CreditNote.SentToContact)
        if field in data and not (field == "SentToContact" and kind == "credit_note"
                                  and status not in ("AUTHORISED", "PAID")):
            doc[field] = data[field]
    doc.update(document_totals(lines, amount_type))
    if kind == "credit_note":
        doc.pop("TotalDiscount", None)
    if doc_type in ("ACCREC", "ACCRECCREDIT"):
        contact["IsCustomer"] = True
    org[meta["collection"]][doc[meta["id"]]] = doc
    recompute(org, kind, doc, state)
    return doc, warnings, contact_created


def recompute(org: dict, kind: str, doc: dict, state) -> None:
    """AmountPaid/AmountCredited/AmountDue (invoices) or RemainingCredit (credit notes), and
    the automatic PAID <-> AUTHORISED moves."""
    total = money(doc["Total"])
    paid = sum((money(p["Amount"]) for p in org["payments"].values()
                if p["Status"] == "AUTHORISED" and p.get("_document_id") == doc_id(kind, doc)),
               Decimal(0))
    allocated = sum((money(a["Amount"]) for a in doc.get("_allocations", [])
                     if not a.get("IsDeleted")), Decimal(0))
    if kind == "invoice":
        doc["AmountPaid"] = num(paid)
        doc["AmountCredited"] = num(allocated)
        outstanding = total - paid - allocated
        doc["AmountDue"] = num(outstanding)
        doc["IsDiscounted"] = bool(doc.get("TotalDiscount"))
    else:
        outstanding = total - paid - allocated
        doc["RemainingCredit"] = num(outstanding)
        doc["AppliedAmount"] = num(paid + allocated)
    if doc["Status"] in ("AUTHORISED", "PAID"):
        if outstanding <= 0 and total > 0:
            if doc["Status"] != "PAID":
                doc["Status"] = "PAID"
                doc["FullyPaidOnDate"] = state.today(org)
        elif doc["Status"] == "PAID":
            doc["Status"] = "AUTHORISED"
            doc.pop("FullyPaidOnDate", None)


def doc_id(kind: str, doc: dict) -> str:
    return doc[KINDS[kind]["id"]]


def _line_shown(org: dict, line: dict, unitdp: int) -> dict:
    """A stored line as Xero returns it: with the ``Item`` (``LineItemItem``: ItemID, Name,
    Code) of its ``ItemCode`` when that item still exists, as Xero adds it to answers."""
    out = {k: (unit_shown(v, unitdp) if k == "UnitAmount" else v)
           for k, v in line.items() if not k.startswith("_")}
    code = str(line.get("ItemCode") or "").lower()
    item = next((i for i in org["items"].values() if i["Code"].lower() == code), None) \
        if code else None
    if item is not None:
        out["Item"] = {"ItemID": item["ItemID"], "Name": item.get("Name", ""),
                       "Code": item["Code"]}
    return out


def present(org: dict, kind: str, doc: dict, summary_only: bool = False,
            unitdp: int = 2) -> dict:
    """The stored document as Xero returns it (before date rendering); unit amounts to
    ``unitdp`` places (the request's ``unitdp``: 2 unless it asked for 4)."""
    out = dict(doc)
    contact = org["contacts"].get(doc["Contact"]["ContactID"])
    out["Contact"] = contacts.summary(contact) if contact else doc["Contact"]
    out["LineItems"] = [_line_shown(org, line, unitdp) for line in doc["LineItems"]]
    payments = [p for p in org["payments"].values() if p.get("_document_id") == doc_id(kind, doc)
                and p["Status"] == "AUTHORISED"]
    out["Payments"] = [{"PaymentID": p["PaymentID"], "Date": p["Date"], "Amount": p["Amount"],
                        "Reference": p.get("Reference", ""), "CurrencyRate": 1.0,
                        "HasAccount": False, "HasValidationErrors": False} for p in payments]
    allocations = [a for a in doc.get("_allocations", []) if not a.get("IsDeleted")]
    if kind == "invoice":
        out["CreditNotes"] = [{"CreditNoteID": a["CreditNoteID"],
                               "CreditNoteNumber": a["CreditNoteNumber"], "Total": a["Total"],
                               "AppliedAmount": a["Amount"], "Date": a["Date"]}
                              for a in allocations]
        out["Prepayments"], out["Overpayments"] = [], []
    else:
        out["Allocations"] = [{"AllocationID": a["AllocationID"], "Amount": a["Amount"],
                               "Date": a["Date"], "Invoice": {
                                   "InvoiceID": a["InvoiceID"],
                                   "InvoiceNumber": a["InvoiceNumber"]}}
                              for a in allocations]
    out["HasErrors"] = False
    if summary_only:
        for heavy in ("LineItems", "Payments", "CreditNotes", "Allocations", "Prepayments",
                      "Overpayments"):
            out.pop(heavy, None)
    return out
