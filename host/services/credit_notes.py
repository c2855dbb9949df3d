"""Credit notes against sent invoices: copies of chosen invoice lines, or a plain amount.

A credit note reduces the invoice balance (its total counts as settled) and is announced with
``events.credit_note_issued`` before the commit, so the sync outbox pushes it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Iterable, Mapping

from sqlalchemy.exc import IntegrityError

from host import events
from host.extensions import db
from host.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from host.services import validation
from host.services.errors import InvalidField, InvalidTransition
from host.services.invoicing import NUMBER_ATTEMPTS, SETTLEABLE, settle_status
from host.services.numbering import CREDIT_NOTE_PREFIX, next_number
from host.services.totals import ZERO, summarize


def issue_credit_note(invoice: Invoice, lines: Iterable[Mapping] | None = None, *,
                      amount=None, reason: str = "", issue_date: date | None = None,
                      commit: bool = True) -> CreditNote:
    """Issue a credit note against ``invoice`` (sent, partially paid or paid).

    ``lines``: mappings ``{"invoice_line_id": id, "quantity": q}`` copy those invoice lines
    (quantity defaults to the line's). Or ``amount``: one untaxed line "Credit" for that amount,
    booked like the invoice's first line. The credit total may not exceed what is left to credit.
    """
    if invoice.status not in SETTLEABLE:
        raise InvalidTransition(
            f"Credit notes are issued against sent invoices; this one is {invoice.status.replace('_', ' ')}.")
    if (lines is None) == (amount is None):
        raise InvalidField("lines" if lines is not None else "amount",
                           "Give either invoice lines or an amount to credit.")
    reason = validation.text(reason, "reason", validation.MEMO_MAX_LENGTH)
    issue_date = validation.day(issue_date, "issue_date")
    lines = validation.objects(lines, "lines") if lines is not None else None
    built = _copy_lines(invoice, lines) if lines is not None else _amount_line(invoice, amount)
    if not built:
        raise InvalidField("lines", "Choose at least one line to credit.")
    total = summarize(built).total
    if total <= ZERO:
        raise InvalidField("amount" if lines is None else "lines",
                           "The credit note total must be positive.")
    creditable = invoice.total - invoice.amount_credited
    if total > creditable:
        raise InvalidField("amount" if lines is None else "lines", f"The credit ({total}) is more than can be credited ({creditable}).")
    for attempt in range(NUMBER_ATTEMPTS):
        sequence, number = next_number(CreditNote, invoice.organization_id, CREDIT_NOTE_PREFIX)
        note = CreditNote(
            organization_id=invoice.organization_id,
            invoice=invoice,
            number=number,
            sequence=sequence,
            issue_date=issue_date or date.today(),
            reason=reason,
            status="issued",
            lines=built,
        )
        try:
            db.session.add(note)
            settle_status(invoice)
            db.session.flush()
            events.credit_note_issued.send(note)
            if not commit:
                return note
            db.session.commit()
        except IntegrityError:
            if not commit:
                raise
            # Another request took this number first: rebuild the lines and take the next.
            db.session.rollback()
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
            built = _copy_lines(invoice, lines) if lines is not None else _amount_line(invoice, amount)
        else:
            return note
    raise AssertionError("unreachable")


def _copy_lines(invoice: Invoice, lines: Iterable[Mapping]) -> list[CreditNoteLine]:
    by_id = {line.id: line for line in invoice.lines}
    built = []
    for position, data in enumerate(lines, start=1):
        at = f"lines[{position - 1}]"
        if not isinstance(data, Mapping):
            raise InvalidField(at, f"Line {position} must be an object.")
        line_id = validation.optional_id(data.get("invoice_line_id"), f"{at}.invoice_line_id")
        source: InvoiceLine | None = by_id.get(line_id)
        if source is None:
            raise InvalidField(f"{at}.invoice_line_id",
                               f"Line {data.get('invoice_line_id')!r} is not on this invoice.")
        quantity = data.get("quantity")
        quantity = source.quantity if quantity in (None, "") else validation.quantity(
            quantity, f"{at}.quantity")
        if quantity == 0:
            continue
        if quantity < 0 or quantity > source.quantity:
            raise InvalidField(
                f"{at}.quantity",
                f"Credit quantity for {source.description!r} must be between 0 and {source.quantity}.")
        gl = source.effective_gl_account
        built.append(CreditNoteLine(
            position=position,
            invoice_line=source,
            description=source.description,
            quantity=quantity,
            unit_price=source.unit_price,
            discount_percent=source.discount_percent,
            service_type=source.service_type,
            tax_rate=source.tax_rate,
            gl_account=gl,
            class_label=source.effective_class_label,
        ))
    return built


def _amount_line(invoice: Invoice, amount) -> list[CreditNoteLine]:
    value = validation.money(amount, "amount", currency=invoice.currency, positive=True)
    first = invoice.lines[0] if invoice.lines else None
    return [CreditNoteLine(
        position=1,
        description="Credit",
        quantity=Decimal("1"),
        unit_price=value,
        discount_percent=Decimal("0"),
        service_type=first.service_type if first else None,
        tax_rate=None,
        gl_account=first.effective_gl_account if first else None,
        class_label=first.effective_class_label if first else "",
    )]

