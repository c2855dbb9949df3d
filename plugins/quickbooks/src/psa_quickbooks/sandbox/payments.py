"""Payments and their effect on invoices and credit memos (reference 3.10, sample S6).

A payment's lines link invoices (amount applied) and credit memos (credit used). The balance of
a linked transaction is derived: ``TotalAmt`` minus everything applied by payments, and its
``LinkedTxn`` lists those payments. :func:`refresh_linked` recomputes both after any payment
change (create, update, delete, void) and bumps the linked transaction's SyncToken.
"""
from __future__ import annotations

from decimal import Decimal

from . import faults, tax
from .transactions import check_closed_period
from .timefmt import parse_date, qbo_date
from .validation import blank, named_ref, number, resolve_ref

LINKABLE = ("Invoice", "CreditMemo")


def applied_to(company, entity: str, ident: str, exclude_payment: str | None = None) -> Decimal:
    total = Decimal("0")
    for payment in company.all("Payment"):
        if payment["Id"] == exclude_payment:
            continue
        for line in payment.get("Line", []):
            for link in line.get("LinkedTxn", []):
                if link.get("TxnType") == entity and str(link.get("TxnId")) == ident:
                    total += tax.money(line.get("Amount", 0))
    return total


def payments_linking(company, entity: str, ident: str) -> list[str]:
    ids = []
    for payment in company.all("Payment"):
        if any(link.get("TxnType") == entity and str(link.get("TxnId")) == ident
               for line in payment.get("Line", []) for link in line.get("LinkedTxn", [])):
            ids.append(payment["Id"])
    return ids


def refresh_linked(company, entity: str, ident: str, stamp: str) -> dict | None:
    """Recompute Balance/LinkedTxn of one invoice or credit memo; returns it if it changed."""
    txn = company.get(entity, ident)
    if txn is None:
        return None
    balance = max(Decimal("0"), tax.money(txn.get("TotalAmt", 0)) - applied_to(company, entity, ident))
    links = [l for l in txn.get("LinkedTxn", []) if l.get("TxnType") != "Payment"]
    links += [{"TxnId": pid, "TxnType": "Payment"} for pid in payments_linking(company, entity, ident)]
    new_balance = tax.num(balance)
    if txn.get("Balance") == new_balance and txn.get("LinkedTxn") == links:
        return None
    txn["Balance"] = new_balance
    if entity == "CreditMemo":
        txn["RemainingCredit"] = new_balance
    txn["LinkedTxn"] = links
    txn["SyncToken"] = str(int(txn["SyncToken"]) + 1)
    txn["MetaData"]["LastUpdatedTime"] = stamp
    return txn


def build_payment(company, body: dict, existing: dict | None, *, now: float) -> tuple[dict, set]:
    """Validate a payment; returns (payment, {(entity, id)} of transactions it touches)."""
    pay = {k: v for k, v in body.items() if not blank(v) or k == "Line"}
    customer = resolve_ref(company, "Customer", pay.get("CustomerRef"), "CustomerRef", required=True)
    pay["CustomerRef"] = named_ref(customer, "DisplayName")
    if blank(body.get("TotalAmt")):
        raise faults.required("TotalAmt")
    total = tax.money(number(body["TotalAmt"], "TotalAmt"))
    if total < 0:
        raise faults.business("The payment amount can't be negative.", element="TotalAmt")
    pay["TotalAmt"] = tax.num(total)
    pay["TxnDate"] = pay.get("TxnDate") or qbo_date(now)
    if parse_date(pay["TxnDate"]) is None:
        raise faults.QboFault(2060, "Invalid Date", f"Invalid date: {pay['TxnDate']}", "TxnDate")
    check_closed_period(company, pay["TxnDate"])
    touched: set = set()
    applied = credit = Decimal("0")
    lines = []
    for line in pay.get("Line") or []:
        amount = tax.money(number(line.get("Amount", 0), "Line.Amount"))
        links = line.get("LinkedTxn") or []
        clean = []
        for link in links:
            entity = link.get("TxnType")
            if entity not in LINKABLE:
                raise faults.QboFault(620, "Txn ID cannot be linked",
                                      f"Transaction type {entity!r} cannot be linked to a payment",
                                      "Line.LinkedTxn")
            txn = company.get(entity, str(link.get("TxnId")))
            if txn is None:
                raise faults.invalid_ref("Line.LinkedTxn.TxnId")
            if txn["CustomerRef"]["value"] != customer["Id"]:
                raise faults.QboFault(620, "Txn ID cannot be linked",
                                      f"{entity} {txn['Id']} belongs to another customer", "Line.LinkedTxn")
            open_amount = tax.money(txn.get("TotalAmt", 0)) - applied_to(
                company, entity, txn["Id"], exclude_payment=existing and existing["Id"])
            if amount > open_amount:
                raise faults.business(
                    f"The payment amount {amount} is more than the open balance {open_amount} of "
                    f"{entity} {txn.get('DocNumber') or txn['Id']}.", element="Line.Amount")
            clean.append({"TxnId": txn["Id"], "TxnType": entity})
            touched.add((entity, txn["Id"]))
            if entity == "Invoice":
                applied += amount
            else:
                credit += amount
        lines.append({"Amount": tax.num(amount), "LinkedTxn": clean})
    if applied - credit > total:
        raise faults.business("The amount applied to transactions is more than the payment amount.",
                              element="Line")
    pay["Line"] = lines
    pay["UnappliedAmt"] = tax.num(total - (applied - credit))
    undeposited = next((a for a in company.all("Account")
                        if a.get("AccountSubType") == "UndepositedFunds"), None)
    if not blank(pay.get("DepositToAccountRef")):
        pay["DepositToAccountRef"] = named_ref(resolve_ref(company, "Account", pay["DepositToAccountRef"],
                                                           "DepositToAccountRef"))
    elif undeposited:
        pay["DepositToAccountRef"] = {"value": undeposited["Id"]}
    home = company.pref("CurrencyPrefs", "HomeCurrency") or {"value": "USD"}
    pay["CurrencyRef"] = {"value": home["value"]}
    pay.setdefault("ProcessPayment", False)
    if existing:
        for line in existing.get("Line", []):
            for link in line.get("LinkedTxn", []):
                touched.add((link["TxnType"], link["TxnId"]))
    return pay, touched


def void_payment(payment: dict) -> set:
    touched = {(l["TxnType"], l["TxnId"]) for line in payment.get("Line", []) for l in line.get("LinkedTxn", [])}
    payment["Line"] = []
    payment["TotalAmt"] = 0
    payment["UnappliedAmt"] = 0
    payment["PrivateNote"] = ("Voided " + payment.get("PrivateNote", "")).strip()
    payment["TxnStatus"] = "Voided"
    return touched

