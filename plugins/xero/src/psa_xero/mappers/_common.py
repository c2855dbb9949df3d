"""Shared helpers of the Xero mappers: dates, money and JSON serialization.

Money stays :class:`decimal.Decimal` inside every payload the mappers build (never a float), so
nothing is lost between the host and the wire. Amounts are quantized to 2 decimals with
ROUND_HALF_UP, and only when that is exact (host amounts are already cents); quantities keep up
to 4 decimals. :func:`dumps` then writes each Decimal as a JSON *number* with its own digits
(``150.00``, not ``"150.00"`` and not ``150.0``): the stdlib encoder cannot emit Decimal, so
each Decimal is first replaced by a unique string token, and the quoted token is swapped for the
Decimal's text after encoding.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from hookspecs import MappingError

CENT = Decimal("0.01")


def xero_date(value: date) -> str:
    """``YYYY-MM-DD`` as Xero takes it on input."""
    return value.isoformat()


def money(value: Decimal, what: str = "amount") -> Decimal:
    """``value`` with exactly 2 decimals; a sub-cent value is a mapping error (no silent rounding)."""
    value = Decimal(value)
    rounded = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if rounded != value:
        raise MappingError(
            f"The {what} {value} has more than 2 decimals; Xero books amounts in cents.",
            fix=f"Round the {what} to 2 decimals in the PSA, then retry.")
    return rounded


def quantity(value: Decimal) -> Decimal:
    """A quantity with 2 to 4 decimals (Xero keeps 4)."""
    value = Decimal(value)
    rounded = value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    if rounded != value:
        raise MappingError(
            f"The quantity {value} has more than 4 decimals; Xero keeps 4.",
            fix="Round the quantity to 4 decimals in the PSA, then retry.")
    normal = rounded.normalize()
    return normal.quantize(CENT) if -normal.as_tuple().exponent <= 2 else normal


def dumps(payload: Any) -> str:
    """JSON text of a payload, every Decimal written as a number with its exact digits."""
    tokens: dict[str, str] = {}
    prefix = f"__dec_{uuid.uuid4().hex}_"

    def swap(obj: Any) -> Any:
        if isinstance(obj, Decimal):
            token = f"{prefix}{len(tokens)}"
            tokens[token] = format(obj, "f")
            return token
        if isinstance(obj, dict):
            return {k: swap(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [swap(v) for v in obj]
        return obj

    text = json.dumps(swap(payload), ensure_ascii=False, separators=(",", ":"))
    for token, digits in tokens.items():
        text = text.replace(f'"{token}"', digits)
    return text
