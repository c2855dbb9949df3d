"""Invoices that come in from a ledger (two-way sync): create and re-line them by the host's rules.

An imported invoice has no project (it was issued in QuickBooks or Xero, not billed from a
contract), is ``sent`` from the start (drafts are never imported) and carries its ``source``
(the provider key) and ``source_connection_id``. Its number is the ledger's number when it is
free in the organization (:func:`free_number`). Every value goes through
``host.services.validation`` as for invoices created here; nothing commits (the importer
commits a page at once).

Writes here send no domain signal: the outbox has nothing to push for an invoice the ledger
already holds. Voiding one goes through ``host.services.invoicing.void_invoice`` inside
``host.sync.twoway.importing.importing()`` so that no void is pushed back.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable, Mapping

import sqlalchemy as sa

from host.extensions import db
from host.models import Invoice, InvoiceLine, ServiceType, TaxRate
from host.models.mixins import utcnow
from host.services import validation
from host.services.errors import InvalidField, InvalidTransition
from host.services.totals import line_amount, line_tax, summarize

NUMBER_MAX = validation.column_length(Invoice.number)
DESCRIPTION_MAX = validation.column_length(InvoiceLine.description)


def free_number(organization_id: int, number: str, suffix: str) -> tuple[str, bool]:
    """The ledger's ``number`` when no invoice of the organization has it, else
    ``"<number>-<suffix>"`` (then ``-2``, ``-3`` ...), within the column. Returns the number and
    whether it differs from the ledger's."""
    base = number.strip()[:NUMBER_MAX]

    def taken(candidate: str) -> bool:
        return db.session.scalars(sa.select(Invoice.id).where(
            Invoice.organization_id == organization_id, Invoice.number == candidate)).first() \
            is not None

    if base and not taken(base):
        return base, base != number
    n = 1
    while True:
        tail = f"-{suffix}" + (f"-{n}" if n > 1 else "")
        candidate = base[: NUMBER_MAX - len(tail)] + tail
        if not taken(candidate):
            return candidate, True
        n += 1


def build_lines(organization_id: int, currency: str,
                lines: Iterable[Mapping]) -> list[InvoiceLine]:
    """Invoice lines from mappings with ``description``, ``quantity``, ``unit_price`` and
    optional ``service_type_id``, ``tax_rate_id``, ``service_date``, checked like any line
    (``InvalidField`` names the line and field)."""
    built = []
    for position, data in enumerate(validation.objects(list(lines), "lines"), start=1):
        at = f"lines[{position - 1}]"
        quantity = validation.quantity(data.get("quantity", 1), f"{at}.quantity")
        unit_price = validation.money(data.get("unit_price"), f"{at}.unit_price",
                                      currency=currency, rounding=True)
        service_type = _owned(ServiceType, data.get("service_type_id"), organization_id,
                              f"{at}.service_type_id")
        tax_rate = _owned(TaxRate, data.get("tax_rate_id"), organization_id,
                          f"{at}.tax_rate_id")
        amount = validation.fits_money(line_amount(quantity, unit_price), at)
        validation.fits_money(line_tax(amount, tax_rate.rate if tax_rate else None), at)
        description = str(data.get("description") or "").strip()[:DESCRIPTION_MAX]
        built.append(InvoiceLine(
            position=position, description=description, quantity=quantity,
            unit_price=unit_price, discount_percent=0,
            service_date=validation.day(data.get("service_date"), f"{at}.service_date"),
            service_type=service_type, tax_rate=tax_rate, class_label=""))
    if not built:
        raise InvalidField("lines", "An invoice needs at least one line.")
    validation.fits_money(summarize(built).total, "lines")
    return built


def _owned(model, object_id, organization_id: int, field: str):
    object_id = validation.optional_id(object_id, field)
    if object_id is None:
        return None
    row = db.session.get(model, object_id)
    if row is None or row.organization_id != organization_id:
        raise InvalidField(field, f"Unknown {field} {object_id!r}.")
    return row


def create_imported_invoice(*, business_unit, client, number: str, currency: str,
                            issue_date: date, due_date: date | None, memo: str = "",
                            reference: str = "", source: str, source_connection_id: int,
                            lines: Iterable[Mapping]) -> Invoice:
    """A ``sent`` invoice as the ledger issued it (added to the session, flushed)."""
    organization = business_unit.organization
    currency = validation.currency(currency)
    if not validation.is_known_currency(currency):
        raise InvalidField("currency", f"The currency {currency!r} is not one the host knows.")
    issue_date = validation.day(issue_date, "issue_date")
    due_date = validation.day(due_date, "due_date") or validation.day(
        date.fromordinal(issue_date.toordinal() + organization.default_due_days), "due_date")
    invoice = Invoice(
        organization_id=organization.id, business_unit_id=business_unit.id,
        client_id=client.id, project_id=None, number=number, sequence=0, currency=currency,
        issue_date=issue_date, due_date=max(due_date, issue_date), status="sent",
        memo=validation.text(str(memo or "")[:validation.MEMO_MAX_LENGTH], "memo",
                             validation.MEMO_MAX_LENGTH),
        reference=str(reference or "").strip()[:validation.column_length(Invoice.reference)],
        source=source[:50], source_connection_id=source_connection_id,
        approved_at=utcnow(), sent_at=utcnow(),
    )
    invoice.lines = build_lines(organization.id, currency, lines)
    db.session.add(invoice)
    db.session.flush()
    return invoice


def replace_lines(invoice: Invoice, lines: Iterable[Mapping]) -> Invoice:
    """Replace the lines of an invoice from the ledger (its edit there). Refused, like an edit
    here, once it has payments or credit notes."""
    if invoice.status == "void":
        raise InvalidTransition("A void invoice cannot be changed.")
    if invoice.has_payments or invoice.credit_notes:
        raise InvalidTransition("This invoice has payments or credit notes; its lines can no "
                                "longer be changed.")
    new_lines = build_lines(invoice.organization_id, invoice.currency, lines)
    invoice.lines.clear()
    db.session.flush()
    invoice.lines.extend(new_lines)
    return invoice


__all__ = ["build_lines", "create_imported_invoice", "free_number",
           "replace_lines"]
