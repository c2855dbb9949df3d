"""How the pages show a stored decimal that is not money: quantities, discount and tax
percentages. ``Decimal.normalize()`` drops trailing zeros but writes round numbers with an
exponent (``Decimal("10.00").normalize()`` is ``1E+1``), which no user reads as ten; the
``plain_decimal`` Jinja filter (registered in ``create_app``) writes ``10``, ``50``, ``1.5``."""

from __future__ import annotations

from decimal import Decimal


def plain_decimal(value) -> str:
    """``value`` without trailing zeros and without an exponent; ``""`` for None."""
    if value is None:
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return str(number)
    if number.is_zero():
        return "0"
    return f"{number.normalize():f}"
