"""Frozen contract snapshots (``hookspecs`` dataclasses) built from host models.

Plugins never see models: the sync layer builds these right before calling a hook. The
effective GL account of a line is the line's own, else its contract line's override, else the
service type's default; the class label comes from the contract line unless the line has one.

``plan`` (a :class:`host.sync.twoway.outbound_data.FieldPlan`) applies the admin's field choices
of two-way sync: a customer or product pushed on its own (``push_record``) goes with its
switched-off fields empty and its added pairs in ``fields``; an invoice carries its own added
pairs and its client's, and its switched-off memo or reference empty (the client's predefined
fields stay whole there: the invoice needs the billing email to be sent). Without a plan
nothing is blanked and ``fields`` is empty.
"""

from __future__ import annotations

from host.contract.types import (
    ClientData, CreditNoteData, ExternalRef, GLAccountData, InvoiceData, LineData, PaymentData,
    ServiceTypeData, TaxRateData,
)


def client_data(client, plan=None, *, blank: bool = True) -> ClientData:
    values = {
        "name": client.name,
        "billing_contact_name": client.billing_contact_name or "",
        "billing_email": client.billing_email or "",
        "tax_number": client.tax_number or "",
    }
    if plan is None:
        return ClientData(id=client.id, **values)
    if blank:
        values = plan.blank("customer", values)
    return ClientData(id=client.id, **values, fields=plan.extra_fields("customer", client))


def service_type_data(service_type, plan=None) -> ServiceTypeData | None:
    if service_type is None:
        return None
    values = {
        "name": service_type.name,
        "sku": service_type.sku or "",
        "unit_price": service_type.unit_price,
        "description": service_type.description or "",
        "income_account": gl_account_data(service_type.default_gl_account),
    }
    if plan is None:
        return ServiceTypeData(id=service_type.id, **values)
    return ServiceTypeData(id=service_type.id, **plan.blank("item", values),
                           fields=plan.extra_fields("item", service_type))


def tax_rate_data(tax_rate) -> TaxRateData | None:
    if tax_rate is None:
        return None
    return TaxRateData(id=tax_rate.id, name=tax_rate.name, rate=tax_rate.rate)


def gl_account_data(account) -> GLAccountData | None:
    if account is None:
        return None
    return GLAccountData(id=account.id, code=account.code, name=account.name)


def invoice_line_data(line) -> LineData:
    return LineData(
        id=line.id,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        amount=line.amount,
        discount_percent=line.discount_percent,
        service_date=line.service_date,
        service_type=service_type_data(line.service_type),
        tax_rate=tax_rate_data(line.tax_rate),
        gl_account=gl_account_data(line.effective_gl_account),
        class_label=line.effective_class_label,
        contract_line_id=line.contract_line_id,
    )


def credit_note_line_data(line) -> LineData:
    source = line.invoice_line
    return LineData(
        id=line.id,
        description=line.description,
        quantity=line.quantity,
        unit_price=line.unit_price,
        amount=line.amount,
        discount_percent=line.discount_percent,
        service_date=source.service_date if source is not None else None,
        service_type=service_type_data(line.service_type),
        tax_rate=tax_rate_data(line.tax_rate),
        gl_account=gl_account_data(line.gl_account),
        class_label=line.class_label,
        contract_line_id=source.contract_line_id if source is not None else None,
    )


def invoice_data(invoice, external: ExternalRef | None = None, plan=None,
                 send_email: bool | None = None) -> InvoiceData:
    """``send_email``: the admin's choice for this push (Push now, with or without emailing);
    None follows the connection's setting."""
    summary = invoice.summary
    texts = {"memo": invoice.memo or "", "reference": invoice.reference or ""}
    if plan is not None:
        texts = plan.blank("invoice", texts)
    return InvoiceData(
        id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        currency=invoice.currency,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        client=client_data(invoice.client, plan, blank=False),
        lines=tuple(invoice_line_data(line) for line in invoice.lines),
        subtotal=summary.subtotal,
        tax_total=summary.tax_total,
        total=summary.total,
        memo=texts["memo"],
        project_name=invoice.project.name if invoice.project else "",
        business_unit_name=invoice.business_unit.name,
        external=external,
        reference=texts["reference"],
        send_email=send_email,
        fields=plan.extra_fields("invoice", invoice) if plan is not None else {},
    )


def credit_note_data(credit_note, external: ExternalRef | None = None,
                     invoice_external: ExternalRef | None = None) -> CreditNoteData:
    invoice = credit_note.invoice
    summary = credit_note.summary
    return CreditNoteData(
        id=credit_note.id,
        number=credit_note.number,
        currency=invoice.currency,
        issue_date=credit_note.issue_date,
        client=client_data(invoice.client),
        lines=tuple(credit_note_line_data(line) for line in credit_note.lines),
        subtotal=summary.subtotal,
        tax_total=summary.tax_total,
        total=summary.total,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        invoice_external=invoice_external,
        reason=credit_note.reason or "",
        external=external,
    )


def payment_data(payment, invoice_external: ExternalRef) -> PaymentData:
    invoice = payment.invoice
    return PaymentData(
        id=payment.id,
        amount=payment.amount,
        date=payment.date,
        currency=invoice.currency,
        invoice_id=invoice.id,
        invoice_number=invoice.number,
        invoice_external=invoice_external,
        client=client_data(invoice.client),
        reference=payment.reference or "",
    )
