"""Record a payment typed by a user on the invoice page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user, login_required

from host.blueprints.invoices import render_show
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
    """Recorded: back to the invoice. Refused: the invoice page again, with the field's error
    and what was typed (422)."""
    invoice = org_get_or_404(Invoice, invoice_id)
    form = PaymentForm()
    if not form.validate_on_submit():
        return render_show(invoice, form, 422)
    try:
        payment = record_payment(invoice, form.amount.data, form.date.data, source="host",
                                 reference=form.reference.data or "", recorded_by=current_user)
    except DomainError as exc:
        db.session.rollback()
        field = getattr(form, exc.field, None) if exc.field else None
        if field is not None:
            field.errors = [*field.errors, exc.message]
        else:
            flash(exc.message, "error")
        return render_show(invoice, form, 422)
    flash(f"Payment of {payment.amount} recorded; invoice {invoice.number} is "
          f"{invoice.status.replace('_', ' ')}.", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice.id))
