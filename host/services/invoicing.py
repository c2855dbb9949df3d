"""Invoices: create (from a project's contract lines or explicit lines), edit, approve, send, void.

Every function changes the session and, unless ``commit=False``, commits once at the end. Domain
signals are sent *before* that commit so the sync outbox writes its record in the same
transaction. A caller doing several steps in one request (create, then send) passes
``commit=False`` to each and commits once, so a failure leaves nothing half-done.

Every input goes through ``host.services.validation`` here too, so a value the database cannot
store or a page cannot show is refused whoever calls (API, form, seed, test).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Iterable, Mapping

from sqlalchemy.exc import IntegrityError

from host import events
from host.extensions import db
from host.models import (
    ContractLine, GLAccount, Invoice, InvoiceLine, Project, ServiceType, TaxRate,
)
from host.models.mixins import utcnow
from host.services import validation
from host.services.errors import DomainError, InvalidField, InvalidTransition
from host.services.numbering import INVOICE_PREFIX, next_number
from host.services.totals import ZERO, line_amount, line_tax, summarize

EDITABLE = ("draft", "approved", "sent")
NUMBER_ATTEMPTS = 5
SETTLEABLE = ("sent", "partially_paid", "paid", "partially_credited", "credited")


def due_date_for(project: Project, issue_date: date) -> date:
    """Issue date plus the project's due days, else the organization's default."""
    return issue_date + timedelta(days=project.effective_due_days)


def create_invoice(project: Project, lines: Iterable[Mapping], *, issue_date: date | None = None,
                   memo: str = "", created_by=None, commit: bool = True) -> Invoice:
    """A draft invoice for ``project`` with explicit ``lines``.

    Each line is a mapping with ``quantity`` and either ``contract_line_id`` (rate, service type,
    tax rate, GL account and class label come from the contract line) or ``unit_price``; optional
    ``description``, ``discount_percent``, ``service_type_id``, ``tax_rate_id``,
    ``gl_account_id``, ``service_date``, ``class_label`` override those.
    """
    issue_date = validation.day(issue_date, "issue_date") or date.today()
    memo = validation.text(memo, "memo", validation.MEMO_MAX_LENGTH)
    lines = validation.objects(lines, "lines")
    for attempt in range(NUMBER_ATTEMPTS):
        sequence, number = next_number(Invoice, project.organization_id, INVOICE_PREFIX)
        invoice = Invoice(
            organization_id=project.organization_id,
            business_unit_id=project.business_unit_id,
            client_id=project.client_id,
            project=project,
            number=number,
            sequence=sequence,
            currency=project.client.effective_currency,
            issue_date=issue_date,
            due_date=due_date_for(project, issue_date),
            status="draft",
            memo=memo,
            created_by=created_by,
        )
        invoice.lines = _build_lines(project, lines)
        db.session.add(invoice)
        if not commit:
            return invoice
        try:
            db.session.commit()
        except IntegrityError:
            # Another request took this number between our read and our commit: take the next.
            db.session.rollback()
            if attempt == NUMBER_ATTEMPTS - 1:
                raise
        else:
            return invoice
    raise AssertionError("unreachable")


def create_invoice_from_project(project: Project, quantities: Mapping | None = None, *,
                                issue_date: date | None = None, service_date: date | None = None,
                                memo: str = "", created_by=None, commit: bool = True) -> Invoice:
    """A draft invoice with one line per contract line of ``project``.

    ``quantities`` maps contract line id -> quantity; lines with no or zero quantity are left
    out. Without ``quantities`` every contract line is billed once.
    """
    if quantities is not None and not isinstance(quantities, Mapping):
        raise InvalidField("quantities", "quantities must be an object {contract_line_id: quantity}.")
    lines = []
    for cl in project.contract_lines:
        qty = 1 if quantities is None else quantities.get(cl.id, quantities.get(str(cl.id)))
        if qty in (None, "") or validation.quantity(qty, f"quantities.{cl.id}") == 0:
            continue
        lines.append({"contract_line_id": cl.id, "quantity": qty, "service_date": service_date})
    return create_invoice(project, lines, issue_date=issue_date, memo=memo,
                          created_by=created_by, commit=commit)


def update_invoice(invoice: Invoice, lines: Iterable[Mapping] | None = None, *,
                   memo: str | None = None, issue_date: date | None = None,
                   commit: bool = True) -> Invoice:
    """Replace the lines (and memo / issue date) of a draft, approved or unpaid sent invoice.

    A sent invoice stays ``sent`` and is flagged ``changed_since_sent``: sending it again pushes
    the change to the accounting system (the same external invoice is updated).
    """
    if invoice.status not in EDITABLE:
        raise InvalidTransition(f"A {_label(invoice.status)} invoice cannot be edited.")
    if invoice.status == "sent" and (invoice.has_payments or invoice.credit_notes):
        raise InvalidTransition(
            "This invoice has payments or credit notes; it can no longer be edited.")
    if memo is not None:
        memo = validation.text(memo, "memo", validation.MEMO_MAX_LENGTH)
    issue_date = validation.day(issue_date, "issue_date")
    if lines is not None:
        new_lines = _build_lines(invoice.project, validation.objects(lines, "lines"))
        invoice.lines.clear()
        db.session.flush()
        invoice.lines.extend(new_lines)
    if memo is not None:
        invoice.memo = memo
    if issue_date is not None and invoice.project is not None:
        invoice.issue_date = issue_date
        invoice.due_date = due_date_for(invoice.project, issue_date)
    if invoice.status == "sent":
        invoice.changed_since_sent = True
    if commit:
        db.session.commit()
    return invoice


def approve(invoice: Invoice, *, commit: bool = True) -> Invoice:
    """draft -> approved."""
    if invoice.status != "draft":
        raise InvalidTransition(f"Only a draft can be approved; this invoice is {_label(invoice.status)}.")
    if not invoice.lines:
        raise DomainError("An invoice needs at least one line.")
    invoice.status = "approved"
    invoice.approved_at = utcnow()
    if commit:
        db.session.commit()
    return invoice


def send_invoice(invoice: Invoice, *, commit: bool = True) -> Invoice:
    """approved (or draft, approved on the way) -> sent; a sent invoice may be sent again.

    Sends ``events.invoice_sent`` before the commit (transactional outbox).
    """
    if invoice.status == "draft":
        approve(invoice, commit=False)
    if invoice.status not in ("approved", "sent"):
        raise InvalidTransition(f"A {_label(invoice.status)} invoice cannot be sent.")
    invoice.status = "sent"
    invoice.sent_at = utcnow()
    invoice.changed_since_sent = False
    db.session.flush()
    events.invoice_sent.send(invoice)
    if commit:
        db.session.commit()
    return invoice


def void_invoice(invoice: Invoice, *, commit: bool = True) -> Invoice:
    """approved or sent -> void, only while nothing is paid or credited."""
    if invoice.status not in ("approved", "sent"):
        raise InvalidTransition(f"A {_label(invoice.status)} invoice cannot be voided.")
    if invoice.has_payments:
        raise InvalidTransition("An invoice with payments cannot be voided.")
    invoice.status = "void"
    invoice.voided_at = utcnow()
    db.session.flush()
    events.invoice_voided.send(invoice)
    if commit:
        db.session.commit()
    return invoice


def settle_status(invoice: Invoice) -> str:
    """Recompute the settlement status from payments and credit notes (no commit).

    Money received makes it ``partially_paid`` / ``paid`` (a credit note beside a payment only
    lowers the balance); credits alone (credit notes issued here, credits applied at the
    provider) make it ``partially_credited`` / ``credited``, so an invoice nobody paid is never
    called paid."""
    if invoice.status not in SETTLEABLE:
        return invoice.status
    settled = invoice.amount_paid + invoice.amount_credited
    received = invoice.amount_received
    if settled <= ZERO:
        invoice.status = "sent"
    elif received > ZERO:
        invoice.status = "paid" if settled >= invoice.total else "partially_paid"
    else:
        invoice.status = "credited" if settled >= invoice.total else "partially_credited"
    return invoice.status


# -- helpers ---------------------------------------------------------------------------------

def _label(status: str) -> str:
    return status.replace("_", " ")


def _owned(model, object_id, org_id: int, field: str):
    object_id = validation.optional_id(object_id, field)
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "organization_id", org_id) != org_id:
        raise InvalidField(field, f"Unknown {field} {object_id!r}.")
    return obj


def _build_lines(project: Project | None, lines: Iterable[Mapping]) -> list[InvoiceLine]:
    if project is None:
        raise DomainError("The invoice has no project.")
    org_id = project.organization_id
    built = []
    currency = project.client.effective_currency
    for position, data in enumerate(lines, start=1):
        at = f"lines[{position - 1}]"
        if not isinstance(data, Mapping):
            raise InvalidField(at, f"Line {position} must be an object.")
        cl = None
        contract_line_id = validation.optional_id(data.get("contract_line_id"),
                                                  f"{at}.contract_line_id")
        if contract_line_id is not None:
            cl = db.session.get(ContractLine, contract_line_id)
            if cl is None or cl.project_id != project.id:
                raise InvalidField(f"{at}.contract_line_id",
                                   f"Contract line {contract_line_id} is not part of this project.")
        quantity = validation.quantity(data.get("quantity", 1), f"{at}.quantity")
        if data.get("unit_price") not in (None, ""):
            unit_price = validation.money(data["unit_price"], f"{at}.unit_price",
                                          currency=currency)
        elif cl is not None:
            unit_price = cl.rate
        else:
            raise InvalidField(f"{at}.unit_price",
                               f"Line {position}: give a unit_price or a contract_line_id.")
        discount = validation.percent(data.get("discount_percent") or 0,
                                      f"{at}.discount_percent")
        service_type = _owned(ServiceType, data.get("service_type_id"), org_id,
                              f"{at}.service_type_id") or (cl.service_type if cl else None)
        if "tax_rate_id" in data:
            tax_rate = _owned(TaxRate, data.get("tax_rate_id"), org_id, f"{at}.tax_rate_id")
        else:
            tax_rate = cl.tax_rate if cl else None
        gl_account = _owned(GLAccount, data.get("gl_account_id"), org_id, f"{at}.gl_account_id")
        amount = validation.fits_money(line_amount(quantity, unit_price, discount), at)
        validation.fits_money(line_tax(amount, tax_rate.rate if tax_rate else None), at)
        description = validation.text(data.get("description"), f"{at}.description",
                                      validation.column_length(InvoiceLine.description)) \
            or (cl.label if cl else "") or (service_type.name if service_type else "")
        class_label = validation.text(data.get("class_label"), f"{at}.class_label",
                                      validation.column_length(InvoiceLine.class_label))
        built.append(InvoiceLine(
            position=position,
            description=description[:validation.column_length(InvoiceLine.description)],
            quantity=quantity,
            unit_price=unit_price,
            discount_percent=discount,
            service_date=validation.day(data.get("service_date"), f"{at}.service_date"),
            service_type=service_type,
            tax_rate=tax_rate,
            contract_line=cl,
            gl_account=gl_account,
            class_label=class_label or (cl.class_label if cl else ""),
        ))
    if not built:
        raise InvalidField("lines", "An invoice needs at least one line with a quantity.")
    validation.fits_money(summarize(built).total, "lines")
    return built

