"""Settings shell (admin only): the index, invoice settings, service types and tax rates.

Settings > Integrations belongs to the integrations blueprint; Settings > Financials > GL
Accounts to ``gl_accounts``. Every page includes ``settings/_tabs.html``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from host import events
from host.extensions import db
from host.forms.common import choices
from host.forms.settings import InvoiceSettingsForm, ServiceTypeForm, TaxRateForm
from host.models import GLAccount, ServiceType, TaxRate
from host.security.permissions import admin_required, org_get_or_404
from host.services.queries import org_get, org_rows

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.app_template_global()
def has_endpoint(name: str) -> bool:
    """Whether a route exists (the settings tabs link to optional areas)."""
    return name in current_app.view_functions


@bp.route("/")
@admin_required
def index():
    if "integrations.index" in current_app.view_functions:
        return redirect(url_for("integrations.index"))
    return redirect(url_for("gl_accounts.index"))


@bp.route("/invoices", methods=["GET", "POST"])
@admin_required
def invoice_settings():
    org = current_user.organization
    form = InvoiceSettingsForm(obj=org)
    if form.validate_on_submit():
        org.default_due_days = form.default_due_days.data
        db.session.commit()
        flash(f"Invoices are now due {org.default_due_days} days after issue "
              "unless a project says otherwise.", "success")
        return redirect(url_for("settings.invoice_settings"))
    return render_template("settings/invoice_settings.html", form=form, tab="invoice_settings")


# -- service types ---------------------------------------------------------------------------

@bp.route("/service-types")
@admin_required
def service_types():
    rows = org_rows(ServiceType, current_user.organization_id, ServiceType.name)
    return render_template("settings/service_types.html", rows=rows, tab="service_types")


@bp.route("/service-types/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route("/service-types/<int:row_id>/edit", methods=["GET", "POST"])
@admin_required
def service_type_form(row_id: int | None):
    row = org_get_or_404(ServiceType, row_id) if row_id else None
    form = ServiceTypeForm(obj=row)
    form.default_gl_account_id.choices = choices(
        org_rows(GLAccount, current_user.organization_id, GLAccount.code, active_only=True),
        label=lambda a: a.label, blank="(none)")
    if form.validate_on_submit():
        row = row or ServiceType(organization_id=current_user.organization_id)
        row.name = form.name.data.strip()
        row.sku = (form.sku.data or "").strip()
        row.default_gl_account = org_get(
            GLAccount, current_user.organization_id, form.default_gl_account_id.data)
        row.unit_price = form.unit_price.data
        row.description = form.description.data or ""
        row.active = bool(form.active.data)
        if _commit(form.name, "A service type with this name exists.", row,
                   saved=events.service_type_saved):
            flash(f"Service type {row.name} saved.", "success")
            return redirect(url_for("settings.service_types"))
    if row is not None and not form.is_submitted():
        form.default_gl_account_id.data = row.default_gl_account_id or 0
    return render_template("settings/simple_form.html", form=form, tab="service_types",
                           title="Service type", back=url_for("settings.service_types")), \
        422 if form.is_submitted() else 200  # after a POST: refused, errors and input shown


# -- tax rates -------------------------------------------------------------------------------

@bp.route("/tax-rates")
@admin_required
def tax_rates():
    rows = org_rows(TaxRate, current_user.organization_id, TaxRate.name)
    return render_template("settings/tax_rates.html", rows=rows, tab="tax_rates")


@bp.route("/tax-rates/new", methods=["GET", "POST"], defaults={"row_id": None})
@bp.route("/tax-rates/<int:row_id>/edit", methods=["GET", "POST"])
@admin_required
def tax_rate_form(row_id: int | None):
    row = org_get_or_404(TaxRate, row_id) if row_id else None
    form = TaxRateForm(obj=row)
    if form.validate_on_submit():
        row = row or TaxRate(organization_id=current_user.organization_id)
        row.name = form.name.data.strip()
        row.rate = form.rate.data
        row.active = bool(form.active.data)
        if _commit(form.name, "A tax rate with this name exists.", row):
            flash(f"Tax rate {row.name} saved.", "success")
            return redirect(url_for("settings.tax_rates"))
    return render_template("settings/simple_form.html", form=form, tab="tax_rates",
                           title="Tax rate", back=url_for("settings.tax_rates"))


def _commit(field, message: str, row, saved=None) -> bool:
    """Commit ``row``; a name taken by another row is the field's error. ``saved``: the domain
    event sent (``created=...``) in the same transaction (the sync outbox listens)."""
    created = row.id is None
    db.session.add(row)
    try:
        if saved is not None:
            db.session.flush()
            saved.send(row, created=created)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        field.errors.append(message)
        return False
    return True
