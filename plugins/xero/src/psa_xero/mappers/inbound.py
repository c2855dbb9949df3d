"""Pure mappers from Xero's JSON to the host's inbound records (``list_records``; no I/O).

Everything here reads **untrusted input**: any field may be missing, of the wrong type, or huge.
A record that cannot be read is returned with ``problem`` set (and its id, when it has one) so
the host shows it waiting with the reason; these functions never raise on a payload.

- :func:`customer`: a ``Contact`` -> :class:`InboundCustomer` (``ContactStatus`` ARCHIVED or
  GDPRREQUEST -> ``active=False``; ``FirstName`` + ``LastName`` -> ``billing_contact_name``;
  ``TaxNumber`` -> ``tax_number`` and ``extra["TaxNumber"]``).
- :func:`item`: an ``Item`` -> :class:`InboundItem` (``Code`` -> ``sku``,
  ``SalesDetails.UnitPrice`` / ``AccountCode`` -> ``unit_price`` / ``income_account``). Xero
  has no archived items; one no longer sold (``IsSold: false``) is ``active=False``.
- :func:`invoice`: an ACCREC ``Invoice`` -> :class:`InboundInvoice` with its lines and the
  payments and credit notes applied to it.

**Tax-inclusive invoices.** With ``LineAmountTypes`` ``Inclusive`` Xero's ``LineAmount`` and
``UnitAmount`` include the tax. The host keeps net amounts, so a line's ``amount`` is
``LineAmount - TaxAmount``, both in cents as Xero booked them: exact, and the lines' amounts add
up to Xero's ``SubTotal`` (which Xero keeps net of tax) as Xero's own do. Its ``unit_price`` is
``amount / Quantity`` to 4 decimals (Xero's unit precision); when that division does not come
out exactly at 4 decimals the unit price is rounded there and ``amount`` stays the exact
booked net (the invoice's money does not move). ``NoTax`` lines carry no tax (``tax_amount``
0). A discount (``DiscountRate`` / ``DiscountAmount``) is already in ``LineAmount``.

**Tax.** Each line carries Xero's ``TaxType`` as ``tax_code`` (mapped back through the
``tax_type`` mapping) and its ``TaxAmount``; ``tax_percent`` is left empty: the invoice does not
say it, and reading ``/TaxRates`` for it would cost a call per page (the host then needs the
mapping, and says so on the waiting invoice).

**Statuses.** DRAFT and SUBMITTED (awaiting approval) -> ``"draft"`` (not yet issued; the host
does not import them), AUTHORISED -> ``"open"``, PAID -> ``"paid"``, VOIDED -> ``"voided"``,
DELETED -> ``"deleted"``.

**Payments.** Each entry of the invoice's ``Payments`` becomes a :class:`PaymentRecord`
(PaymentID, Amount, Date; a DELETED one ``voided``), each of its ``CreditNotes``
(``AppliedAmount``) a ``kind="credit"`` record with the CreditNoteID, and each applied
``Prepayments`` / ``Overpayments`` entry a payment with its own id. The host records each id
once, so listing the invoice again does not pay it twice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from hookspecs import (
    InboundCustomer,
    InboundInvoice,
    InboundItem,
    InboundLine,
    PaymentAllocation,
    PaymentRecord,
)

from ..api import parse_xero_date, parse_xero_datetime
from ..fields import REFERENCE, TAX_NUMBER

#: Xero's own limits (reference 5.1, 5.5, 2.2), used to bound what is read
NAME_MAX = 255
ITEM_NAME_MAX = 50
CODE_MAX = 30
EMAIL_MAX = 255
TAX_NUMBER_MAX = 50
DESCRIPTION_MAX = 4000
REFERENCE_MAX = 255
NUMBER_MAX = 255
ID_MAX = 64
#: more lines than this on one invoice is not something Xero produces: refused, not read
LINES_MAX = 1000
PAYMENTS_MAX = 1000

STATUSES = {"DRAFT": "draft", "SUBMITTED": "draft", "AUTHORISED": "open", "PAID": "paid",
            "VOIDED": "voided", "DELETED": "deleted"}
AMOUNT_TYPES = ("Exclusive", "Inclusive", "NoTax")
CENT = Decimal("0.01")
UNIT = Decimal("0.0001")


class Unreadable(ValueError):
    """A field of the record cannot be read; its message is the record's ``problem``."""


# -- field readers ------------------------------------------------------------------------------


def text(record: Any, key: str, limit: int, what: str | None = None) -> str:
    """A string field, stripped; missing/null -> ""; not text or longer than ``limit`` ->
    :class:`Unreadable`."""
    value = record.get(key) if isinstance(record, dict) else None
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Unreadable(f"Xero's {what or key} is not text.")
    value = str(value).strip()
    if len(value) > limit:
        raise Unreadable(f"Xero's {what or key} is longer than {limit} characters.")
    return value


