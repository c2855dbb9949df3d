"""Credit notes: issue one against an invoice (chosen lines or an amount), view it."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from host.extensions import db
from host.forms.invoices import CreditNoteForm
from host.models import CreditNote, Invoice
from host.security.permissions import org_get_or_404
from host.services.credit_notes import issue_credit_note
from host.services.errors import DomainError

bp = Blueprint("credit_notes", __name__)


@bp.route("/invoices/<int:invoice_id>/credit-notes/new", methods=["GET", "POST"])
@login_required
def new(invoice_id: int):
    invoice = org_get_or_404(Invoice, invoice_id)
    form = CreditNoteForm()
    if form.validate_on_submit():
        try:
            if form.mode.data == "amount":
                if form.amount.data is None:
                    raise DomainError("Enter the amount to credit.")
                note = issue_credit_note(invoice, amount=form.amount.data,
                                         reason=form.reason.data or "")
            else:
                lines = [
                    {"invoice_line_id": line.id, "quantity": request.form.get(f"credit-{line.id}")}
                    for line in invoice.lines
                    if request.form.get(f"credit-{line.id}", "").strip() not in ("", "0")
                ]
                note = issue_credit_note(invoice, lines, reason=form.reason.data or "")
        except DomainError as exc:
            db.session.rollback()
            if exc.field == "amount":
                form.amount.errors = [*form.amount.errors, exc.message]
            else:
                flash(exc.message, "error")
        else:
            flash(f"Credit note {note.number} issued for {note.total}.", "success")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
    status = 422 if request.method == "POST" else 200  # here after a POST: it was refused
    return render_template("invoices/credit_note_new.html", invoice=invoice, form=form), status


@bp.route("/credit-notes/<int:credit_note_id>")
@login_required
def show(credit_note_id: int):
    note = org_get_or_404(CreditNote, credit_note_id)
    return render_template("invoices/credit_note.html", note=note, invoice=note.invoice)
