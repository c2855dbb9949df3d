"""Settings > Integrations: provider tiles per business unit, setup wizard, Manage page, and
the read-only page of an ended connection (at its old Manage address).

Every page is admin-only; another organization's business unit or connection is a 404.
Pages are generic: they are rendered from the provider's ``ProviderInfo`` (label, logo,
settings form, mapping kinds) and the plugin's hooks, so a plugin ships no views.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from host.contract.errors import AuthError, HookTimeout, PluginFailure, ProviderError
from host.contract.types import Check, TestResult
from host.extensions import db
from host.forms.integrations import ActionForm
from host.integrations import connections as lifecycle
from host.integrations import pages
from host.integrations.dispatch import build_settings_form, call_owner
from host.integrations.handle import handle_for
from host.integrations.registry import get_registry
from host.models import BusinessUnit, Connection
from host.models.connection import ACTIVE_STATUSES, ENDED_STATUSES
from host.security.permissions import admin_required, org_get_or_404

bp = Blueprint("integrations", __name__, url_prefix="/settings/integrations")


def active_connection_or_404(connection_id: int, active: bool = True) -> Connection:
    """The organization's connection ``connection_id`` (active unless ``active=False``) whose
    provider is installed; else 404."""
    conn = org_get_or_404(Connection, connection_id)
    if active and conn.status not in ACTIVE_STATUSES:
        abort(404)
    if conn.provider_key not in get_registry():
        abort(404)
    return conn


@bp.get("")
@admin_required
def index():
    units = db.session.scalars(
        db.select(BusinessUnit).where(BusinessUnit.organization_id == current_user.organization_id)
        .order_by(BusinessUnit.name)
    ).all()
    selected = None
    wanted = request.args.get("business_unit", type=int)
    if wanted is not None:
        selected = org_get_or_404(BusinessUnit, wanted)
    elif units:
        selected = units[0]
    tiles = pages.tiles_for(selected) if selected else []
    previous = pages.previous_connections(selected) if selected else []
    return render_template("integrations/index.html", units=units, selected=selected,
                           tiles=tiles, previous=previous, form=ActionForm(), tab="integrations",
                           confirm=request.args.get("confirm"))


def _test(conn: Connection, settings: dict, write_check: bool) -> TestResult:
    """Run the plugin's ``test_connection``; whatever goes wrong is a failed check, never a
    broken page (a plugin fault and a timeout name the plugin)."""
    handle = handle_for(conn, settings=settings)
    try:
        return call_owner(handle, "test_connection", write_check=write_check)
    except AuthError as exc:
        return TestResult(checks=(Check("Credentials", "fail", exc.message, fix=exc.fix),))
    except ProviderError as exc:
        return TestResult(checks=(Check(exc.category.replace("_", " ").capitalize(), "fail",
                                        exc.message, fix=exc.fix),))
    except HookTimeout as exc:
        return TestResult(checks=(Check("Response time", "fail", exc.message, fix=exc.fix),))
    except PluginFailure as exc:
        return TestResult(checks=(Check("Plugin", "fail", exc.message, fix=exc.fix),))
    finally:
        handle.close()


def _settings_form(conn: Connection, info, formdata):
    """The plugin's settings form and the handle it holds, or ``(None, None)`` with the reason
    flashed when the provider or the plugin fails (the page renders without the form)."""
    handle = handle_for(conn)
    try:
        return build_settings_form(info, handle, formdata), handle
    except (ProviderError, PluginFailure) as exc:
        handle.close()
        flash(f"{info.label} could not be asked for the settings choices: {exc.message}", "error")
        return None, None


@bp.route("/connections/<int:connection_id>/setup", methods=["GET", "POST"])
@admin_required
def setup(connection_id: int):
    """The setup wizard's "Test connection" step: settings form, Test, Save & finish."""
    conn = active_connection_or_404(connection_id)
    info = get_registry()[conn.provider_key]
    form, handle = _settings_form(conn, info, request.form if request.method == "POST" else None)
    result = None
    try:
        if form is not None and request.method == "POST" and form.validate():
            data = form.settings_data()
            if request.form.get("action") == "finish":
                conn.settings = {**(conn.settings or {}), **data}
                conn.setup_complete = True
                db.session.commit()
                flash(f"{conn.business_unit.name} is connected to {info.label}.", "success")
                return redirect(url_for("integrations.index", business_unit=conn.business_unit_id))
            result = _test(conn, {**(conn.settings or {}), **data},
                           bool(request.form.get("write_check")))
            if result.ok:  # a passing Test completes the setup with the settings tested
                conn.settings = {**(conn.settings or {}), **data}
                conn.setup_complete = True
                db.session.commit()
        return render_template("integrations/setup.html", conn=conn, info=info, form=form,
                               result=result, tab="integrations")
    finally:
        if handle is not None:
            handle.close()


@bp.route("/connections/<int:connection_id>", methods=["GET", "POST"])
@admin_required
def manage(connection_id: int):
    """Manage: settings (save / test), mapping tables, links to the reconciliation pass.
    An ended connection (disconnected, or replaced by another provider) answers with its
    read-only page instead: its sync records, provider numbers and links, and history."""
    ended = org_get_or_404(Connection, connection_id)
    if ended.status in ENDED_STATUSES:
        if request.method != "GET":
            abort(404)
        return _previous(ended)
    conn = active_connection_or_404(connection_id)
    info = get_registry()[conn.provider_key]
    form, handle = _settings_form(conn, info, request.form if request.method == "POST" else None)
    result = None
    try:
        if form is not None and request.method == "POST" and form.validate():
            data = form.settings_data()
            if request.form.get("action") == "test":
                result = _test(conn, {**(conn.settings or {}), **data},
                               bool(request.form.get("write_check")))
            else:
                conn.settings = {**(conn.settings or {}), **data}
                db.session.commit()
                flash("Settings saved.", "success")
                return redirect(url_for("integrations.manage", connection_id=conn.id))
        elif form is None and request.method == "POST" and request.form.get("action") == "test":
            # the plugin could not build its form: Test still runs, with the saved settings
            if not ActionForm().validate_on_submit():
                abort(400)
            result = _test(conn, dict(conn.settings or {}), bool(request.form.get("write_check")))
        return _render_manage(conn, info, form, handle, result)
    finally:
        if handle is not None:
            handle.close()


