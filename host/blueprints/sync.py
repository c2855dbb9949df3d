"""Sync pages: an invoice's or credit note's sync panel (polled live), Retry / Push, and a
connection's sync overview with bulk retry (linked from the integration's Manage page).

Also registers the sync subsystem on the app (``host.sync.init_app``: queue, jobs, outbox) and
the template globals ``sync_records_for`` / ``sync_status_for`` / ``sync_panel_url`` /
``sync_record_labels`` / ``sync_record_page_url``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from host.extensions import db
from host.models.connection import Connection
from host.models.sync_record import SyncRecord
from host.security.permissions import admin_required, org_get_or_404
from host.security.redirects import redirect_back
from host.sync import hold, outbox, status

bp = Blueprint("sync", __name__)

ATTENTION = ("failed", "waiting_reauth", "pending", "in_progress", "excluded", "held")


@bp.record_once
def _setup(state) -> None:
    from host.sync import init_app

    init_app(state.app)
    state.app.jinja_env.globals.update(
        sync_records_for=status.sync_records_for,
        sync_status_for=status.sync_status_for,
        sync_unsynced_reason=status.unsynced_reason,
        sync_record_labels=status.record_labels,
        sync_record_page_url=status.record_page_url,
        sync_panel_url=panel_url,
    )


def _invoice(invoice_id: int):
    from host.models import Invoice

    return org_get_or_404(Invoice, invoice_id)


def _record(record_id: int) -> SyncRecord:
    record = db.session.get(SyncRecord, record_id)
    if record is None or record.connection.business_unit.organization_id != \
            current_user.organization_id:
        abort(404)
    return record


def _back(default: str):
    return redirect_back(default, request.form.get("next"), request.referrer)


@bp.get("/invoices/<int:invoice_id>/sync")
@login_required
def invoice_panel(invoice_id: int):
    """The panel's inner HTML (polled by app.js through ``data-poll-url``)."""
    return render_template("sync/_panel_body.html", invoice=_invoice(invoice_id))


@bp.get("/credit-notes/<int:credit_note_id>/sync")
@login_required
def credit_note_panel(credit_note_id: int):
    """A credit note's panel body: the same partial as the invoice's."""
    from host.models import CreditNote

    return render_template("sync/_panel_body.html",
                           document=org_get_or_404(CreditNote, credit_note_id))


def panel_url(document) -> str:
    """Where the panel of an invoice or credit note polls its body."""
    if type(document).__name__ == "CreditNote":
        return url_for("sync.credit_note_panel", credit_note_id=document.id)
    return url_for("sync.invoice_panel", invoice_id=document.id)


def _record_panel(record: SyncRecord) -> str:
    if record.object_type in ("client", "service_type"):  # two-way sync's pushes
        return status.record_page_url(record)
    if record.object_type == "credit_note":
        return url_for("sync.credit_note_panel", credit_note_id=record.object_id)
    if record.object_type == "payment":
        from host.models import Payment

        return url_for("sync.invoice_panel",
                       invoice_id=db.session.get(Payment, record.object_id).invoice_id)
    return url_for("sync.invoice_panel", invoice_id=record.object_id)


@bp.post("/sync/records/<int:record_id>/retry")
@login_required
def retry(record_id: int):
    record = _record(record_id)
    if record.status not in ("failed", "waiting_reauth"):
        flash("This record is not waiting for a retry.", "info")
    else:
        outbox.retry(record, actor=current_user.email)
        db.session.commit()
        flash("Sending again.", "success")
    return _back(_record_panel(record))


@bp.post("/sync/records/<int:record_id>/push")
@admin_required
def push(record_id: int):
    record = _record(record_id)
    if record.status == "held":
        pushed = hold.push_held(record, actor=current_user.email)
        db.session.commit()
        flash("Pushing to the provider" + (" (with its invoice, also held)" if len(pushed) > 1
                                           else "") + ("; it goes when sync resumes."
                                                       if record.connection.is_paused else "."),
              "success")
    elif record.status != "excluded":
        flash("Only records that were not synced can be pushed.", "info")
    else:
        outbox.push(record, actor=current_user.email)
        db.session.commit()
        flash("Pushing to the provider.", "success")
    return _back(_record_panel(record))


@bp.post("/invoices/<int:invoice_id>/sync/push")
@admin_required
def push_invoice(invoice_id: int):
    """Push an invoice that has no record at the active connection (sent before it)."""
    invoice = _invoice(invoice_id)
    reason = status.unsynced_reason(invoice)
    if reason is None:
        abort(400)
    connection = reason["connection"]
    record = outbox.find_record(connection.id, "invoice", invoice.id)
    if record is None:
        outbox.queue_record(connection, "invoice", invoice, f"Pushed by {current_user.email}.")
    elif record.status == "excluded":
        outbox.push(record, actor=current_user.email)
    db.session.commit()
    flash("Pushing to the provider.", "success")
    return _back(url_for("sync.invoice_panel", invoice_id=invoice.id))


def _connection(connection_id: int) -> Connection:
    connection = db.session.get(Connection, connection_id)
    if connection is None or connection.business_unit.organization_id != \
            current_user.organization_id:
        abort(404)
    return connection


@bp.get("/settings/integrations/<int:connection_id>/sync")
@admin_required
def overview(connection_id: int):
    connection = _connection(connection_id)
    if connection.is_active and outbox.exclude_earlier_invoices(connection):
        db.session.commit()
    show = request.args.get("status") or "attention"
    query = sa.select(SyncRecord).where(SyncRecord.connection_id == connection.id)
    if show == "attention":
        query = query.where(SyncRecord.status.in_(ATTENTION))
    elif show != "all":
        query = query.where(SyncRecord.status == show)
    records = db.session.scalars(query.order_by(SyncRecord.id.desc()).limit(500)).all()
    counts = dict(db.session.execute(
        sa.select(SyncRecord.status, sa.func.count()).where(
            SyncRecord.connection_id == connection.id).group_by(SyncRecord.status)).all())
    return render_template("sync/overview.html", connection=connection, records=records,
                           counts=counts, show=show, labels=status.record_labels(records))


@bp.post("/settings/integrations/<int:connection_id>/sync/retry")
@admin_required
def bulk_retry(connection_id: int):
    connection = _connection(connection_id)
    ids = [int(v) for v in request.form.getlist("record_id") if v.isdigit()]
    query = sa.select(SyncRecord).where(
        SyncRecord.connection_id == connection.id,
        SyncRecord.status.in_(("failed", "waiting_reauth")))
    if ids:
        query = query.where(SyncRecord.id.in_(ids))
    records = db.session.scalars(query).all()
    for record in records:
        outbox.retry(record, actor=current_user.email)
    db.session.commit()
    flash(f"Retrying {len(records)} record(s).", "success")
    return redirect(url_for("sync.overview", connection_id=connection.id))

