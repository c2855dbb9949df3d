"""The host documents a scenario builds from the plugin's ``sample_invoice``.

What the host itself would hand the plugin next: the same invoice with ``external`` set after
its first push, an edited copy, a credit note for it, a payment on it. All are the contract's
frozen snapshots (:mod:`host.contract.types`), built with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from host.contract.types import CreditNoteData, ExternalRef, InvoiceData, PaymentData, SyncResult


def pushed(invoice: InvoiceData, result: SyncResult) -> InvoiceData:
    """The invoice as the host snapshots it after a successful push (``external`` set)."""
    return replace(invoice, external=ExternalRef(result.external_id, result.number,
                                                 result.version, result.deep_link))


def edited(invoice: InvoiceData) -> InvoiceData:
    """The invoice edited after it was sent: due a week later, the first line renamed, and the
    line with the largest quantity billed at twice (or half) the quantity for half (or twice)
    the unit price -- the amounts, the tax and the total do not change."""
    lines = list(invoice.lines)
    lines[0] = replace(lines[0], description=f"{lines[0].description} (revised)")
    index = max(range(len(lines)), key=lambda i: lines[i].quantity)
    line = lines[index]
    half_price = line.unit_price / 2
    if half_price == half_price.quantize(Decimal("0.01")):
        lines[index] = replace(line, quantity=line.quantity * 2, unit_price=half_price)
    else:
        lines[index] = replace(line, quantity=line.quantity / 2, unit_price=line.unit_price * 2)
    return replace(invoice, due_date=invoice.due_date + timedelta(days=7), lines=tuple(lines))


def credit_note(invoice: InvoiceData) -> CreditNoteData:
    """A credit note crediting the pushed invoice in full (its lines, tax and total)."""
    return CreditNoteData(
        id=invoice.id, number=f"CN-{invoice.number}", currency=invoice.currency,
        issue_date=invoice.issue_date, client=invoice.client, lines=invoice.lines,
        subtotal=invoice.subtotal, tax_total=invoice.tax_total, total=invoice.total,
        invoice_id=invoice.id, invoice_number=invoice.number,
        invoice_external=invoice.external, reason="Credited in full (contract suite)")


def part_payment(invoice: InvoiceData) -> Decimal:
    """An amount that pays part of the invoice: a third of its total, in cents."""
    return (invoice.total / 3).quantize(Decimal("0.01"))


def payment(invoice: InvoiceData, amount: Decimal) -> PaymentData:
    """A payment typed in the host against the pushed invoice."""
    return PaymentData(id=invoice.id, amount=amount, date=invoice.issue_date,
                       currency=invoice.currency, invoice_id=invoice.id,
                       invoice_number=invoice.number, invoice_external=invoice.external,
                       client=invoice.client, reference="contract suite")
