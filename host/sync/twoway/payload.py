"""Inbound records as bounded, JSON-safe payloads, and back.

A record that cannot be imported waits on the sync overview with its payload
(``SyncLink.payload``), so Retry (:mod:`host.sync.twoway.retry`) applies it again without
asking the provider. Everything here is untrusted input from the ledger, so the payload is
bounded: texts are cut to :data:`TEXT_MAX` characters, lists to :data:`LINES_MAX` entries, and
a payload still larger than :data:`PAYLOAD_MAX` characters of JSON is not kept (Retry then asks
the provider for the record's changes instead). Decimals and dates travel as strings.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from host.contract.records import InboundCustomer, InboundInvoice, InboundItem, InboundLine
from host.contract.types import PaymentAllocation, PaymentRecord

TEXT_MAX = 5000
LINES_MAX = 500
PAYLOAD_MAX = 200_000

TYPES = {"customer": InboundCustomer, "item": InboundItem, "invoice": InboundInvoice}


def _safe(value: Any) -> Any:
    if value is None or isinstance(value, bool) or isinstance(value, int):
        return value
    if isinstance(value, (Decimal, float)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if dataclasses.is_dataclass(value):
        return {f.name: _safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict) or hasattr(value, "items"):
        return {str(k)[:200]: _safe(v) for k, v in list(value.items())[:LINES_MAX]}
    if isinstance(value, (list, tuple)):
        return [_safe(v) for v in list(value)[:LINES_MAX]]
    return str(value)[:TEXT_MAX]


def to_payload(record) -> dict | None:
    """``record`` (an ``Inbound*``) as a JSON-safe dict, or None when too large to keep."""
    data = _safe(record)
    if len(json.dumps(data)) > PAYLOAD_MAX:
        return None
    return data


def _decimal(value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _moment(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except (TypeError, ValueError):
        return None


def _text(value) -> str:
    return "" if value is None else str(value)


def from_payload(object: str, data: dict):
    """The ``Inbound*`` record of ``object`` a payload was made from."""
    data = dict(data or {})
    common = {
        "external_id": _text(data.get("external_id")),
        "version": _text(data.get("version")),
        "created_at": _moment(data.get("created_at")),
        "updated_at": _moment(data.get("updated_at")),
        "extra": {str(k): _text(v) for k, v in (data.get("extra") or {}).items()},
        "problem": _text(data.get("problem")),
    }
    if object == "customer":
        return InboundCustomer(
            name=_text(data.get("name")), billing_email=_text(data.get("billing_email")),
            billing_contact_name=_text(data.get("billing_contact_name")),
            tax_number=_text(data.get("tax_number")), currency=_text(data.get("currency")),
            active=bool(data.get("active", True)), **common)
    if object == "item":
        return InboundItem(
            name=_text(data.get("name")), sku=_text(data.get("sku")),
            unit_price=_decimal(data.get("unit_price")),
            description=_text(data.get("description")),
            income_account=_text(data.get("income_account")),
            active=bool(data.get("active", True)), **common)
    lines = tuple(InboundLine(
        description=_text(line.get("description")),
        quantity=_decimal(line.get("quantity")) or Decimal(0),
        unit_price=_decimal(line.get("unit_price")) or Decimal(0),
        amount=_decimal(line.get("amount")) or Decimal(0),
        item_external_id=_text(line.get("item_external_id")),
        tax_code=_text(line.get("tax_code")),
        tax_percent=_decimal(line.get("tax_percent")),
        tax_amount=_decimal(line.get("tax_amount")),
        service_date=_day(line.get("service_date")),
        account_external_id=_text(line.get("account_external_id")),
    ) for line in data.get("lines") or ())
    payments = tuple(PaymentRecord(
        external_id=_text(p.get("external_id")), date=_day(p.get("date")) or date.today(),
        allocations=tuple(PaymentAllocation(_text(a.get("invoice_external_id")),
                                            _decimal(a.get("amount")) or Decimal(0))
                          for a in p.get("allocations") or ()),
        currency=_text(p.get("currency")),
        kind="credit" if p.get("kind") == "credit" else "payment",
        voided=bool(p.get("voided")), reference=_text(p.get("reference")),
    ) for p in data.get("payments") or ())
    return InboundInvoice(
        number=_text(data.get("number")),
        customer_external_id=_text(data.get("customer_external_id")),
        currency=_text(data.get("currency")),
        issue_date=_day(data.get("issue_date")) or date.today(),
        due_date=_day(data.get("due_date")),
        status=_text(data.get("status")) or "open",
        lines=lines,
        subtotal=_decimal(data.get("subtotal")) or Decimal(0),
        tax_total=_decimal(data.get("tax_total")) or Decimal(0),
        total=_decimal(data.get("total")) or Decimal(0),
        amount_due=_decimal(data.get("amount_due")),
        memo=_text(data.get("memo")),
        payments=payments, **common)