def number(value: Any, what: str) -> Decimal:
    """A finite Decimal from a JSON number or numeric string (never a bool)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str, Decimal)):
        raise Unreadable(f"Xero's {what} is not a number.")
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise Unreadable(f"Xero's {what} is not a number.") from None
    if not result.is_finite() or abs(result) >= Decimal("1e15"):
        raise Unreadable(f"Xero's {what} is not a usable amount.")
    return result


def money(value: Any, what: str) -> Decimal:
    """An amount in cents (Xero's amounts have 2 decimals)."""
    amount = number(value, what)
    cents = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    if cents != amount:
        raise Unreadable(f"Xero's {what} {amount} has more than 2 decimals.")
    return cents


def _optional_money(record: dict, key: str, what: str) -> Decimal | None:
    return None if record.get(key) in (None, "") else money(record[key], what)


def _moment(record: dict, key: str) -> datetime | None:
    value = record.get(key)
    return parse_xero_datetime(value) if isinstance(value, str) and len(value) < 64 else None


def _day(record: dict, key: str, what: str, required: bool = False) -> date | None:
    value, shown = record.get(key), record.get(f"{key}String")
    if not isinstance(value, str) or len(value) > 64:
        value = None
    if not isinstance(shown, str) or len(shown) > 64:
        shown = None
    day = parse_xero_date(value, shown) if (value or shown) else None
    if day is None and required:
        raise Unreadable(f"Xero's {what} is missing or not a date.")
    return day


def _id(record: dict, key: str) -> str:
    """The record's Xero id (a uuid), or "" when it has none that can be kept."""
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, str) or not value.strip() or len(value) > ID_MAX:
        return ""
    return value.strip()


def _dict(record: dict, key: str) -> dict:
    value = record.get(key)
    return value if isinstance(value, dict) else {}


def _list(record: dict, key: str, limit: int, what: str) -> list:
    value = record.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise Unreadable(f"Xero's {what} is not a list.")
    if len(value) > limit:
        raise Unreadable(f"The record has more than {limit} {what}.")
    return value


# -- contacts -----------------------------------------------------------------------------------


def customer(raw: Any) -> InboundCustomer:
    """A Xero ``Contact`` as an :class:`InboundCustomer` (see the module docstring)."""
    raw = raw if isinstance(raw, dict) else {}
    contact_id = _id(raw, "ContactID")
    try:
        first = text(raw, "FirstName", NAME_MAX, "first name")
        last = text(raw, "LastName", NAME_MAX, "last name")
        tax_number = text(raw, "TaxNumber", TAX_NUMBER_MAX, "tax number")
        status = text(raw, "ContactStatus", 32, "contact status").upper() or "ACTIVE"
        return InboundCustomer(
            external_id=contact_id,
            name=" ".join(text(raw, "Name", NAME_MAX, "contact name").split()),
            billing_email=text(raw, "EmailAddress", EMAIL_MAX, "email address"),
            billing_contact_name=" ".join(f"{first} {last}".split()),
            tax_number=tax_number,
            currency=text(raw, "DefaultCurrency", 3, "default currency").upper(),
            active=status == "ACTIVE",
            version=text(raw, "UpdatedDateUTC", 64, "update time"),
            updated_at=_moment(raw, "UpdatedDateUTC"),
            extra={TAX_NUMBER: tax_number} if tax_number else {},
        )
    except Unreadable as exc:
        return InboundCustomer(external_id=contact_id, name="", problem=str(exc))


def is_supplier_only(raw: Any) -> bool:
    """A contact Xero knows only as a supplier (bills, no sales documents): not a customer."""
    return isinstance(raw, dict) and raw.get("IsSupplier") is True \
        and raw.get("IsCustomer") is not True


# -- items --------------------------------------------------------------------------------------


def item(raw: Any) -> InboundItem:
    """A Xero ``Item`` as an :class:`InboundItem` (see the module docstring)."""
    raw = raw if isinstance(raw, dict) else {}
    item_id = _id(raw, "ItemID")
    try:
        sales = _dict(raw, "SalesDetails")
        price = sales.get("UnitPrice")
        return InboundItem(
            external_id=item_id,
            name=text(raw, "Name", ITEM_NAME_MAX, "item name"),
            sku=text(raw, "Code", CODE_MAX, "item code"),
            unit_price=None if price in (None, "") else number(price, "sale price"),
            description=text(raw, "Description", DESCRIPTION_MAX, "sales description"),
            income_account=text(sales, "AccountCode", 10, "sales account"),
            active=raw.get("IsSold") is not False,
            version=text(raw, "UpdatedDateUTC", 64, "update time"),
            updated_at=_moment(raw, "UpdatedDateUTC"),
        )
    except Unreadable as exc:
        return InboundItem(external_id=item_id, name="", problem=str(exc))


# -- invoices -----------------------------------------------------------------------------------


