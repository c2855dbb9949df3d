"""QuickBooks records -> the host's inbound types (pure, no I/O): what ``list_records`` lists.

Everything here reads untrusted JSON. Texts are kept as text and cut to QuickBooks' own
limits (a name 500, a description 4000, a memo 1000, a document number 21), amounts become
``Decimal``; a record whose amounts, dates or lines cannot be read is returned with
``problem`` set (it waits on the host's sync overview) instead of raising.

* **Customer** -> :class:`InboundCustomer`. An inactive customer shows its name with
  QuickBooks' `` (deleted)`` mark; the mark is taken off. ``PrimaryTaxIdentifier`` is masked in
  every answer, so ``tax_number`` stays empty (see :mod:`..fields`).
* **Item** -> :class:`InboundItem` (``Category`` items are not listed, see :mod:`..records`).
* **Invoice** -> :class:`InboundInvoice`. QuickBooks has no drafts: ``status`` is ``deleted``
  (a change-data-capture stub), ``voided`` (QuickBooks zeroes the amounts and prefixes
  ``Voided`` to ``PrivateNote``), ``paid`` (``Balance`` 0) or ``open``. Sales lines become
  :class:`InboundLine`; a bundle's (``GroupLineDetail``) lines are taken one by one; text-only
  lines and the subtotal line are left out; a whole-invoice discount line cannot be imported
  (``problem``). Tax: a **US** line is ``TAX`` or ``NON``; a taxed line gets the invoice's
  ``TxnTaxDetail.TxnTaxCodeRef`` as ``tax_code`` and the sum of its ``TaxLine`` percentages as
  ``tax_percent``; **elsewhere** each line's ``TaxCodeRef`` is the code and ``code_rates``
  (the company's codes, read once per page) gives its percentage. A tax-inclusive invoice
  (``GlobalTaxCalculation`` ``TaxInclusive``, gross line amounts) waits with a problem.
  ``CustomField`` values travel in ``extra`` under ``CustomField:<DefinitionId>``.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from hookspecs import (InboundCustomer, InboundInvoice, InboundItem, InboundLine,
                       PaymentRecord)

from ..changes import parse_time as moment  # QuickBooks date-times, in UTC

CENT = Decimal("0.01")
#: Amounts beyond this (15 digits, QuickBooks' own limit) are not amounts.
MAX_AMOUNT = Decimal("1e13")
MAX_NAME, MAX_EMAIL, MAX_TEXT, MAX_MEMO, MAX_NUMBER, MAX_SKU = 500, 100, 4000, 1000, 21, 100
MAX_LINES = 10000
DELETED_MARK = " (deleted)"
CUSTOM_FIELD = "CustomField:"


class Unreadable(ValueError):
    """A value of the record could not be read; its message becomes ``problem``."""


def text(value: Any, limit: int) -> str:
    """A string field as text, at most ``limit`` characters ('' for anything not a string or
    number)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return str(value).strip()[:limit]


def ref(value: Any) -> str:
    """The ``value`` of a reference (``{"value": "7", "name": ...}``) as text."""
    return text(value.get("value"), 100) if isinstance(value, dict) else ""


