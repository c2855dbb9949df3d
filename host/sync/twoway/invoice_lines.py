"""Reading an inbound invoice for the host: its customer, currency and lines, checked.

What :mod:`host.sync.twoway.apply_invoices` asks before it writes anything, so an invoice that
cannot be mapped changes nothing but its link (:class:`Waiting` carries the reason and fix):

* the **customer** through its link (the customers' import, or the admin's choice: the
  ``client`` mapping);
* the **currency**, one the host knows (ISO 4217);
* every **amount** a finite number, every **line**'s tax code mapped back to a host tax rate
  (the plugin's ``tax_rate`` mapping kind, else the organization's only active tax rate with the
  line's percentage; a line without tax needs none), its item mapped back to a service type
  when the host knows it (an unknown item gives a line without service type, never a failure);
* the **sums**: each line's quantity x price is its amount, the lines add up to the subtotal,
  subtotal + tax = total, and the host's own tax (per line, half-up) is within 0.01 a line of
  the ledger's.

:func:`lines_digest` is the ``lines`` field of an invoice's fingerprint: the same digest for the
resolved ledger lines and for the host invoice's lines.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import sqlalchemy as sa

from host.contract.records import InboundInvoice
from host.extensions import db
from host.models import Client, Invoice, ServiceType, TaxRate
from host.services import validation
from host.services.totals import cents, line_amount, line_tax
from host.sync.twoway import conflicts
from host.sync.twoway.run import ImportRun, bounded

CENT = Decimal("0.01")
UNREADABLE_FIX = ("Correct the invoice in the ledger: its next change brings it in again. "
                  "Or press Retry.")
RETRY_FIX = "Fix it, then press Retry (or change the invoice in the ledger)."
TAX_FIX = ("Map each of the ledger's tax codes to a host tax rate of the same percentage on the "
           "integration's Manage page (tax rates), or add a host tax rate with that percentage, "
           "then press Retry.")


class Waiting(Exception):
    """The invoice cannot be imported as it is: ``reason`` and ``fix`` say why."""

    def __init__(self, reason: str, fix: str = RETRY_FIX) -> None:
        super().__init__(reason)
        self.reason, self.fix = reason, fix


def _org(run: ImportRun):
    return run.connection.business_unit.organization


def resolve_customer(run: ImportRun, record: InboundInvoice) -> Client:
    link = run.link(str(record.customer_external_id)[:100], object="customer")
    client = db.session.get(Client, link.host_id) if link is not None and \
        link.status == "linked" and link.host_id else None
    if client is None:
        host_id = run.host_id_for("client", str(record.customer_external_id))
        client = db.session.get(Client, host_id) if host_id else None
    if client is None or client.organization_id != _org(run).id:
        shown = bounded(record.customer_external_id, 100)[0]
        raise Waiting(f"The customer {shown} has not been imported.",
                      "Turn the customers' import on (What syncs), or link that customer to "
                      "a host client on the reconciliation page, then press Retry.")
    return client


def resolve_currency(record: InboundInvoice) -> str:
    code = bounded(record.currency, 10)[0].upper()
    if not validation.is_known_currency(code):
        raise Waiting(f"The currency {code or '(none)'!r} is not one the host knows.",
                      "Correct the invoice's currency in the ledger; the next change brings "
                      "it in again.")
    return code


def _tax_rate(run: ImportRun, line, cache: dict) -> TaxRate | None:
    code = bounded(line.tax_code, 100)[0]
    percent = line.tax_percent
    if not code and not percent and not line.tax_amount:
        return None
    key = (code, percent)
    if key in cache:
        return cache[key]
    rate = None
    host_id = run.host_id_for(run.mapping_kind("tax_rate"), code)
    if host_id:
        rate = db.session.get(TaxRate, host_id)
        if rate is not None and rate.organization_id != _org(run).id:
            rate = None
    if rate is None and percent is not None:
        rates = list(db.session.scalars(sa.select(TaxRate).where(
            TaxRate.organization_id == _org(run).id, TaxRate.active.is_(True))))
        same = [r for r in rates if r.rate == percent]
        if len(same) == 1:
            rate = same[0]
    if rate is None and not percent and not line.tax_amount:
        rate = None  # a zero-rated code needs no host tax rate
    elif rate is None:
        raise Waiting(f"The tax code {code or '(none)'} ({percent if percent is not None else '?'}"
                      " %) is not mapped to a host tax rate.",
                      "Map it on the integration's Manage page (tax rates), or add a host tax "
                      "rate with that percentage, then press Retry.")
    cache[key] = rate
    return rate


def _service_type_id(run: ImportRun, item_external_id: str) -> int | None:
    if not item_external_id:
        return None
    host_id = run.host_id_for(run.mapping_kind("service_type"), item_external_id)
    if host_id is None:
        link = run.link(str(item_external_id)[:100], object="item")
        host_id = link.host_id if link is not None and link.status == "linked" else None
    service_type = db.session.get(ServiceType, host_id) if host_id else None
    return service_type.id if service_type is not None and \
        service_type.organization_id == _org(run).id else None


def _finite(value) -> bool:
    return value is None or (isinstance(value, (Decimal, int)) and not isinstance(value, bool)
                             and Decimal(value).is_finite())


def _require_numbers(record: InboundInvoice) -> None:
    """Every amount of ``record`` is a finite number (the ledger's data is untrusted)."""
    for name in ("subtotal", "tax_total", "total"):
        if getattr(record, name) is None or not _finite(getattr(record, name)):
            raise Waiting(f"The invoice's {name.replace('_', ' ')} is not a number: "
                          f"{getattr(record, name)!s:.40}.", UNREADABLE_FIX)
    for payment in record.payments:
        if not all(_finite(a.amount) and a.amount is not None for a in payment.allocations):
            raise Waiting(f"The amount of its payment {bounded(payment.external_id, 60)[0]} "
                          "is not a number.", UNREADABLE_FIX)
    for n, line in enumerate(record.lines, start=1):
        for name in ("quantity", "unit_price", "amount", "tax_percent", "tax_amount"):
            value = getattr(line, name)
            if (value is None and name in ("quantity", "unit_price", "amount")) \
                    or not _finite(value):
                raise Waiting(f"Line {n}: its {name.replace('_', ' ')} is not a number: "
                              f"{value!s:.40}.", UNREADABLE_FIX)


def resolve_lines(run: ImportRun, record: InboundInvoice) -> list[dict]:
    """The host line mappings of ``record``'s lines, after checking that they add up."""
    if not record.lines:
        raise Waiting("The invoice has no lines.", UNREADABLE_FIX)
    _require_numbers(record)
    lines, cache, used = [], {}, []
    host_tax = Decimal(0)
    for n, line in enumerate(record.lines, start=1):
        rate = _tax_rate(run, line, cache)
        try:
            amount = line_amount(line.quantity, line.unit_price)
        except (TypeError, ArithmeticError):
            raise Waiting(f"Line {n}: its quantity or price is not a number.") from None
        if abs(amount - cents(line.amount)) > CENT:
            raise Waiting(f"Line {n} does not add up: {line.quantity} x {line.unit_price} = "
                          f"{amount}, the ledger says {line.amount}.")
        tax = line_tax(amount, rate.rate if rate else None)
        used.append((rate, line.tax_percent))
        if line.tax_amount is not None and abs(tax - cents(line.tax_amount)) > CENT:
            raise Waiting(f"Line {n}: the host computes a tax of {tax}, the ledger "
                          f"{line.tax_amount}{_rates_used([(rate, line.tax_percent)])}.",
                          TAX_FIX)
        host_tax += tax
        lines.append({"description": bounded(line.description, 500)[0],
                      "quantity": line.quantity, "unit_price": line.unit_price,
                      "service_type_id": _service_type_id(run, line.item_external_id),
                      "tax_rate_id": rate.id if rate else None,
                      "service_date": line.service_date})
    subtotal = sum((Decimal(line.amount) for line in record.lines), Decimal(0))
    if cents(subtotal) != cents(record.subtotal):
        raise Waiting(f"The lines add up to {cents(subtotal)}, the invoice's subtotal is "
                      f"{record.subtotal}.")
    if cents(record.subtotal + record.tax_total) != cents(record.total):
        raise Waiting(f"Subtotal {record.subtotal} + tax {record.tax_total} is not the total "
                      f"{record.total}.")
    if abs(cents(host_tax) - cents(record.tax_total)) > CENT * len(record.lines):
        raise Waiting(f"The host computes a tax of {cents(host_tax)}, the ledger "
                      f"{record.tax_total}{_rates_used(used)}.", TAX_FIX)
    return lines


def _rates_used(used: list[tuple[TaxRate | None, Decimal | None]]) -> str:
    """", with US Sales Tax (8.875 %) where the ledger says 8 %": the host tax rates whose
    percentage differs from the ledger's, said once each (empty when none does)."""
    said = []
    for rate, percent in used:
        if rate is None or percent is None or rate.rate == percent:
            continue
        text = (f"{bounded(rate.name, 100)[0]} ({_percent(rate.rate)} %) where the ledger says "
                f"{_percent(percent)} %")
        if text not in said:
            said.append(text)
    return f", with {'; '.join(said)}" if said else ""


def _percent(value) -> str:
    """8.8750 -> "8.875", 8 -> "8": a percentage as people write it."""
    return f"{Decimal(value).normalize():f}"


# -- fingerprints ------------------------------------------------------------------------------


def lines_digest(lines: list[dict]) -> str:
    """A short digest of host line mappings (what the ``lines`` fingerprint field holds)."""
    canonical = [[conflicts.as_text(line.get(k)) for k in (
        "description", "quantity", "unit_price", "service_type_id", "tax_rate_id")]
        for line in lines]
    canonical = [[c[0], str(Decimal(c[1] or 0).normalize()), str(Decimal(c[2] or 0).normalize()),
                  c[3], c[4]] for c in canonical]
    return hashlib.sha256(json.dumps(canonical).encode()).hexdigest()[:16]


def host_lines(invoice: Invoice) -> list[dict]:
    return [{"description": line.description, "quantity": line.quantity,
             "unit_price": line.unit_price, "service_type_id": line.service_type_id,
             "tax_rate_id": line.tax_rate_id} for line in invoice.lines]
