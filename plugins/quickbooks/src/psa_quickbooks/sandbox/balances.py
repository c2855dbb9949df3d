"""The read-only ``Balance`` of customers and vendors, computed as QBO reports it (reference 3.4).

A customer's ``Balance`` is its opening balance plus its open invoices, minus its open credit
memos and unapplied payments; ``BalanceWithJobs`` adds its sub-customers' (jobs'). The sandbox
stores neither: every answer (read, create and update responses, query rows, CDC) and every
query filter or ordering on them uses the computed value. A vendor's is its opening balance
(the sandbox has no bills).

The only ``Balance`` a client may send is the opening balance on create ("write-on-create"); it
is kept as ``_opening_balance`` (hidden from the API). A ``Balance`` sent on update is ignored.
"""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from . import tax

OPENING = "_opening_balance"
HOLDERS = ("Customer", "Vendor")
#: (entity, field, sign): what moves a customer's balance
MOVES = (("Invoice", "Balance", 1), ("CreditMemo", "Balance", -1), ("Payment", "UnappliedAmt", -1))


def take_opening_balance(obj: dict, existing: dict | None) -> None:
    """Drop a sent ``Balance``/``BalanceWithJobs``; on create ``Balance`` is the opening one."""
    sent = obj.pop("Balance", None)
    obj.pop("BalanceWithJobs", None)
    if existing is not None:
        if OPENING in existing:
            obj[OPENING] = existing[OPENING]
        else:
            obj.pop(OPENING, None)
    elif isinstance(sent, (int, float, str)) and not isinstance(sent, bool) and str(sent).strip():
        obj[OPENING] = str(tax.money(sent))


def customer_balances(company) -> dict[str, tuple[float, float]]:
    """Customer id -> (Balance, BalanceWithJobs), from one pass over the transactions."""
    own: dict[str, Decimal] = defaultdict(Decimal)
    customers = {c["Id"]: c for c in company.all("Customer")}
    for ident, customer in customers.items():
        own[ident] += tax.money(customer.get(OPENING, 0))
    for entity, field, sign in MOVES:
        for txn in company.all(entity):
            ident = (txn.get("CustomerRef") or {}).get("value")
            if ident in customers:
                own[ident] += sign * tax.money(txn.get(field, 0) or 0)
    with_jobs: dict[str, Decimal] = defaultdict(Decimal)
    for ident in customers:
        seen, current = set(), ident
        while current in customers and current not in seen:  # the customer and its ancestors
            seen.add(current)
            with_jobs[current] += own[ident]
            current = (customers[current].get("ParentRef") or {}).get("value")
    return {ident: (tax.num(own[ident]), tax.num(with_jobs[ident])) for ident in customers}


def shown(company, entity: str, obj: dict, table: dict | None = None) -> dict:
    """``obj`` (a public copy) with its computed balances (``table``: customer_balances())."""
    if entity == "Customer" and "Id" in obj:
        table = table if table is not None else customer_balances(company)
        obj["Balance"], obj["BalanceWithJobs"] = table.get(obj["Id"], (0, 0))
    elif entity == "Vendor" and "Id" in obj:
        stored = company.get("Vendor", obj["Id"]) or {}
        obj["Balance"] = tax.num(tax.money(stored.get(OPENING, 0)))
    return obj
