"""An organisation's currencies (``GET``/``PUT /Currencies``) and the sandbox's day rates.

Xero books a document in a currency other than the base currency only when the organisation
has that currency (Settings > Currencies, or ``PUT /Currencies``); otherwise the document is
refused with "Organisation is not subscribed to currency EUR". A document in a foreign
currency carries a ``CurrencyRate``: the client's, else Xero's own day rate (XE.com). The
sandbox's day rate comes from :data:`PER_USD`, fixed reference rates (units per US dollar),
crossed through the dollar: ``rate(base, foreign)`` is what one unit of the base currency buys
of the foreign one, rounded to 6 decimals as Xero keeps it. Every organisation page shows the
rates of the currencies it has; every document answer carries the rate it was booked at.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from . import errors as E

#: the currencies the sandbox can add: code -> (name, units per US dollar)
PER_USD: dict[str, tuple[str, Decimal]] = {
    "USD": ("United States Dollar", Decimal("1")),
    "EUR": ("Euro", Decimal("0.92")),
    "GBP": ("British Pound", Decimal("0.79")),
    "NZD": ("New Zealand Dollar", Decimal("1.68")),
    "AUD": ("Australian Dollar", Decimal("1.52")),
    "CAD": ("Canadian Dollar", Decimal("1.37")),
    "CHF": ("Swiss Franc", Decimal("0.88")),
    "JPY": ("Japanese Yen", Decimal("151.2")),
    "SEK": ("Swedish Krona", Decimal("10.6")),
    "DKK": ("Danish Krone", Decimal("6.87")),
    "SGD": ("Singapore Dollar", Decimal("1.35")),
    "ZAR": ("South African Rand", Decimal("18.4")),
}
SIX = Decimal("0.000001")


def currency(code: str) -> dict:
    """A ``Currency`` as Xero lists it."""
    return {"Code": code, "Description": PER_USD.get(code, (code,))[0]}


def enabled(org: dict) -> list[dict]:
    """The organisation's currencies, its base currency first."""
    base = org["organisation"]["BaseCurrency"]
    codes = [base] + [c for c in org.get("currencies", []) if c != base]
    return [currency(code) for code in codes]


def has(org: dict, code: str) -> bool:
    return any(c["Code"] == code for c in enabled(org))


def add(org: dict, code: str) -> dict:
    """Add a currency to the organisation (adding one it has changes nothing)."""
    code = str(code or "").strip().upper()
    if code not in PER_USD:
        raise E.XeroError(E.validation_single(E.MSG_CURRENCY_UNKNOWN.format(code=code)))
    if not has(org, code):
        org.setdefault("currencies", []).append(code)
    return currency(code)


def day_rate(base: str, foreign: str) -> Decimal:
    """Units of ``foreign`` one unit of ``base`` buys today (the sandbox's XE.com rate)."""
    return (PER_USD[foreign][1] / PER_USD[base][1]).quantize(SIX, rounding=ROUND_HALF_UP)


def document_rate(org: dict, code: str, given, existing: dict | None) -> tuple[Decimal, list]:
    """``(CurrencyRate, problems)`` for a document in ``code``: 1 in the base currency (a
    given rate is ignored, as Xero does); for a currency the organisation has, the client's
    rate, else the rate the document already had in that currency, else the day rate."""
    base = org["organisation"]["BaseCurrency"]
    if code == base:
        return Decimal(1), []
    if not has(org, code):
        return Decimal(1), [E.MSG_CURRENCY_NOT_SUBSCRIBED.format(code=code)]
    if given not in (None, ""):
        try:
            rate = Decimal(str(given))
        except ArithmeticError:
            rate = Decimal(0)
        if not rate.is_finite() or rate <= 0:
            return Decimal(1), [E.MSG_CURRENCY_RATE_INVALID]
        return rate.quantize(SIX, rounding=ROUND_HALF_UP), []
    if existing is not None and existing.get("CurrencyCode") == code:
        return Decimal(str(existing.get("CurrencyRate", 1))), []
    return day_rate(base, code), []
