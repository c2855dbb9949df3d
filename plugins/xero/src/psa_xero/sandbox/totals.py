"""Line amounts, tax and document totals, by ``LineAmountTypes`` (Exclusive/Inclusive/NoTax).

Tax is computed per line, rounded half-up to cents, and summed (the spec's examples:
200.00 exclusive at 15 % -> 30.00; 20.00 inclusive -> tax backed out of the line amount).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from .xerojson import FOUR, TWO, money, num

LINE_AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")


def _dec(value) -> Decimal | None:
    if value is None or value == "":
        return None
    return Decimal(str(value))


def unit_shown(value, unitdp: int = 2):
    """A unit amount (or item unit price) as an answer shows it: 2 dp unless the request asked
    for ``unitdp=4`` -- whatever precision it was stored with."""
    if value is None or value == "":
        return value
    return num(Decimal(str(value)).quantize(FOUR if unitdp == 4 else TWO, ROUND_HALF_UP))


def compute_line(line: dict, amount_type: str, rate: Decimal, unitdp: int = 2,
                 allow_discount: bool = True) -> dict:
    """Fill Quantity, UnitAmount, LineAmount, TaxAmount (and DiscountRate/Amount) in ``line``."""
    quantity = _dec(line.get("Quantity"))
    unit = _dec(line.get("UnitAmount"))
    given_line_amount = _dec(line.get("LineAmount"))
    discount_rate = _dec(line.get("DiscountRate")) if allow_discount else None
    discount_amount = _dec(line.get("DiscountAmount")) if allow_discount else None
    unit_q = FOUR if unitdp == 4 else TWO
    if quantity is None and unit is None and given_line_amount is not None:
        quantity, unit = Decimal(1), given_line_amount
    elif quantity is None and unit is not None:
        quantity = Decimal(1) if given_line_amount is None or unit == 0 else (
            given_line_amount / unit).quantize(FOUR, rounding=ROUND_HALF_UP)
    elif unit is None and quantity is not None:
        unit = (given_line_amount / quantity) if (given_line_amount is not None and quantity) \
            else Decimal(0)
    quantity = (quantity if quantity is not None else Decimal(0)).quantize(FOUR, ROUND_HALF_UP)
    unit = (unit if unit is not None else Decimal(0)).quantize(unit_q, ROUND_HALF_UP)
    gross = quantity * unit
    if discount_rate is not None:
        line_amount = money(gross * (Decimal(100) - discount_rate) / Decimal(100))
    elif discount_amount is not None:
        line_amount = money(gross - discount_amount)
    else:
        line_amount = money(gross)
    given_tax = _dec(line.get("TaxAmount"))
    if amount_type == "NoTax":
        tax = Decimal("0.00")
    elif given_tax is not None and line.get("_tax_given"):
        tax = money(given_tax)
    elif amount_type == "Inclusive":
        tax = money(line_amount * rate / (Decimal(100) + rate))
    else:
        tax = money(line_amount * rate / Decimal(100))
    line["Quantity"] = num(quantity)
    line["UnitAmount"] = num(unit)
    line["LineAmount"] = num(line_amount)
    line["TaxAmount"] = num(tax)
    if discount_rate is not None:
        line["DiscountRate"] = num(discount_rate.quantize(TWO))
    if discount_amount is not None:
        line["DiscountAmount"] = num(money(discount_amount))
    line["_gross"] = num(money(gross))
    return line


def document_totals(lines: list[dict], amount_type: str) -> dict:
    """SubTotal, TotalTax, Total, TotalDiscount over computed lines."""
    line_sum = sum((Decimal(str(line["LineAmount"])) for line in lines), Decimal(0))
    tax = sum((Decimal(str(line["TaxAmount"])) for line in lines), Decimal(0))
    discount = sum((Decimal(str(line.get("_gross", line["LineAmount"])))
                    - Decimal(str(line["LineAmount"])) for line in lines), Decimal(0))
    subtotal = line_sum - tax if amount_type == "Inclusive" else line_sum
    return {"SubTotal": num(money(subtotal)), "TotalTax": num(money(tax)),
            "Total": num(money(subtotal + tax)), "TotalDiscount": num(money(discount))}
