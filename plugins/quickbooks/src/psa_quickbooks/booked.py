"""What QuickBooks booked for a pushed invoice or credit memo, compared with the PSA document
(:mod:`host.contract.booking`).

Read from the create/update response: ``TotalAmt``, ``TxnTaxDetail.TotalTax``, ``CurrencyRef``,
``ExchangeRate`` and each ``SalesItemLineDetail`` line (quantity, unit price, amount, the income
account of its item, its class -- or the document's class with class tracking per transaction).
QuickBooks reports no tax per line. The intents say what the admin's mappings ask for: the
income account a line's GL account is mapped to (kind ``account``), and the class of
:class:`.classes.ClassPlan`. Every difference is a sentence on the sync record; when the total
or the tax differs, a last sentence says why QuickBooks computes it differently and what to do.
"""

from __future__ import annotations

from decimal import Decimal

from hookspecs import BookedDocument, BookedLine, LineIntent, compare

from .classes import ClassPlan, Classes
from .company import Company

CLASS = "Class"


def _dec(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0))


def account_names(items: dict[str, dict], extra: dict[str, dict]) -> dict[str, str]:
    """QuickBooks account id -> name, from the items' income accounts and accounts read."""
    names = {str(i["Id"]): str(i.get("Name") or i["Id"]) for i in extra.values()}
    for item in items.values():
        ref = item.get("IncomeAccountRef") or {}
        if ref.get("value"):
            names.setdefault(str(ref["value"]), str(ref.get("name") or ref["value"]))
    return names


def describe(saved: dict, company: Company, items: dict[str, dict], accounts: dict[str, str],
             classes: Classes, plan: ClassPlan) -> BookedDocument:
    header_class = (saved.get("ClassRef") or {}).get("value")
    lines = []
    for line in saved.get("Line") or []:
        if line.get("DetailType") != "SalesItemLineDetail":
            continue
        detail = line.get("SalesItemLineDetail") or {}
        item = items.get(str((detail.get("ItemRef") or {}).get("value")), {})
        account = str((item.get("IncomeAccountRef") or {}).get("value") or "")
        class_ref = detail.get("ClassRef") or ({"value": header_class} if header_class else {})
        dimensions = {CLASS: classes.name_of(class_ref["value"], class_ref.get("name", ""))} \
            if class_ref.get("value") else {}
        lines.append(BookedLine(
            description=str(line.get("Description") or ""), quantity=_dec(detail.get("Qty")),
            unit_amount=_dec(detail.get("UnitPrice")), amount=_dec(line.get("Amount")),
            account=accounts.get(account, account), dimensions=dimensions))
    rate = saved.get("ExchangeRate")
    currency = str((saved.get("CurrencyRef") or {}).get("value") or "")
    foreign = rate not in (None, "") and currency and currency != company.home_currency
    return BookedDocument(
        provider="QuickBooks", total=_dec(saved.get("TotalAmt")),
        tax=_dec((saved.get("TxnTaxDetail") or {}).get("TotalTax")), currency=currency,
        lines=tuple(lines), home_currency=company.home_currency,
        exchange_rate=_dec(rate) if foreign else None)


def intents(doc, connection, accounts: dict[str, str], plan: ClassPlan) -> dict[int, LineIntent]:
    out = {}
    for line in doc.lines:
        mapped = connection.mapping("account", line.gl_account.id) if line.gl_account else None
        wanted = plan.expected.get(line.id, "")
        out[line.id] = LineIntent(
            account=accounts.get(str(mapped), str(mapped)) if mapped else "",
            dimensions={CLASS: wanted} if wanted else {})
    return out


def differences(doc, booked: BookedDocument, wanted: dict[int, LineIntent], *, non_us: bool,
                using_sales_tax: bool, plan: ClassPlan) -> tuple[str, ...]:
    found = list(compare(doc, booked, wanted))
    money_differs = abs(booked.total - Decimal(doc.total)) >= Decimal("0.01") or \
        abs(booked.tax - Decimal(doc.tax_total)) >= Decimal("0.01")
    if money_differs:
        found.append(_why_tax(non_us=non_us, using_sales_tax=using_sales_tax))
    if plan.off_note and any("class" in text for text in found):
        found.append(plan.off_note)
    return tuple(found)


def _why_tax(*, non_us: bool, using_sales_tax: bool) -> str:
    if not non_us and not using_sales_tax:
        return ("Sales tax is off in this QuickBooks company, so it books no tax. Turn on sales "
                "tax in QuickBooks (Taxes > Sales tax) and push again, or book the tax there "
                "by hand.")
    if non_us:
        return ("QuickBooks computes tax from each line's tax code: map each PSA tax rate to a "
                "QuickBooks tax code of the same rate on the Manage page, then push again.")
    return "Check the tax rate mapping and QuickBooks' sales tax settings."
