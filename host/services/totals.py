"""Money arithmetic, in one place. Pure functions on Decimals; no database.

* line amount = quantity x unit price x (1 - discount % / 100), rounded half-up to cents;
* line tax = line amount x rate / 100, rounded half-up to cents (tax is computed per line);
* subtotal, tax total and total are sums of the rounded line figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Iterable

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def to_decimal(value) -> Decimal:
    """Decimal from a Decimal, int or string (floats are refused: they are not exact)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float; pass a string or Decimal")
    if value is None or value == "":
        return Decimal("0")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def cents(value) -> Decimal:
    """Round half-up to two decimals."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def money_sum(values: Iterable) -> Decimal:
    return cents(sum((to_decimal(v) for v in values), Decimal("0")))


def line_amount(quantity, unit_price, discount_percent=None) -> Decimal:
    gross = to_decimal(quantity) * to_decimal(unit_price)
    discount = to_decimal(discount_percent or 0)
    return cents(gross * (HUNDRED - discount) / HUNDRED)


def line_tax(amount, rate_percent) -> Decimal:
    if rate_percent is None:
        return ZERO
    return cents(to_decimal(amount) * to_decimal(rate_percent) / HUNDRED)


@dataclass(frozen=True)
class Summary:
    subtotal: Decimal
    tax_total: Decimal
    total: Decimal


def summarize(lines: Iterable) -> Summary:
    """Totals of objects with ``amount`` and ``tax_amount`` (invoice or credit-note lines)."""
    subtotal, tax = ZERO, ZERO
    for line in lines:
        subtotal += line.amount
        tax += line.tax_amount
    return Summary(cents(subtotal), cents(tax), cents(subtotal + tax))