def _line(raw: Any, amount_type: str, n: int) -> InboundLine:
    if not isinstance(raw, dict):
        raise Unreadable(f"Line {n} is not a line.")
    what = f"line {n}"
    quantity = number(raw.get("Quantity", 1) if raw.get("Quantity") is not None else 1,
                      f"{what} quantity")
    unit = number(raw.get("UnitAmount") or 0, f"{what} unit amount")
    gross = money(raw.get("LineAmount") or 0, f"{what} amount")
    tax = Decimal("0.00") if amount_type == "NoTax" else \
        money(raw.get("TaxAmount") or 0, f"{what} tax amount")
    amount = gross - tax if amount_type == "Inclusive" else gross
    if amount_type == "Inclusive":
        unit = (amount / quantity).quantize(UNIT, rounding=ROUND_HALF_UP) if quantity else amount
    item_ref = _dict(raw, "Item")
    return InboundLine(
        description=text(raw, "Description", DESCRIPTION_MAX, f"{what} description"),
        quantity=quantity, unit_price=unit, amount=amount,
        item_external_id=_id(item_ref, "ItemID"),
        tax_code="" if amount_type == "NoTax" else text(raw, "TaxType", 50, f"{what} tax type"),
        tax_amount=tax,
        account_external_id=text(raw, "AccountCode", 10, f"{what} account"),
    )


def _payments(raw: dict, currency: str) -> tuple[PaymentRecord, ...]:
    invoice_id = _id(raw, "InvoiceID")
    out: list[PaymentRecord] = []
    sources = (("Payments", "PaymentID", "Amount", "payment"),
               ("CreditNotes", "CreditNoteID", "AppliedAmount", "credit"),
               ("Prepayments", "PrepaymentID", "AppliedAmount", "payment"),
               ("Overpayments", "OverpaymentID", "AppliedAmount", "payment"))
    for key, id_field, amount_field, kind in sources:
        for entry in _list(raw, key, PAYMENTS_MAX, key.lower()):
            if not isinstance(entry, dict) or not _id(entry, id_field):
                raise Unreadable(f"An entry of the invoice's {key} has no {id_field}.")
            amount = money(entry.get(amount_field) or 0, f"{key} amount")
            voided = text(entry, "Status", 32, "payment status").upper() == "DELETED"
            if amount <= 0 and not voided:
                continue
            out.append(PaymentRecord(
                external_id=_id(entry, id_field),
                date=_day(entry, "Date", f"{key} date", required=True),
                allocations=(PaymentAllocation(invoice_id, amount),),
                currency=currency, kind=kind, voided=voided,
                reference=text(entry, "Reference" if kind == "payment" else "CreditNoteNumber",
                               REFERENCE_MAX, "payment reference")))
    return tuple(out)


def invoice(raw: Any) -> InboundInvoice:
    """A Xero ACCREC ``Invoice`` as an :class:`InboundInvoice` (see the module docstring)."""
    raw = raw if isinstance(raw, dict) else {}
    invoice_id = _id(raw, "InvoiceID")
    try:
        status_text = text(raw, "Status", 32, "invoice status").upper()
        if status_text not in STATUSES:
            raise Unreadable(f"Xero's invoice status {status_text[:32]!r} is not one the "
                             "plugin knows.")
        amount_type = text(raw, "LineAmountTypes", 32, "line amount type") or "Exclusive"
        if amount_type not in AMOUNT_TYPES:
            raise Unreadable(f"Xero's line amount type {amount_type!r} is not one the plugin "
                             "knows.")
        currency = text(raw, "CurrencyCode", 3, "currency").upper()
        reference = text(raw, "Reference", REFERENCE_MAX, "reference")
        contact = _dict(raw, "Contact")
        lines = tuple(_line(line, amount_type, n)
                      for n, line in enumerate(_list(raw, "LineItems", LINES_MAX, "lines"), 1))
        subtotal = money(raw.get("SubTotal") or 0, "subtotal")
        tax_total = money(raw.get("TotalTax") or 0, "total tax")
        return InboundInvoice(
            external_id=invoice_id,
            number=text(raw, "InvoiceNumber", NUMBER_MAX, "invoice number"),
            customer_external_id=_id(contact, "ContactID"),
            currency=currency,
            issue_date=_day(raw, "Date", "invoice date", required=True),
            due_date=_day(raw, "DueDate", "due date"),
            status=STATUSES[status_text],
            lines=lines,
            subtotal=subtotal, tax_total=tax_total,
            total=money(raw.get("Total") or 0, "total"),
            amount_due=_optional_money(raw, "AmountDue", "amount due"),
            version=text(raw, "UpdatedDateUTC", 64, "update time"),
            updated_at=_moment(raw, "UpdatedDateUTC"),
            extra={REFERENCE: reference} if reference else {},
            payments=_payments(raw, currency),
        )
    except Unreadable as exc:
        return InboundInvoice(
            external_id=invoice_id, number="", customer_external_id="", currency="",
            issue_date=date(1970, 1, 1), due_date=None, status="open", lines=(),
            subtotal=Decimal("0.00"), tax_total=Decimal("0.00"), total=Decimal("0.00"),
            problem=str(exc))  # "open": a problem is shown, never dropped as a draft
