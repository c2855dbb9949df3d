"""Multicurrency (reference 3.1, 3.12 ``CurrencyPrefs``): the company's currency list
(``CompanyCurrency``), QuickBooks' own exchange rates (``GET /exchangerate``) and the currency of
a customer or transaction.

A company without multicurrency keeps everything in its home currency: a ``CurrencyRef`` in
another currency is not stored, the home currency is (the silent re-labelling the plugin must
never rely on). With multicurrency on, a customer or transaction may use the home currency or an
*active* currency of the company's list; any other currency is refused, and a transaction must
be in its customer's currency. A transaction in a foreign currency keeps the ``ExchangeRate``
sent, or gets QuickBooks' rate for its ``TxnDate``; ``HomeTotalAmt`` is ``TotalAmt`` at that
rate. A home-currency transaction has rate 1.

Rates are stored per currency as ``[{"AsOfDate", "Rate"}]`` (``company.data["exchange_rates"]``);
the rate for a date is the latest one on or before it.
"""
from __future__ import annotations

from decimal import Decimal

from . import faults, tax

NAMES = {"USD": "United States Dollar", "GBP": "British Pound Sterling", "EUR": "Euro",
         "CAD": "Canadian Dollar"}


def home(company) -> str:
    return (company.pref("CurrencyPrefs", "HomeCurrency") or {"value": "USD"})["value"]


def multicurrency(company) -> bool:
    return bool(company.pref("CurrencyPrefs", "MultiCurrencyEnabled"))


def ref(code: str) -> dict:
    return {"value": code, "name": NAMES.get(code, code)}


def active_codes(company) -> set[str]:
    return {c["Code"] for c in company.all("CompanyCurrency") if c.get("Active")}


def currency_of(company, sent, element: str = "CurrencyRef") -> str:
    """The currency a customer or transaction is stored in (see the module docstring)."""
    code = str((sent or {}).get("value") or "").upper() if isinstance(sent, dict) else ""
    if not multicurrency(company) or not code or code == home(company):
        return home(company)
    if code not in active_codes(company):
        raise faults.business(
            f"The currency {code} is not in this company's currency list. Add it under "
            "Settings > Currencies first.", element=element)
    return code


def rate_for(company, code: str, as_of: str) -> dict | None:
    """``{"AsOfDate", "Rate"}``: the latest rate of ``code`` on or before ``as_of``."""
    rates = [r for r in company.data.get("exchange_rates", {}).get(code, [])
             if r["AsOfDate"] <= as_of]
    return max(rates, key=lambda r: r["AsOfDate"]) if rates else None


def exchange_rate(company, source: str, as_of: str, stamp: str) -> dict:
    """The ``ExchangeRate`` entity ``GET /exchangerate`` answers."""
    if not multicurrency(company):
        raise faults.business("Multicurrency is not enabled for this company.")
    source = (source or "").upper()
    if not source:
        raise faults.required("sourcecurrencycode")
    if source == home(company):
        rate = {"AsOfDate": as_of, "Rate": 1}
    else:
        rate = rate_for(company, source, as_of)
        if rate is None or source not in active_codes(company):
            raise faults.not_found("ExchangeRate", f"{source} {as_of}")
    return {"SourceCurrencyCode": source, "TargetCurrencyCode": home(company),
            "Rate": rate["Rate"], "AsOfDate": rate["AsOfDate"],
            "MetaData": {"LastUpdatedTime": stamp}}


def apply(company, txn: dict, customer: dict, total: Decimal) -> None:
    """Currency, ``ExchangeRate`` and ``HomeTotalAmt`` of an Invoice or CreditMemo."""
    code = currency_of(company, txn.get("CurrencyRef"))
    txn["CurrencyRef"] = ref(code)
    if not multicurrency(company):
        txn.pop("ExchangeRate", None)
        txn["HomeTotalAmt"] = tax.num(total)
        return
    own = str((customer.get("CurrencyRef") or {}).get("value") or home(company))
    if own != code:
        raise faults.business(
            f"The currency of the transaction ({code}) must match the customer's currency "
            f"({own}).", element="CurrencyRef")
    if code == home(company):
        rate = Decimal("1")
    elif txn.get("ExchangeRate") not in (None, ""):
        rate = Decimal(str(txn["ExchangeRate"]))
        if rate <= 0:
            raise faults.QboFault(2160, "Invalid Number", "ExchangeRate must be positive",
                                  "ExchangeRate")
    else:
        known = rate_for(company, code, txn["TxnDate"])
        if known is None:
            raise faults.business(f"There is no exchange rate for {code} on {txn['TxnDate']}.",
                                  element="ExchangeRate")
        rate = Decimal(str(known["Rate"]))
    txn["ExchangeRate"] = tax.num(rate)
    txn["HomeTotalAmt"] = tax.num(tax.money(total * rate))
