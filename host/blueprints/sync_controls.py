"""The Manage page's sync controls: automatic push on/off, pushing held records, pause/resume,
and the invoice page's "Push to <provider> now" (with or without emailing it).

Admin-only POSTs with a CSRF token (``ActionForm``); another organization's connection or
invoice is a 404. Nothing here calls the provider: pushing only enqueues, resuming queues one
job.
The Manage page renders ``integrations/_sync_controls.html`` from the Jinja global
``sync_controls_for(connection)``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_login import current_user

from host.forms.integrations import ActionForm
from host.models.connection import ACTIVE_STATUSES, Connection
from host.security.permissions import admin_required, org_get_or_404
from host.sync import hold, pause

bp = Blueprint("sync_controls", __name__, url_prefix="/settings/integrations/connections")

HELD_LIST_LIMIT = 50


@bp.record_once
def _setup(state) -> None:
    state.app.jinja_env.globals.update(sync_controls_for=sync_controls_for,
                                       sync_paused_connection=paused_connection_of,
                                       push_now_connection=push_now_connection_of,
                                       sync_reconcile_skipped=pause.RECONCILE_SKIPPED)


def sync_controls_for(connection: Connection) -> dict:
    """What the Manage page's sync card shows: held records (labelled) and their count."""
    from host.sync.status import record_labels

    held = hold.held_records(connection.id, limit=HELD_LIST_LIMIT)
    return {"held": held, "held_count": hold.held_count(connection.id),
            "labels": record_labels(held)}


def paused_connection_of(obj) -> Connection | None:
    """The paused active connection of ``obj``'s business unit (an invoice, a credit note), or
    None: the sync panels show "Sync paused" with it."""
    from host.sync.outbox import active_connection

    bu_id = getattr(obj, "business_unit_id", None)
    if bu_id is None and getattr(obj, "invoice", None) is not None:
        bu_id = obj.invoice.business_unit_id
    connection = active_connection(bu_id) if bu_id is not None else None
    return connection if connection is not None and connection.is_paused else None


def push_now_connection_of(invoice) -> Connection | None:
    """The active connection "Push now" sends ``invoice`` to, or None when the invoice is not
    open or its business unit has no connection (the invoice page shows the buttons with it:
    ``url_for("sync_controls.push_invoice_now", connection_id=..., invoice_id=...)``, a form
    field ``email`` of ``"1"`` or ``"0"``)."""
    from host.sync.outbox import active_connection
    from host.sync.twoway.outbound import OPEN_STATUSES

    if invoice is None or invoice.status not in OPEN_STATUSES:
        return None
    return active_connection(invoice.business_unit_id)


def _connection(connection_id: int) -> Connection:
    conn = org_get_or_404(Connection, connection_id)
    if conn.status not in ACTIVE_STATUSES:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    return conn


def _manage(conn: Connection, anchor: str = "sync-controls"):
    return redirect(url_for("integrations.manage", connection_id=conn.id) + f"#{anchor}")


def switched_auto_push(conn: Connection, on: bool) -> int:
    """Store the switch and, when it changed, flash what it means; returns how many records
    are held (what switching on offers to push)."""
    changed = conn.auto_push != on
    held = hold.set_auto_push(conn, on)
    if changed and not on:
        flash("Automatic push is off: invoices, credit notes, payments, and the clients and "
              "service types two-way sync sends, are held until you push them.", "success")
    elif changed and held:
        flash(f"Automatic push is on. {held} record(s) held while it was off are still held: "
              "push them from the Manage page.", "success")
    elif changed:
        flash("Automatic push is on.", "success")
    return held


@bp.post("/<int:connection_id>/auto-push")
@admin_required
def auto_push(connection_id: int):
    conn = _connection(connection_id)
    switched_auto_push(conn, request.form.get("auto_push") == "1")
    return _manage(conn)


@bp.post("/<int:connection_id>/held/push")
@admin_required
def push_all_held(connection_id: int):
    conn = _connection(connection_id)
    count = hold.push_all_held(conn, current_user.email)
    suffix = " They go when sync resumes." if conn.is_paused else ""
    flash(f"Pushing {count} held record(s).{suffix}", "success")
    return _manage(conn)


@bp.post("/<int:connection_id>/pause")
@admin_required
def pause_sync(connection_id: int):
    conn = _connection(connection_id)
    pause.pause(conn, current_user.email)
    flash("Sync is paused: nothing is sent and nothing received is applied until you resume. "
          "Webhooks are still received and kept.", "success")
    return _manage(conn)


@bp.post("/<int:connection_id>/resume")
@admin_required
def resume_sync(connection_id: int):
    conn = _connection(connection_id)
    pause.resume(conn)
    flash("Sync resumed: what was received while paused is applied and what waited is sent.",
          "success")
    return _manage(conn)


@bp.post("/<int:connection_id>/invoices/<int:invoice_id>/push-now")
@admin_required
def push_invoice_now(connection_id: int, invoice_id: int):
    """Push an open invoice now: ``email=1`` has the provider email it, ``email=0`` not,
    whatever the connection's automatic settings (see
    :func:`host.sync.twoway.outbound.push_invoice_now`)."""
    from host.extensions import db
    from host.models import Invoice
    from host.sync.twoway import outbound

    conn = _connection(connection_id)
    invoice = org_get_or_404(Invoice, invoice_id)
    if invoice.business_unit_id != conn.business_unit_id:
        abort(404)
    choice = request.form.get("email")
    if choice not in ("0", "1"):
        abort(400, description="Say whether to email the invoice (email=1 or email=0).")
    back = redirect(url_for("invoices.show", invoice_id=invoice.id))
    try:
        outbound.push_invoice_now(invoice, email=choice == "1", user=current_user)
    except outbound.CannotPush as exc:
        db.session.rollback()
        flash(str(exc), "error")
        return back
    db.session.commit()
    how = "and email it to the customer" if choice == "1" else "without emailing it"
    from host.integrations.registry import get_registry

    registry = get_registry()
    label = registry[conn.provider_key].label if conn.provider_key in registry \
        else conn.provider_key
    suffix = " It goes when sync resumes." if conn.is_paused else ""
    flash(f"Invoice {invoice.number} is being pushed to {label} {how}.{suffix}", "success")
    return back