def _render_manage(conn: Connection, info, form, handle, result=None, what_syncs_posted=None,
                   status: int = 200):
    from host.integrations import what_syncs

    mapping_tables = pages.mapping_tables(conn, info, handle or conn)
    return render_template("integrations/manage.html", conn=conn, info=info, form=form,
                           result=result, mapping_tables=mapping_tables,
                           action_form=ActionForm(), tab="integrations",
                           what_syncs=what_syncs.cards(conn, info.label, what_syncs_posted),
                           today_iso=date.today().isoformat(),
                           sync_overview="sync.overview" in current_app.view_functions), status


def manage_page(conn: Connection, *, what_syncs_posted=None, status: int = 200):
    """The Manage page of an active connection as a GET shows it; ``what_syncs_posted`` maps
    an object to the refused values and error of its "What syncs" card (answered with
    ``status``, 422), so what the admin typed is shown again."""
    info = get_registry()[conn.provider_key]
    form, handle = _settings_form(conn, info, None)
    try:
        return _render_manage(conn, info, form, handle, what_syncs_posted=what_syncs_posted,
                              status=status)
    finally:
        if handle is not None:
            handle.close()


def _previous(conn: Connection):
    from host.models import SyncRecord
    from host.sync.status import record_labels

    records = db.session.scalars(db.select(SyncRecord).where(
        SyncRecord.connection_id == conn.id).order_by(SyncRecord.id.desc()).limit(500)).all()
    return render_template("integrations/previous.html", conn=conn, records=records,
                           labels=record_labels(records), tab="integrations")


@bp.post("/connections/<int:connection_id>/mappings/<kind>")
@admin_required
def save_mappings(connection_id: int, kind: str):
    conn = active_connection_or_404(connection_id)
    info = get_registry()[conn.provider_key]
    if kind not in {k.key for k in info.mapping_kinds} or not ActionForm().validate_on_submit():
        abort(400)
    mkind = next(k for k in info.mapping_kinds if k.key == kind)
    handle = handle_for(conn)
    try:
        labels = pages.mapping_choice_labels(handle, kind)
    finally:
        handle.close()
    changes = pages.save_mapping_form(conn, kind, request.form, current_user.id, labels)
    flash(f"{mkind.label}: {'; '.join(changes) if changes else 'no changes'}.", "success")
    return redirect(url_for("integrations.manage", connection_id=conn.id) + f"#mapping-{kind}")


@bp.route("/connections/<int:connection_id>/reconciliation", methods=["GET", "POST"])
@admin_required
def reconciliation(connection_id: int):
    """The reconciliation pass: how clients and service types would match, before auto-push."""
    conn = active_connection_or_404(connection_id)
    info = get_registry()[conn.provider_key]
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        from host.blueprints.sync_controls import switched_auto_push

        was_on = conn.auto_push
        pages.save_reconciliation(conn, info, request.form, current_user.id)
        flash("Reconciliation choices saved.", "success")
        held = switched_auto_push(conn, request.form.get("auto_push") == "1")
        if held and conn.auto_push and not was_on:
            # the offer to push what was held is on the Manage page
            return redirect(url_for("integrations.manage", connection_id=conn.id)
                            + "#sync-controls")
        return redirect(url_for("integrations.reconciliation", connection_id=conn.id))
    previews, error = pages.previews(conn)
    return render_template("integrations/reconciliation.html", conn=conn, info=info, form=form,
                           previews=previews, error=error, tab="integrations")


@bp.post("/connections/<int:connection_id>/reconcile")
@admin_required
def reconcile_now(connection_id: int):
    """"Reconcile now": queue one reconciliation pass (what webhooks missed) for the worker."""
    from host.sync.queue import task

    conn = active_connection_or_404(connection_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if conn.status != "connected":
        flash("Reconnect first: a connection that needs reauthorization cannot reconcile.",
              "error")
    elif conn.is_paused:
        from host.sync.pause import RECONCILE_SKIPPED

        flash(RECONCILE_SKIPPED, "error")
    else:
        task("reconcile_connection")(conn.id)
        flash("Reconciliation queued: payments and invoice changes made in "
              f"{get_registry()[conn.provider_key].label} will show here and on the invoices "
              "in a moment.", "success")
    return redirect(url_for("integrations.manage", connection_id=conn.id))


@bp.post("/connections/<int:connection_id>/disconnect")
@admin_required
def disconnect(connection_id: int):
    conn = active_connection_or_404(connection_id)
    info = get_registry()[conn.provider_key]
    if not ActionForm().validate_on_submit():
        abort(400)
    confirmed = lifecycle.disconnect(conn)
    note = "" if confirmed else f" {info.label} could not be told; remove the app there too."
    flash(f"{conn.business_unit.name} is disconnected from {info.label}. Data on both sides "
          f"was left as it is.{note}", "success")
    return redirect(url_for("integrations.index", business_unit=conn.business_unit_id))
