"""Invoice and CreditMemo: validation, line normalisation, numbering and totals.

:func:`build_sales_txn` takes the merged body (after sparse/full update rules) and returns the
entity as QBO would store it: line ids, item and class names, the subtotal line, tax,
``TotalAmt``, ``Balance``, ``DueDate`` from the term, ``DocNumber`` per ``CustomTxnNumbers``,
addresses copied from the customer and the documented defaults.
"""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from . import currencies, customfields, faults, tax
from .timefmt import parse_date, qbo_date
from .validation import (blank, check_length, named_ref, number, resolve_ref, valid_email)

LINE_TYPES = {"SalesItemLineDetail", "DescriptionOnly", "DiscountLineDetail", "SubTotalLineDetail"}


def check_closed_period(company, txn_date: str | None) -> None:
    """6200 when the date is on or before ``AccountingInfoPrefs.BookCloseDate``."""
    close = parse_date(company.pref("AccountingInfoPrefs", "BookCloseDate"))
    day = parse_date(txn_date)
    if close and day and day <= close:
        raise faults.QboFault(
            6200, "Account Period Closed",
            f"The account period has closed and the books are locked through {close.isoformat()}. "
            "You cannot add or change transactions dated on or before that date.", "TxnDate")


def _inactive_customer(element):
    return faults.QboFault(6250, "InvalidSalesCustomer",
                           "Invalid Customer: the customer does not exist or has been made inactive.",
                           element)


def _sales_line(company, line: dict, index: int, taxable_customer: bool) -> dict:
    element = "Line.SalesItemLineDetail"
    detail = dict(line.get("SalesItemLineDetail") or {})
    if blank(line.get("Amount")):
        raise faults.required("Amount", "Line.Amount")
    amount = tax.money(number(line["Amount"], "Line.Amount"))
    if blank(detail.get("ItemRef")):
        raise faults.required("ItemRef", f"{element}.ItemRef")
    item = resolve_ref(company, "Item", detail["ItemRef"], f"{element}.ItemRef")
    if item.get("Type") == "Category":
        raise faults.business(
            f"You can't use the category \"{item['Name']}\" on a transaction. Choose a product "
            "or service instead.", element=f"{element}.ItemRef")
    detail["ItemRef"] = named_ref(item)
    qty, price = detail.get("Qty"), detail.get("UnitPrice")
    q = Decimal(str(number(qty, "Qty"))) if not blank(qty) else Decimal("0")
    p = Decimal(str(number(price, "UnitPrice"))) if not blank(price) else Decimal("0")
    if q and p:  # clients such as python-quickbooks send 0/0 for "not given"
        if abs(tax.money(q * p) - amount) > Decimal("0.01"):
            raise faults.QboFault(6070, "Amount calculation incorrect in the request",
                                  f"Amount is not equal to UnitPrice * Qty. Supplied value:{amount}",
                                  "Line.Amount")
    elif q:
        detail["UnitPrice"] = tax.num(tax.money(amount / q))
    code = (detail.get("TaxCodeRef") or {}).get("value") if isinstance(detail.get("TaxCodeRef"), dict) else None
    if company.is_us:
        if blank(code):
            code = "TAX" if item.get("Taxable") and taxable_customer else "NON"
        if code not in ("TAX", "NON"):
            raise faults.QboFault(6100, "Invalid Line TaxCode in the request",
                                  "Invalid line tax code: for US companies use TAX or NON.",
                                  f"{element}.TaxCodeRef")
        detail["TaxCodeRef"] = {"value": code}
    else:
        if blank(code):
            raise faults.business("Make sure all your transactions have a VAT rate before you save.",
                                  element=f"{element}.TaxCodeRef")
        tc = resolve_ref(company, "TaxCode", code, f"{element}.TaxCodeRef")
        detail["TaxCodeRef"] = {"value": tc["Id"]}
    if company.pref("AccountingInfoPrefs", "ClassTrackingPerTxnLine") and not blank(detail.get("ClassRef")):
        detail["ClassRef"] = named_ref(resolve_ref(company, "Class", detail["ClassRef"], f"{element}.ClassRef"))
    else:
        detail.pop("ClassRef", None)
    if not blank(detail.get("ServiceDate")) and parse_date(detail["ServiceDate"]) is None:
        raise faults.QboFault(2060, "Invalid Date", "Invalid date format", f"{element}.ServiceDate")
    detail = {k: v for k, v in detail.items() if not blank(v)}
    out = {"Amount": tax.num(amount), "DetailType": "SalesItemLineDetail", "SalesItemLineDetail": detail}
    if not blank(line.get("Description")):
        out["Description"] = line["Description"]
        check_length(out, "Description", 4000, "Line.Description")
    return out