def decimal(value: Any, what: str, *, default: Decimal | None = None) -> Decimal:
    """An amount or quantity as Decimal; missing -> ``default`` (else :class:`Unreadable`)."""
    if value is None or value == "":
        if default is None:
            raise Unreadable(f"{what} is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise Unreadable(f"{what} is not a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise Unreadable(f"{what} is not a number ({str(value)[:20]!r})") from None
    if not number.is_finite() or abs(number) >= MAX_AMOUNT:
        raise Unreadable(f"{what} is not a number QuickBooks could hold")
    return number


def money(value: Any, what: str, default: Decimal | None = None) -> Decimal:
    return decimal(value, what, default=default).quantize(CENT)


def day(value: Any, what: str, *, required: bool = False) -> date | None:
    if value in (None, ""):
        if required:
            raise Unreadable(f"{what} is missing")
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{what} is not a date")
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise Unreadable(f"{what} is not a date ({value[:20]!r})") from None


def _times(row: dict) -> tuple[datetime | None, datetime | None]:
    meta = row.get("MetaData") if isinstance(row.get("MetaData"), dict) else {}
    return moment(meta.get("CreateTime")), moment(meta.get("LastUpdatedTime"))


def is_deleted(row: Mapping) -> bool:
    return str(row.get("status") or "").lower() == "deleted"


def _ident(row: Any) -> str:
    return text(row.get("Id"), 100) if isinstance(row, dict) else ""


# -- customers ------------------------------------------------------------------------------------


def customer(row: Any) -> InboundCustomer:
    ident = _ident(row)
    if not ident:
        return InboundCustomer(external_id="", name="", problem="a customer without an Id")
    created, updated = _times(row)
    if is_deleted(row):
        return InboundCustomer(external_id=ident, name="", active=False, updated_at=updated)
    active = row.get("Active") is not False
    name = text(row.get("DisplayName"), MAX_NAME + len(DELETED_MARK))
    if not active and name.endswith(DELETED_MARK):
        name = name[: -len(DELETED_MARK)].rstrip()
    email = row.get("PrimaryEmailAddr")
    contact = " ".join(p for p in (text(row.get("GivenName"), 100),
                                   text(row.get("FamilyName"), 100)) if p)
    return InboundCustomer(
        external_id=ident, name=name[:MAX_NAME],
        billing_email=text(email.get("Address"), MAX_EMAIL) if isinstance(email, dict) else "",
        billing_contact_name=contact, currency=ref(row.get("CurrencyRef")).upper()[:3],
        active=active, version=text(row.get("SyncToken"), 20), created_at=created,
        updated_at=updated)


# -- items ----------------------------------------------------------------------------------------


def item(row: Any) -> InboundItem:
    ident = _ident(row)
    if not ident:
        return InboundItem(external_id="", name="", problem="an item without an Id")
    created, updated = _times(row)
    if is_deleted(row):
        return InboundItem(external_id=ident, name="", active=False, updated_at=updated)
    common = dict(external_id=ident, name=text(row.get("Name"), 100),
                  sku=text(row.get("Sku"), MAX_SKU), description=text(row.get("Description"),
                                                                       MAX_TEXT),
                  income_account=ref(row.get("IncomeAccountRef")),
                  active=row.get("Active") is not False, version=text(row.get("SyncToken"), 20),
                  created_at=created, updated_at=updated)
    try:
        price = row.get("UnitPrice")
        unit_price = decimal(price, "the sales price") if price not in (None, "") else None
    except Unreadable as exc:
        return InboundItem(**common, problem=f"QuickBooks item {ident}: {exc}")
    return InboundItem(**common, unit_price=unit_price)


# -- invoices -------------------------------------------------------------------------------------


def _sales_lines(raw: Any) -> Iterable[dict]:
    """The sales lines, a bundle's taken one by one; other line kinds are checked here."""
    if not isinstance(raw, list):
        raise Unreadable("its lines cannot be read")
    if len(raw) > MAX_LINES:
        raise Unreadable(f"it has more than {MAX_LINES} lines")
    for line in raw:
        if not isinstance(line, dict):
            raise Unreadable("a line cannot be read")
        kind = line.get("DetailType")
        if kind == "SalesItemLineDetail":
            yield line
        elif kind == "GroupLineDetail":
            group = line.get("GroupLineDetail")
            yield from _sales_lines(group.get("Line", []) if isinstance(group, dict) else None)
        elif kind == "DiscountLineDetail":
            raise Unreadable("it has a discount line, which the PSA cannot hold on an invoice "
                             "(give the discount on the lines instead)")
        elif kind not in ("SubTotalLineDetail", "DescriptionOnly"):
            raise Unreadable(f"it has a line of a kind the PSA does not know "
                             f"({text(kind, 40)!r})")


def _us_tax(row: dict) -> tuple[str, Decimal | None]:
    detail = row.get("TxnTaxDetail") if isinstance(row.get("TxnTaxDetail"), dict) else {}
    percent = None
    for tax_line in detail.get("TaxLine") or []:
        info = tax_line.get("TaxLineDetail") if isinstance(tax_line, dict) else None
        if isinstance(info, dict) and info.get("TaxPercent") not in (None, ""):
            percent = (percent or Decimal("0")) + decimal(info["TaxPercent"], "a tax percentage")
    return ref(detail.get("TxnTaxCodeRef")), percent


def _line(line: dict, n: int, *, us: bool, us_tax: tuple[str, Decimal | None],
          code_rates: Mapping[str, Decimal]) -> InboundLine:
    detail = line.get("SalesItemLineDetail")
    detail = detail if isinstance(detail, dict) else {}
    amount = money(line.get("Amount"), f"line {n}'s amount")
    qty = decimal(detail.get("Qty"), f"line {n}'s quantity", default=Decimal("0"))
    price = decimal(detail.get("UnitPrice"), f"line {n}'s rate", default=Decimal("0"))
    if qty == 0:  # no quantity given: one unit of the line's amount
        qty, price = Decimal("1"), amount
    elif price == 0 and amount != 0:  # no rate given: the amount per unit
        price = amount / qty
    code = ref(detail.get("TaxCodeRef"))
    if us:
        tax_code, tax_percent = us_tax if code == "TAX" else ("", None)
    else:
        tax_code, tax_percent = code, code_rates.get(code)
    return InboundLine(
        description=text(line.get("Description"), MAX_TEXT), quantity=qty, unit_price=price,
        amount=amount, item_external_id=ref(detail.get("ItemRef")), tax_code=tax_code,
        tax_percent=tax_percent, service_date=day(detail.get("ServiceDate"),
                                                  f"line {n}'s service date"))


def _status(row: dict, total: Decimal, balance: Decimal) -> str:
    if str(row.get("TxnStatus") or "").lower() == "voided" or str(
            row.get("PrivateNote") or "").startswith("Voided"):
        return "voided"
    return "paid" if total > 0 and balance <= 0 else "open"


def invoice(row: Any, *, us: bool, home_currency: str = "",
            code_rates: Mapping[str, Decimal] | None = None,
            payments: tuple[PaymentRecord, ...] = ()) -> InboundInvoice:
    """One Invoice (or its deleted stub). ``us``: the company's tax model; ``code_rates``:
    non-US tax code Id -> percentage; ``payments``: the payments applied to it."""
    ident = _ident(row)
    created, updated = _times(row) if isinstance(row, dict) else (None, None)
    empty = dict(number="", customer_external_id="", currency="", due_date=None, lines=(),
                 subtotal=Decimal("0"), tax_total=Decimal("0"), total=Decimal("0"),
                 issue_date=(updated or datetime.now(timezone.utc)).date())
    if not ident:
        return InboundInvoice(external_id="", status="open", problem="an invoice without an Id",
                              **empty)
    if is_deleted(row):
        return InboundInvoice(external_id=ident, status="deleted", updated_at=updated, **empty)
    number = text(row.get("DocNumber"), MAX_NUMBER)
    memo = row.get("CustomerMemo")
    extra = {f"{CUSTOM_FIELD}{text(f.get('DefinitionId'), 3)}": text(f.get("StringValue"), 100)
             for f in row.get("CustomField") or [] if isinstance(f, dict)
             and text(f.get("DefinitionId"), 3) and text(f.get("StringValue"), 100)} \
        if isinstance(row.get("CustomField"), list) else {}
    base = dict(external_id=ident, number=number,
                customer_external_id=ref(row.get("CustomerRef")),
                currency=(ref(row.get("CurrencyRef")) or home_currency).upper()[:3],
                memo=text(memo.get("value"), MAX_MEMO) if isinstance(memo, dict) else "",
                version=text(row.get("SyncToken"), 20), created_at=created, updated_at=updated,
                extra=extra, payments=tuple(payments))
    try:
        issue = day(row.get("TxnDate"), "its date", required=True)
        due = day(row.get("DueDate"), "its due date")
        total = money(row.get("TotalAmt"), "its total", Decimal("0"))
        balance = money(row.get("Balance"), "its balance", total)
        status = _status(row, total, balance)
        if status == "voided":
            return InboundInvoice(**base, issue_date=issue, due_date=due, status="voided",
                                  lines=(), subtotal=Decimal("0"), tax_total=Decimal("0"),
                                  total=Decimal("0"), amount_due=Decimal("0"))
        if not us and row.get("GlobalTaxCalculation") == "TaxInclusive":
            raise Unreadable("its amounts include tax (Amounts are: Inclusive of tax); the PSA "
                             "imports invoices with amounts exclusive of tax")
        us_tax = _us_tax(row) if us else ("", None)
        lines = tuple(_line(ln, n, us=us, us_tax=us_tax, code_rates=code_rates or {})
                      for n, ln in enumerate(_sales_lines(row.get("Line")), start=1))
        detail = row.get("TxnTaxDetail") if isinstance(row.get("TxnTaxDetail"), dict) else {}
        tax_total = money(detail.get("TotalTax"), "its tax", Decimal("0"))
    except Unreadable as exc:
        return InboundInvoice(**base, issue_date=empty["issue_date"], due_date=None,
                              status="open", lines=(), subtotal=Decimal("0"),
                              tax_total=Decimal("0"), total=Decimal("0"),
                              problem=f"QuickBooks invoice {number or ident}: {exc}.")
    return InboundInvoice(**base, issue_date=issue, due_date=due, status=status, lines=lines,
                          subtotal=sum((ln.amount for ln in lines), Decimal("0")),
                          tax_total=tax_total, total=total, amount_due=balance)
