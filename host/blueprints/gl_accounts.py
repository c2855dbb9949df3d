"""Settings > Financials > GL Accounts (admin only): list, create, edit, deactivate."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from host.extensions import db
from host.forms.common import ActionForm
from host.forms.settings import GLAccountForm
from host.integrations import financial_defaults as defaults
from host.models import GLAccount
from host.security.permissions import admin_required, org_get_or_404
from host.services.queries import org_rows

bp = Blueprint("gl_accounts", __name__, url_prefix="/settings/financials/gl-accounts")


@bp.route("/")
@admin_required
def index():
    accounts = org_rows(GLAccount, current_user.organization_id, GLAccount.code)
    panels = [defaults.panel(conn, info)
              for conn, info in defaults.connections_for(current_user.organization_id)]
    return render_template("settings/gl_accounts.html", accounts=accounts, panels=panels,
                           action_form=ActionForm(), tab="gl_accounts")


@bp.post("/connections/<int:connection_id>/defaults")
@admin_required
def save_defaults(connection_id: int):
    """Save the provider defaults (``ProviderInfo.financial_settings``) of one connection."""
    wanted = {conn.id: (conn, info)
              for conn, info in defaults.connections_for(current_user.organization_id)}
    if connection_id not in wanted:
        abort(404)
    conn, info = wanted[connection_id]
    panel = defaults.panel(conn, info, request.form)
    if panel.form is not None and ActionForm().validate_on_submit() and defaults.save(panel):
        flash(f"{info.label} defaults of {conn.business_unit.name} saved.", "success")
        return redirect(url_for("gl_accounts.index"))
    if panel.error:
        flash(f"{info.label} could not be asked for the choices: {panel.error}", "error")
    accounts = org_rows(GLAccount, current_user.organization_id, GLAccount.code)
    panels = [panel if c.id == conn.id else defaults.panel(c, i)
              for c, i in defaults.connections_for(current_user.organization_id)]
    return render_template("settings/gl_accounts.html", accounts=accounts, panels=panels,
                           action_form=ActionForm(), tab="gl_accounts"), 400


@bp.route("/new", methods=["GET", "POST"])
@admin_required
def new():
    form = GLAccountForm()
    if form.validate_on_submit():
        account = GLAccount(organization_id=current_user.organization_id)
        if _save(form, account):
            flash(f"GL account {account.code} created.", "success")
            return redirect(url_for("gl_accounts.index"))
    return render_template("settings/gl_account_form.html", form=form, account=None,
                           tab="gl_accounts")


@bp.route("/<int:account_id>/edit", methods=["GET", "POST"])
@admin_required
def edit(account_id: int):
    account = org_get_or_404(GLAccount, account_id)
    form = GLAccountForm(obj=account)
    if form.validate_on_submit() and _save(form, account):
        flash(f"GL account {account.code} saved.", "success")
        return redirect(url_for("gl_accounts.index"))
    return render_template("settings/gl_account_form.html", form=form, account=account,
                           tab="gl_accounts")


@bp.route("/<int:account_id>/<any(deactivate, activate):action>", methods=["POST"])
@admin_required
def toggle(account_id: int, action: str):
    account = org_get_or_404(GLAccount, account_id)
    if ActionForm().validate_on_submit():
        account.active = action == "activate"
        db.session.commit()
        flash(f"GL account {account.code} {action}d.", "success")
    return redirect(url_for("gl_accounts.index"))


def _save(form: GLAccountForm, account: GLAccount) -> bool:
    account.code = form.code.data.strip()
    account.name = form.name.data.strip()
    account.active = bool(form.active.data)
    db.session.add(account)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        form.code.errors.append("Another account has this code.")
        return False
    return True
