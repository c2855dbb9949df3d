"""Record a payment typed by a user on the invoice page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from host.extensions import db
from host.forms.invoices import PaymentForm
from host.models import Invoice
from host.security.permissions import org_get_or_404
from host.services.errors import DomainError
from host.services.payments import record_payment

bp = Blueprint("payments", __name__)


@bp.route("/invoices/<int:invoice_id>/payments", methods=["POST"])
@login_required
def create(invoice_id: int):
    invoice = org_get_or_404(Invoice, invoice_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{field}: {'; '.join(errors)}", "error")
        return redirect(url_for("invoices.show", invoice_id=invoice.id))
    try:
        payment = record_payment(invoice, form.amount.data, form.date.data, source="host",
                                 reference=form.reference.data or "", recorded_by=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"Payment of {payment.amount} recorded; invoice {invoice.number} is "
              f"{invoice.status.replace('_', ' ')}.", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice.id))