def _lines(company, body: dict, existing: dict | None, taxable_customer: bool):
    raw = body.get("Line")
    if not isinstance(raw, list) or not any(
            isinstance(l, dict) and l.get("DetailType") != "SubTotalLineDetail" for l in raw):
        raise faults.required("Line")
    old_ids = {l.get("Id") for l in (existing or {}).get("Line", []) if l.get("Id")}
    next_id = max([int(i) for i in old_ids if str(i).isdigit()] + [0]) + 1
    lines, discount_line = [], None
    for index, line in enumerate(raw):
        if not isinstance(line, dict):
            raise faults.bad_property("Line failed to parse json object", "Line")
        dtype = line.get("DetailType")
        if blank(dtype):
            raise faults.required("DetailType", "Line.DetailType")
        if dtype not in LINE_TYPES:
            raise faults.QboFault(2170, "Invalid Enumeration",
                                  f"Invalid enumeration value {dtype!r} for DetailType", "Line.DetailType")
        if dtype == "SubTotalLineDetail":
            continue
        if dtype == "SalesItemLineDetail":
            out = _sales_line(company, line, index, taxable_customer)
        elif dtype == "DescriptionOnly":
            out = {"DetailType": "DescriptionOnly",
                   "DescriptionLineDetail": line.get("DescriptionLineDetail") or {}}
            if not blank(line.get("Description")):
                out["Description"] = line["Description"]
        else:
            discount_line = line
            continue
        line_id = str(line.get("Id") or "")
        if line_id not in old_ids or line_id in {l.get("Id") for l in lines}:
            line_id, next_id = str(next_id), next_id + 1
        out = {"Id": line_id, "LineNum": len(lines) + 1, **out}
        lines.append(out)
    return lines, discount_line


def _discount(company, line: dict | None, subtotal: Decimal):
    if line is None:
        return Decimal("0"), None
    if not company.pref("SalesFormsPrefs", "AllowDiscount"):
        raise faults.business("Discounts are turned off for this company (SalesFormsPrefs.AllowDiscount).")
    detail = dict(line.get("DiscountLineDetail") or {})
    if detail.get("PercentBased") and not blank(detail.get("DiscountPercent")):
        pct = Decimal(str(number(detail["DiscountPercent"], "DiscountPercent")))
        amount = tax.money(subtotal * pct / 100)
    elif not blank(line.get("Amount")):
        amount = tax.money(number(line["Amount"], "Line.Amount"))
        detail["PercentBased"] = bool(detail.get("PercentBased", False))
    else:
        raise faults.QboFault(6090, "Discount Line missing required info",
                              "Discount line needs an Amount or a DiscountPercent", "Line")
    account = resolve_ref(company, "Account", detail.get("DiscountAccountRef"),
                          "Line.DiscountLineDetail.DiscountAccountRef")
    if account is None:
        account = next((a for a in company.all("Account")
                        if a.get("AccountSubType") == "DiscountsRefundsGiven" and a.get("Active")), None)
    if account:
        detail["DiscountAccountRef"] = named_ref(account)
    return amount, {"Amount": tax.num(amount), "DetailType": "DiscountLineDetail",
                    "DiscountLineDetail": detail}


