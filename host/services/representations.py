"""JSON shapes of domain records for the /api/v1 API. Money as strings, dates ISO 8601."""

from __future__ import annotations

from decimal import Decimal

from host.numbers import plain_decimal


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def _num(value: Decimal | None) -> str | None:
    return None if value is None else plain_decimal(value)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def client_json(client) -> dict:
    return {
        "id": client.id,
        "name": client.name,
        "billing_contact_name": client.billing_contact_name,
        "billing_email": client.billing_email,
        "currency": client.effective_currency,
        "active": client.active,
    }


def contract_line_json(line) -> dict:
    gl = line.effective_gl_account
    return {
        "id": line.id,
        "service_type_id": line.service_type_id,
        "service_type": line.service_type.name,
        "description": line.description,
        "rate": _money(line.rate),
        "gl_account_id": line.gl_account_id,
        "effective_gl_account": gl.code if gl else None,
        "tax_rate_id": line.tax_rate_id,
        "class_label": line.class_label,
    }


def project_json(project) -> dict:
    return {
        "id": project.id,
        "name": project.name,
        "client_id": project.client_id,
        "business_unit_id": project.business_unit_id,
        "business_unit": project.business_unit.name,
        "due_days": project.due_days,
        "effective_due_days": project.effective_due_days,
        "active": project.active,
        "contract_lines": [contract_line_json(cl) for cl in project.contract_lines],
    }


def line_json(line) -> dict:
    gl = line.effective_gl_account if hasattr(line, "effective_gl_account") else line.gl_account
    return {
        "id": line.id,
        "description": line.description,
        "quantity": _num(line.quantity),
        "unit_price": _money(line.unit_price),
        "discount_percent": _num(line.discount_percent),
        "amount": _money(line.amount),
        "tax_amount": _money(line.tax_amount),
        "service_type_id": line.service_type_id,
        "tax_rate_id": line.tax_rate_id,
        "gl_account": gl.code if gl else None,
        "class_label": getattr(line, "effective_class_label", line.class_label),
        "contract_line_id": getattr(line, "contract_line_id", None),
        "service_date": _iso(getattr(line, "service_date", None)),
    }


def invoice_json(invoice, sync: dict | None = None, *, with_lines: bool = True) -> dict:
    summary = invoice.summary
    data = {
        "id": invoice.id,
        "number": invoice.number,
        "status": invoice.status,
        "client_id": invoice.client_id,
        "client": invoice.client.name,
        "project_id": invoice.project_id,
        "business_unit_id": invoice.business_unit_id,
        "currency": invoice.currency,
        "issue_date": _iso(invoice.issue_date),
        "due_date": _iso(invoice.due_date),
        "memo": invoice.memo,
        "subtotal": _money(summary.subtotal),
        "tax_total": _money(summary.tax_total),
        "total": _money(summary.total),
        "amount_paid": _money(invoice.amount_paid),
        "amount_credited": _money(invoice.amount_credited),
        "balance": _money(invoice.balance),
        "changed_since_sent": invoice.changed_since_sent,
        "sent_at": _iso(invoice.sent_at),
        "sync": sync,
    }
    if with_lines:
        data["lines"] = [line_json(line) for line in invoice.lines]
    return data


def credit_note_json(note) -> dict:
    summary = note.summary
    return {
        "id": note.id,
        "number": note.number,
        "invoice_id": note.invoice_id,
        "invoice_number": note.invoice.number,
        "status": note.status,
        "issue_date": _iso(note.issue_date),
        "currency": note.currency,
        "reason": note.reason,
        "subtotal": _money(summary.subtotal),
        "tax_total": _money(summary.tax_total),
        "total": _money(summary.total),
        "lines": [line_json(line) for line in note.lines],
    }


def payment_json(payment) -> dict:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "amount": _money(payment.amount),
        "date": _iso(payment.date),
        "source": payment.source,
        "kind": payment.kind,
        "status": payment.status,
        "reference": payment.reference,
        "external_id": payment.external_id,
        "connection_id": payment.connection_id,
    }
