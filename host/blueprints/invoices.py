"""Invoices: list, create from a project's contract lines, view, edit, approve, send, void."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from host.extensions import db
from host.forms.common import ActionForm, choices
from host.forms.invoices import CreditNoteForm, EditInvoiceForm, NewInvoiceForm, PaymentForm
from host.models import CreditNote, Invoice, InvoiceLine, Project, TaxRate
from host.models.invoice import STATUSES
from host.security.permissions import org_get_or_404
from host.services import invoicing, validation
from host.services.errors import DomainError, InvalidField
from host.services.queries import org_get, org_rows

bp = Blueprint("invoices", __name__, url_prefix="/invoices")

PAGE_SIZE = 50

#: Everything a list of invoices shows, loaded in a fixed number of queries (no N+1).
LIST_LOADS = (
    selectinload(Invoice.lines).selectinload(InvoiceLine.tax_rate),
    selectinload(Invoice.client),
    selectinload(Invoice.payments),
    selectinload(Invoice.credit_notes).selectinload(CreditNote.lines),
)


@bp.route("/")
@login_required
def index():
    status = request.args.get("status", "")
    stmt = (
        sa.select(Invoice)
        .where(Invoice.organization_id == current_user.organization_id)
        .options(*LIST_LOADS)
        .order_by(Invoice.sequence.desc())
    )
    if status in STATUSES:
        stmt = stmt.where(Invoice.status == status)
    try:
        page = validation.integer(request.args.get("page", 1), "page", minimum=1,
                                  maximum=validation.ID_MAX // PAGE_SIZE)
    except InvalidField:
        abort(400)
    rows = db.session.execute(
        stmt.limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)).scalars().all()
    return render_template("invoices/index.html", invoices=rows[:PAGE_SIZE], status=status,
                           statuses=STATUSES, page=page, has_more=len(rows) > PAGE_SIZE)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    org_id = current_user.organization_id
    projects = org_rows(Project, org_id, Project.name, active_only=True)
    form = NewInvoiceForm()
    form.project_id.choices = choices(projects, label=lambda p: f"{p.name} — {p.client.name}")
    if request.method == "GET":
        form.issue_date.data = date.today()
        form.project_id.data = request.args.get("project_id", type=int) or (
            projects[0].id if projects else None)
    project = org_get(Project, org_id, form.project_id.data) if form.project_id.data else None
    if form.validate_on_submit():
        if project is None:
            abort(400)
        quantities = {
            cl.id: request.form.get(f"qty-{cl.id}", "") for cl in project.contract_lines
        }
        try:
            invoice = invoicing.create_invoice_from_project(
                project, quantities, issue_date=form.issue_date.data,
                service_date=form.service_date.data, memo=form.memo.data or "",
                created_by=current_user,
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            flash(f"Draft invoice {invoice.number} created.", "success")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
    return render_template("invoices/new.html", form=form, project=project, projects=projects)


@bp.route("/<int:invoice_id>")
@login_required
def show(invoice_id: int):
    return render_show(org_get_or_404(Invoice, invoice_id))


def render_show(invoice: Invoice, payment_form: PaymentForm | None = None, status: int = 200):
    """The invoice page; ``payment_form`` bound to a refused post shows its errors and what
    was typed."""
    if payment_form is None:
        payment_form = PaymentForm(formdata=None, date=date.today(), amount=invoice.balance)
    return render_template(
        "invoices/show.html", invoice=invoice, action_form=ActionForm(),
        payment_form=payment_form, credit_form=CreditNoteForm(formdata=None),
    ), status


@bp.route("/<int:invoice_id>/edit", methods=["GET", "POST"])
@login_required
def edit(invoice_id: int):
    invoice = org_get_or_404(Invoice, invoice_id)
    form = EditInvoiceForm(obj=invoice)
    tax_rates = org_rows(TaxRate, current_user.organization_id, TaxRate.name)
    if form.validate_on_submit():
        lines = [data for data in map(_line_from_form, invoice.lines) if not data.get("_remove")]
        added = _new_line_from_form()
        if added:
            lines.append(added)
        try:
            invoicing.update_invoice(invoice, lines, memo=form.memo.data or "",
                                     issue_date=form.issue_date.data)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            note = " Send it again to update the accounting system." if invoice.status == "sent" else ""
            flash(f"Invoice {invoice.number} saved.{note}", "success")
            return redirect(url_for("invoices.show", invoice_id=invoice.id))
    return render_template("invoices/edit.html", invoice=invoice, form=form, tax_rates=tax_rates)


def _line_from_form(line) -> dict:
    key = line.id
    form = request.form
    if form.get(f"remove-{key}"):
        return {"quantity": "0", "_remove": True}
    return {
        "contract_line_id": line.contract_line_id,
        "service_type_id": line.service_type_id,
        "gl_account_id": line.gl_account_id,
        "class_label": line.class_label,
        "service_date": line.service_date,
        "description": form.get(f"description-{key}", line.description),
        "quantity": form.get(f"quantity-{key}", line.quantity),
        "unit_price": form.get(f"unit_price-{key}", line.unit_price),
        "discount_percent": form.get(f"discount-{key}", line.discount_percent) or 0,
        "tax_rate_id": form.get(f"tax_rate-{key}", line.tax_rate_id) or None,
    }


def _new_line_from_form() -> dict | None:
    """The optional extra line of the edit form: a contract line, or a free line with a price."""
    form = request.form
    quantity = form.get("new-quantity", "").strip()
    contract_line = form.get("new-contract_line", "").strip()
    unit_price = form.get("new-unit_price", "").strip()
    if not quantity or not (contract_line or unit_price):
        return None
    data = {"quantity": quantity, "description": form.get("new-description", "").strip()}
    if contract_line:
        data["contract_line_id"] = contract_line
    if unit_price:
        data["unit_price"] = unit_price
    return data


@bp.route("/<int:invoice_id>/<any(approve, send, void):action>", methods=["POST"])
@login_required
def transition(invoice_id: int, action: str):
    invoice = org_get_or_404(Invoice, invoice_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service = {"approve": invoicing.approve, "send": invoicing.send_invoice,
               "void": invoicing.void_invoice}[action]
    try:
        service(invoice)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        done = {"approve": "approved", "send": "sent", "void": "voided"}[action]
        flash(f"Invoice {invoice.number} {done}.", "success")
    return redirect(url_for("invoices.show", invoice_id=invoice.id))
