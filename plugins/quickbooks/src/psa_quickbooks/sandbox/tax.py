"""Server-side totals and tax (reference 3.3 and 12).

US companies: line ``TaxCodeRef`` is TAX or NON; the rate comes from the transaction's
``TxnTaxDetail.TxnTaxCodeRef`` (default ``TaxPrefs.TaxGroupCodeRef``); ``ApplyTaxAfterDiscount``
decides whether the discount reduces the taxable base; an explicit ``TotalTax`` overrides.

Non-US companies: each line carries a real TaxCode whose ``SalesTaxRateList`` gives the rates;
``GlobalTaxCalculation`` is ``TaxExcluded`` (tax added on top), ``TaxInclusive`` (line amounts
already include tax; the sandbox keeps ``Amount`` as sent and derives the net), or
``NotApplicable`` (no tax; a ``TxnTaxDetail`` with tax is refused with 6170).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from . import faults


def money(value) -> Decimal:
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError):
        raise faults.QboFault(2120, "Invalid Decimal", f"Invalid decimal value: {value!r}")


def num(value: Decimal):
    """A Decimal as a JSON number (int when whole, else float)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _rates_of(company, code: dict) -> list[dict]:
    rates = []
    for detail in (code.get("SalesTaxRateList") or {}).get("TaxRateDetail", []):
        rate = company.get("TaxRate", detail["TaxRateRef"]["value"])
        if rate:
            rates.append(rate)
    return rates


def _tax_line(rate: dict, base: Decimal, amount: Decimal, inclusive: bool = False) -> dict:
    detail = {"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]}, "PercentBased": True,
              "TaxPercent": rate["RateValue"], "NetAmountTaxable": num(money(base))}
    if inclusive:
        detail["TaxInclusiveAmount"] = num(money(base + amount))
    return {"Amount": num(money(amount)), "DetailType": "TaxLineDetail", "TaxLineDetail": detail}


def compute_us(company, txn: dict, lines: list[dict], subtotal: Decimal, discount: Decimal,
               sent_tax: dict | None) -> tuple[Decimal, dict | None]:
    """Return (total tax, TxnTaxDetail) for a US transaction."""
    if not company.pref("TaxPrefs", "UsingSalesTax", False):
        return Decimal("0"), None
    taxable = sum((money(l["Amount"]) for l in lines
                   if l.get("DetailType") == "SalesItemLineDetail"
                   and l["SalesItemLineDetail"].get("TaxCodeRef", {}).get("value") == "TAX"),
                  Decimal("0"))
    if txn.get("ApplyTaxAfterDiscount") and subtotal > 0 and discount:
        taxable = taxable * (Decimal("1") - discount / subtotal)
    code_ref = ((sent_tax or {}).get("TxnTaxCodeRef") or
                company.pref("TaxPrefs", "TaxGroupCodeRef"))
    if not code_ref or not code_ref.get("value"):
        return Decimal("0"), {"TotalTax": 0}
    code = company.get("TaxCode", code_ref["value"])
    if code is None or code["Id"] in ("TAX", "NON"):
        raise faults.invalid_ref("TxnTaxDetail.TxnTaxCodeRef")
    tax_lines, total = [], Decimal("0")
    for rate in _rates_of(company, code):
        amount = money(taxable * Decimal(str(rate["RateValue"])) / 100)
        total += amount
        tax_lines.append(_tax_line(rate, taxable, amount))
    explicit = (sent_tax or {}).get("TotalTax")
    if isinstance(explicit, (int, float)) and money(explicit) != total:
        total = money(explicit)
    return total, {"TxnTaxCodeRef": {"value": code["Id"], "name": code["Name"]},
                   "TotalTax": num(total), "TaxLine": tax_lines}


def compute_global(company, txn: dict, lines: list[dict], subtotal: Decimal, discount: Decimal,
                   sent_tax: dict | None) -> tuple[Decimal, dict | None]:
    """Return (total tax, TxnTaxDetail) for a non-US transaction."""
    mode = txn.get("GlobalTaxCalculation") or "TaxExcluded"
    if mode not in ("TaxExcluded", "TaxInclusive", "NotApplicable"):
        raise faults.QboFault(2170, "Invalid Enumeration",
                              f"Invalid enumeration value {mode!r}", "GlobalTaxCalculation")
    txn["GlobalTaxCalculation"] = mode
    if mode == "NotApplicable":
        if sent_tax and (sent_tax.get("TaxLine") or sent_tax.get("TotalTax")):
            raise faults.QboFault(6170, "Invalid TxnTaxDetail",
                                  "TxnTaxDetail is not allowed when GlobalTaxCalculation is NotApplicable",
                                  "TxnTaxDetail")
        return Decimal("0"), None
    ratio = (Decimal("1") - discount / subtotal) if subtotal > 0 and discount else Decimal("1")
    bases: dict[str, list] = {}
    for line in lines:
        if line.get("DetailType") != "SalesItemLineDetail":
            continue
        code = company.get("TaxCode", line["SalesItemLineDetail"]["TaxCodeRef"]["value"])
        for rate in _rates_of(company, code):
            entry = bases.setdefault(rate["Id"], [rate, Decimal("0")])
            entry[1] += money(line["Amount"]) * ratio
    tax_lines, total = [], Decimal("0")
    for rate, gross in bases.values():
        pct = Decimal(str(rate["RateValue"])) / 100
        if mode == "TaxInclusive":
            base = gross / (1 + pct)
            amount = money(gross - base)
        else:
            base = gross
            amount = money(base * pct)
        total += amount
        tax_lines.append(_tax_line(rate, base, amount, inclusive=mode == "TaxInclusive"))
    return total, {"TotalTax": num(total), "TaxLine": tax_lines}