def build_sales_txn(company, entity: str, body: dict, existing: dict | None, *, now: float,
                    allow_duplicate_docnum: bool, applied: Decimal) -> dict:
    """Validate ``body`` (already merged with ``existing`` for updates) and compute the entity."""
    txn = {k: v for k, v in body.items() if not blank(v) or k in ("Line",)}
    customer = resolve_ref(company, "Customer", txn.get("CustomerRef"), "CustomerRef",
                           required=True, inactive_fault=_inactive_customer)
    txn["CustomerRef"] = named_ref(customer, "DisplayName")
    txn_date = txn.get("TxnDate") or qbo_date(now)
    if parse_date(txn_date) is None:
        raise faults.QboFault(2060, "Invalid Date", f"Invalid date: {txn_date}", "TxnDate")
    txn["TxnDate"] = txn_date
    check_closed_period(company, txn_date)
    if existing and existing.get("TxnDate") != txn_date:
        check_closed_period(company, existing.get("TxnDate"))

    term = resolve_ref(company, "Term", txn.get("SalesTermRef"), "SalesTermRef")
    if term:
        txn["SalesTermRef"] = named_ref(term)
    if entity == "Invoice" and blank(body.get("DueDate")):
        days = int(term.get("DueDays") or 0) if term else 0
        txn["DueDate"] = (parse_date(txn_date) + timedelta(days=days)).isoformat()
    if company.pref("AccountingInfoPrefs", "ClassTrackingPerTxn") and not blank(txn.get("ClassRef")):
        txn["ClassRef"] = named_ref(resolve_ref(company, "Class", txn["ClassRef"], "ClassRef"))
    else:
        txn.pop("ClassRef", None)

    _doc_number(company, entity, txn, existing, allow_duplicate_docnum)
    for field, limit in (("PrivateNote", 4000), ("TrackingNum", 31)):
        check_length(txn, field, limit)
    if isinstance(txn.get("CustomerMemo"), dict):
        check_length(txn["CustomerMemo"], "value", 1000, "CustomerMemo")
    email = (txn.get("BillEmail") or {}).get("Address") if isinstance(txn.get("BillEmail"), dict) else None
    if email is not None and not valid_email(email):
        txn.pop("BillEmail")  # QBO silently drops an invalid address
    status = txn.get("EmailStatus", "NotSet")
    if status not in ("NotSet", "NeedToSend", "EmailSent"):
        raise faults.QboFault(2170, "Invalid Enumeration", f"Invalid EmailStatus {status!r}", "EmailStatus")
    if status == "NeedToSend" and not txn.get("BillEmail"):
        raise faults.QboFault(6420, "Email address is required",
                              "You must provide an email address when EmailStatus is NeedToSend.", "BillEmail")

    lines, discount_raw = _lines(company, txn, existing, bool(customer.get("Taxable", True)))
    subtotal = sum((tax.money(l["Amount"]) for l in lines if l["DetailType"] == "SalesItemLineDetail"),
                   Decimal("0"))
    discount, discount_line = _discount(company, discount_raw, subtotal)
    sent_tax = txn.get("TxnTaxDetail") if isinstance(txn.get("TxnTaxDetail"), dict) else None
    if company.is_us:
        txn.pop("GlobalTaxCalculation", None)
        total_tax, tax_detail = tax.compute_us(company, txn, lines, subtotal, discount, sent_tax)
        total = subtotal - discount + total_tax
    else:
        total_tax, tax_detail = tax.compute_global(company, txn, lines, subtotal, discount, sent_tax)
        inclusive = txn["GlobalTaxCalculation"] == "TaxInclusive"
        total = subtotal - discount + (Decimal("0") if inclusive else total_tax)
    all_lines = lines + [{"Amount": tax.num(subtotal), "DetailType": "SubTotalLineDetail",
                          "SubTotalLineDetail": {}}]
    if discount_line:
        all_lines.append(discount_line)
    txn["Line"] = all_lines
    if tax_detail is None:
        txn.pop("TxnTaxDetail", None)
    else:
        txn["TxnTaxDetail"] = tax_detail
    if txn.get("Voided"):
        total = Decimal("0")
    txn["TotalAmt"] = tax.num(tax.money(total))
    balance = max(Decimal("0"), tax.money(total) - applied)
    txn["Balance"] = tax.num(balance)
    if entity == "CreditMemo":
        txn["RemainingCredit"] = txn["Balance"]
    if existing is not None and existing.get("CurrencyRef"):
        txn["CurrencyRef"] = existing["CurrencyRef"]  # set at creation only (reference 3.1)
    currencies.apply(company, txn, customer, tax.money(total))
    for addr in ("BillAddr", "ShipAddr"):
        if blank(txn.get(addr)) and customer.get(addr):
            txn[addr] = dict(customer[addr])
    txn.setdefault("EmailStatus", "NotSet")
    txn.setdefault("PrintStatus", "NotSet")
    txn.setdefault("LinkedTxn", [])
    txn["CustomField"] = customfields.apply(company, body.get("CustomField"),
                                            (existing or {}).get("CustomField"))
    txn.setdefault("Deposit", 0)
    if entity == "Invoice":
        txn.setdefault("ApplyTaxAfterDiscount", False)
        txn.setdefault("AllowOnlineCreditCardPayment", False)
        txn.setdefault("AllowOnlineACHPayment", False)
    for key in ("HomeBalance", "InvoiceLink", "AutoDocNumber"):
        txn.pop(key, None)
    return txn


def _doc_number(company, entity, txn, existing, allow_duplicate) -> None:
    custom = company.pref("SalesFormsPrefs", "CustomTxnNumbers", False)
    doc = txn.get("DocNumber")
    auto = doc == "AUTO_GENERATE" or (txn.get("AutoDocNumber") is True and blank(doc))
    if existing is not None and blank(doc) and not auto:
        if not custom and existing.get("DocNumber"):
            txn["DocNumber"] = existing["DocNumber"]
        return
    if auto or (blank(doc) and not custom):
        txn["DocNumber"] = company.next_doc_number(entity)
        return
    if blank(doc):
        txn.pop("DocNumber", None)  # custom numbers on and none supplied: no number
        return
    check_length(txn, "DocNumber", 21)
    if not allow_duplicate:
        for other in company.all(entity):
            if other.get("DocNumber") == doc and (existing is None or other["Id"] != existing["Id"]):
                raise faults.QboFault(6140, "Duplicate Document Number Error",
                                      "You must specify a different number. This number has already "
                                      f"been used. DocNumber={doc} is assigned to TxnType={entity} "
                                      f"with TxnId={other['Id']}", "DocNumber")

