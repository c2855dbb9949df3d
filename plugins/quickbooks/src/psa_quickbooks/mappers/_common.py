"""Shared helpers for the QuickBooks Online mappers (pure, no I/O).

Amounts: the host hands us ``Decimal``. QBO's JSON wants numbers, so money is quantized to two
decimal places (ROUND_HALF_UP) and converted ``Decimal -> str -> float`` at the very edge, in
:func:`money`. Quantities and unit prices keep their own precision (``qty``/``price``) because QBO
accepts more than two decimals there; an integral quantity is sent as an ``int`` (``10`` not
``10.0``), matching sample S1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Mapping

from hookspecs import LineData, MappingError

CENT = Decimal("0.01")


def money(value: Decimal) -> float:
    """Two-decimal JSON number for a Decimal amount."""
    return float(str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)))


def number(value: Decimal) -> int | float:
    """A quantity or unit price: int when integral, else float of its exact decimal text."""
    d = Decimal(value)
    if d == d.to_integral_value():
        return int(d)
    return float(str(d.normalize()))


def ymd(value: date) -> str:
    return value.isoformat()


def ref(value: str) -> dict[str, str]:
    return {"value": str(value)}


@dataclass(frozen=True)
class ResolvedRefs:
    """Provider ids the plugin already looked up for one document (mapping tables, preferences).

    ``item_ids``, ``tax_codes`` and ``class_ids`` are keyed by ``LineData.id``.

    * ``tax_codes`` -- non-US only: the QBO ``TaxCode`` Id per line. US companies send ``TAX``
      (line has a non-zero tax rate) or ``NON`` and ignore this map.
    * ``class_ids`` -- only filled when ``ClassTrackingPerTxnLine`` is on; a missing entry means no
      ``ClassRef`` on that line.
    * ``non_us`` -- company country is not US (global tax model, ``GlobalTaxCalculation``).
    * ``custom_numbers`` -- ``Preferences.SalesFormsPrefs.CustomTxnNumbers``; only then is
      ``DocNumber`` sent.
    * ``multicurrency`` -- ``CurrencyRef`` is sent.
    * ``exchange_rate`` -- multicurrency, foreign currency only: ``ExchangeRate`` (home-currency
      units per one unit of the document's currency; QuickBooks' own rate, :mod:`..currency`).
    * ``class_id`` -- class tracking per transaction: the document's ``ClassRef``.
    * ``global_tax_calculation`` -- non-US only: ``TaxExcluded`` (default) or ``TaxInclusive``.
    """

    customer_id: str
    item_ids: Mapping[int, str] = field(default_factory=dict)
    tax_codes: Mapping[int, str] = field(default_factory=dict)
    class_ids: Mapping[int, str] = field(default_factory=dict)
    non_us: bool = False
    custom_numbers: bool = False
    multicurrency: bool = False
    global_tax_calculation: str = "TaxExcluded"
    exchange_rate: Decimal | None = None
    class_id: str = ""


def _line_label(line: LineData) -> str:
    return f"line {line.id} ({line.description!r})" if line.description else f"line {line.id}"


def tax_code_for(line: LineData, refs: ResolvedRefs) -> str:
    if not refs.non_us:
        taxable = line.tax_rate is not None and line.tax_rate.rate != 0
        return "TAX" if taxable else "NON"
    code = refs.tax_codes.get(line.id)
    if not code:
        rate = f"tax rate {line.tax_rate.name!r}" if line.tax_rate else "no tax rate"
        raise MappingError(
            f"QuickBooks needs a tax code on every line, but {_line_label(line)} ({rate}) "
            "has no QuickBooks tax code mapped.",
            fix="Map the tax rate to a QuickBooks tax code on the integration's Manage page "
            "(use the company's zero-rated/exempt code for untaxed lines), then retry.",
        )
    return code


def sales_line(line: LineData, refs: ResolvedRefs) -> dict[str, Any]:
    """One ``SalesItemLineDetail`` line.

    Line discounts are folded into the line (approach chosen instead of ``DiscountLineDetail``,
    which is a whole-transaction discount needing a discount account and a sales-form preference):
    ``Amount`` is the host's net line amount and ``UnitPrice`` is ``amount / quantity``, so
    ``Amount == Qty x UnitPrice`` holds (avoids QBO error 6070); the description notes the
    discount so the customer still sees it.
    """
    item_id = refs.item_ids.get(line.id)
    if not item_id:
        st = f"service type {line.service_type.name!r}" if line.service_type else "no service type"
        raise MappingError(
            f"{_line_label(line).capitalize()} ({st}) has no QuickBooks item mapped.",
            fix="Map the service type to a QuickBooks product/service on the integration's "
            "Manage page (or set a default item), then retry.",
        )
    description = line.description
    unit_price: int | float = number(line.unit_price)
    if line.discount_percent and line.discount_percent != 0:
        pct = Decimal(line.discount_percent).normalize()
        description = f"{description} (less {pct:f}% discount)".strip()
        if line.quantity != 0:
            unit_price = number(
                (Decimal(line.amount) / Decimal(line.quantity)).quantize(Decimal("0.00001"))
            )
    detail: dict[str, Any] = {
        "ItemRef": ref(item_id),
        "Qty": number(line.quantity),
        "UnitPrice": unit_price,
        "TaxCodeRef": ref(tax_code_for(line, refs)),
    }
    class_id = refs.class_ids.get(line.id)
    if class_id:
        detail["ClassRef"] = ref(class_id)
    if line.service_date is not None:
        detail["ServiceDate"] = ymd(line.service_date)
    out: dict[str, Any] = {"DetailType": "SalesItemLineDetail", "Amount": money(line.amount)}
    if description:
        out["Description"] = description[:4000]
    out["SalesItemLineDetail"] = detail
    return out


def lines(doc_lines: tuple[LineData, ...], refs: ResolvedRefs) -> list[dict[str, Any]]:
    if not doc_lines:
        raise MappingError(
            "The document has no lines; QuickBooks needs at least one.",
            fix="Add a line to the document in the PSA, then retry.",
        )
    return [sales_line(line, refs) for line in doc_lines]


def header(
    *,
    refs: ResolvedRefs,
    number_: str,
    issue_date: date,
    currency: str,
    doc_lines: tuple[LineData, ...],
) -> dict[str, Any]:
    payload: dict[str, Any] = {"CustomerRef": ref(refs.customer_id)}
    if refs.custom_numbers and number_:
        payload["DocNumber"] = number_[:21]
    payload["TxnDate"] = ymd(issue_date)
    if refs.multicurrency and currency:
        payload["CurrencyRef"] = ref(currency.upper())
        if refs.exchange_rate is not None:
            payload["ExchangeRate"] = number(refs.exchange_rate)
    if refs.class_id:
        payload["ClassRef"] = ref(refs.class_id)
    if refs.non_us:
        payload["GlobalTaxCalculation"] = refs.global_tax_calculation
    payload["Line"] = lines(doc_lines, refs)
    return payload

