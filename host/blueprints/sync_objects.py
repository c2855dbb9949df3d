"""Two-way sync pages: the Manage page's "What syncs" cards (save, import again, progress),
the sync overview's "From the ledger" tab (waiting, ambiguous and skipped records, Retry) and a
ledger record's history. (An invoice's "Push to <provider> now" posts to
``sync_controls.push_invoice_now``.)

Every route is admin-only; POSTs carry the CSRF token; another organization's connection,
record or invoice is a 404. Refused input re-renders the Manage page with a 422, the card
showing what was typed and why. Nothing here calls the provider except the card's field list
(``list_sync_fields``, as the page itself does) and Retry, which the admin asked for: imports
are queued for the worker (``host.sync.twoway.importer``).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from host.blueprints.integrations import active_connection_or_404, manage_page
from host.contract.records import SYNC_OBJECTS
from host.extensions import db
from host.forms.sync_objects import CardValues, SyncObjectForm, raw_values
from host.integrations import ledger_choices, what_syncs
from host.integrations.context import provider_label
from host.models import Connection, SyncLink
from host.models.sync_object import DIRECTIONS
from host.security.permissions import admin_required, org_get_or_404
from host.services import sync_settings, validation
from host.services.errors import InvalidField
from host.sync.twoway import importer, outbound
from host.sync.twoway import retry as twoway_retry
from host.sync.twoway.settings import setting_for

bp = Blueprint("sync_objects", __name__)
log = logging.getLogger(__name__)

MANAGE = "/settings/integrations/connections/<int:connection_id>"
#: The "From the ledger" tab's filters: the link statuses each shows.
LEDGER_TABS = {"attention": ("waiting", "ambiguous"), "waiting": ("waiting",),
               "ambiguous": ("ambiguous",), "skipped": ("skipped",), "linked": ("linked",)}
LEDGER_LIST_LIMIT = 500
OBJECT_LABELS = {"customer": "Customer", "item": "Product", "invoice": "Invoice"}


@bp.record_once
def _setup(state) -> None:
    state.app.jinja_env.globals.update(sync_object_labels=OBJECT_LABELS,
                                       what_syncs_field_labels=what_syncs.HOST_FIELD_LABELS,
                                       ledger_history_url=ledger_history_url)


def ledger_history_url(object: str, host_id: int, connection_id: int | None) -> str | None:
    """The history page of the ledger record linked to a host record (an imported invoice's
    "Created in" badge links there), or None when there is none."""
    if connection_id is None:
        return None
    link_id = db.session.scalars(sa.select(SyncLink.id).where(
        SyncLink.connection_id == connection_id, SyncLink.object == object,
        SyncLink.host_id == host_id).order_by(SyncLink.id.desc())).first()
    if link_id is None:
        return None
    return url_for("sync_objects.link_history", connection_id=connection_id, link_id=link_id)


def _card_url(conn: Connection, object: str) -> str:
    return url_for("integrations.manage", connection_id=conn.id) + f"#what-syncs-{object}"


def _posted_connection(connection_id: int, object: str) -> Connection:
    conn = active_connection_or_404(connection_id)
    if object not in SYNC_OBJECTS:
        abort(404)
    if not SyncObjectForm().validate_on_submit():
        abort(400)
    return conn


@bp.post(f"{MANAGE}/sync-objects/<object>")
@admin_required
def save(connection_id: int, object: str):
    """Save one card: direction, conflict policy, field choices, filters. Switching an
    inbound direction on queues the import; switching it off keeps links and cursor.
    Switching an outbound direction on queues what the provider does not have yet
    (``host.sync.twoway.outbound.export_existing``)."""
    conn = _posted_connection(connection_id, object)
    declared, _ = what_syncs.declared_fields(conn, object)
    predefined = None if declared is None else [
        f.host_field for f in declared if f.object == object and f.predefined]
    try:
        raw = raw_values(request.form, predefined)
    except InvalidField:
        abort(400)
    setting = setting_for(conn, object)
    directions = DIRECTIONS if what_syncs.offers_inbound(conn) else ("out", "off")
    try:
        clean = sync_settings.clean(
            object, raw, declared=declared, current_fields=setting.fields,
            customer_choices=[c for c, _ in what_syncs.customer_choices(conn)],
            directions=directions)
    except InvalidField as exc:
        stored = CardValues.of(setting)
        db.session.rollback()
        return manage_page(conn, what_syncs_posted={object: (CardValues.posted(raw, stored), exc)},
                           status=422)
    was_inbound, was_outbound = setting.inbound, setting.outbound
    changed = _changes(setting, clean, provider_label(conn.provider_key))
    setting.direction, setting.conflict = clean.direction, clean.conflict
    setting.fields, setting.filters = clean.fields, clean.filters
    if changed:
        setting.updated_by = current_user.email
        log.info("what syncs: %s changed %s of connection %s: %s", current_user.email, object,
                 conn.id, "; ".join(changed))
    db.session.commit()
    title = what_syncs.TITLES[object]
    if setting.inbound and not was_inbound:
        importer.start(setting)
        db.session.commit()
        changed.append("the import is queued")
    if setting.outbound and not was_outbound:
        sent = outbound.export_existing(setting)
        db.session.commit()
        if sent:
            changed.append(f"{sent} record(s) the provider does not have yet are queued for it")
    flash(f"{title}: {'; '.join(changed) if changed else 'no changes'}.", "success")
    return redirect(_card_url(conn, object))


def _changes(setting, clean: sync_settings.CleanSetting, label: str) -> list[str]:
    """What saving ``clean`` changes, in words (the flash message), with the provider's name
    (``label``) and the cards' own wording. What is stored before the first save (nothing)
    equals the same defaults spelled out, so saving an untouched card reports no changes."""
    out = []
    if setting.direction != clean.direction:
        words = dict(what_syncs.direction_choices(label))
        out.append(f"direction was {words[setting.direction]}, now {words[clean.direction]}")
    if setting.conflict != clean.conflict:
        out.append("when both sides changed: " + ("PSA data wins" if clean.conflict == "host"
                                                  else f"{label} data wins"))
    if _field_choices(setting.fields) != _field_choices(clean.fields):
        out.append("mapped fields changed")
    if _filters_set(setting.filters) != _filters_set(clean.filters):
        out.append("filters changed")
    return out


def _field_choices(fields: dict | None) -> tuple[list, list]:
    """Stored field choices as (fields switched off, added pairs); missing keys are empty."""
    fields = fields or {}
    return sorted(fields.get("off") or []), list(fields.get("extra") or [])


def _filters_set(filters: dict | None) -> dict:
    """The filters that filter: an empty value ("", [], False) filters nothing, as missing."""
    return {key: value for key, value in (filters or {}).items() if value}


@bp.post(f"{MANAGE}/sync-objects/<object>/import")
@admin_required
def import_again(connection_id: int, object: str):
    """"Import again": list the ledger from the beginning (records seen before are matched,
    not duplicated)."""
    conn = _posted_connection(connection_id, object)
    setting = setting_for(conn, object)
    if not setting.inbound:
        db.session.rollback()
        flash("Turn on a direction from the ledger first.", "error")
        return redirect(_card_url(conn, object))
    if conn.status != "connected":
        db.session.rollback()
        flash("Reconnect first: a connection that needs reauthorization cannot import.", "error")
        return redirect(_card_url(conn, object))
    setting.updated_by = current_user.email
    importer.start(setting, restart=True)
    db.session.commit()
    flash(f"{what_syncs.TITLES[object]}: the import starts again from the beginning.", "success")
    return redirect(_card_url(conn, object))


@bp.get(f"{MANAGE}/sync-objects/progress")
@admin_required
def progress(connection_id: int):
    """Every object's import progress as JSON (polled by app.js while an import runs)."""
    conn = active_connection_or_404(connection_id)
    return jsonify(what_syncs.progress_for(conn))


# -- the sync overview's "From the ledger" tab -------------------------------------------------

def _any_connection(connection_id: int) -> Connection:
    """The organization's connection, active or ended (the overview shows ended ones too)."""
    return org_get_or_404(Connection, connection_id)


def _link(connection_id: int, link_id: int) -> SyncLink:
    conn = _any_connection(connection_id)
    link = db.session.get(SyncLink, link_id)
    if link is None or link.connection_id != conn.id:
        abort(404)
    return link


@bp.get("/settings/integrations/<int:connection_id>/sync/ledger")
@admin_required
def ledger(connection_id: int):
    """Records from the ledger that wait (could not be mapped), are ambiguous (several host
    records match) or were skipped (a filter or rule excluded them)."""
    conn = _any_connection(connection_id)
    show = request.args.get("status") or "attention"
    if show not in LEDGER_TABS:
        abort(404)
    links = db.session.scalars(
        sa.select(SyncLink).where(SyncLink.connection_id == conn.id,
                                  SyncLink.status.in_(LEDGER_TABS[show]))
        .order_by(SyncLink.updated_at.desc(), SyncLink.id.desc()).limit(LEDGER_LIST_LIMIT)).all()
    counts = dict(db.session.execute(
        sa.select(SyncLink.status, sa.func.count()).where(SyncLink.connection_id == conn.id)
        .group_by(SyncLink.status)).all())
    return render_template("sync/ledger.html", connection=conn, links=links, counts=counts,
                           show=show, form=SyncObjectForm())


@bp.get("/settings/integrations/<int:connection_id>/sync/ledger/<int:link_id>")
@admin_required
def link_history(connection_id: int, link_id: int):
    """One ledger record: where it stands, and its history with what each sync overwrote."""
    link = _link(connection_id, link_id)
    return render_template("sync/link_history.html", connection=link.connection, link=link,
                           candidates=ledger_choices.candidates(link), form=SyncObjectForm())


@bp.post("/settings/integrations/<int:connection_id>/sync/ledger/<int:link_id>/choose")
@admin_required
def choose(connection_id: int, link_id: int):
    """An ambiguous customer: link it to the host client the admin chose among those it
    matches, and apply it again."""
    link = _link(connection_id, link_id)
    if not SyncObjectForm().validate_on_submit() or not link.connection.is_active:
        abort(400 if link.connection.is_active else 404)
    try:
        client_id = validation.object_id(request.form.get("client_id"), "client_id", status=400)
    except InvalidField:
        abort(400)
    client = next((c for c in ledger_choices.candidates(link) if c.id == client_id), None)
    if client is None:
        abort(400)
    outcome = ledger_choices.choose(link, client, current_user.id)
    name = link.label or link.external_id
    if outcome == "linked":
        flash(f"{name} is linked to the client {client.name}.", "success")
    else:
        flash(f"{name} is still {outcome}: {link.reason or 'see its history'}", "error")
    return redirect(url_for("sync_objects.link_history", connection_id=connection_id,
                            link_id=link.id))


@bp.post("/settings/integrations/<int:connection_id>/sync/ledger/<int:link_id>/retry")
@admin_required
def retry(connection_id: int, link_id: int):
    """Retry a waiting or ambiguous record: applied again from the record it waited with (the
    admin asked for it, so this runs now; a record kept without its payload is listed again by
    the worker)."""
    link = _link(connection_id, link_id)
    if not SyncObjectForm().validate_on_submit():
        abort(400)
    if not link.connection.is_active:
        abort(404)
    name = link.label or link.external_id
    if link.status not in twoway_retry.RETRYABLE:
        flash(f"{name} is not waiting for a retry.", "info")
    else:
        outcome = twoway_retry.retry(link)
        if outcome == "linked":
            flash(f"{name} is imported.", "success")
        elif outcome == "pulled":
            flash(f"{name} is listed again from the ledger in a moment.", "success")
        else:
            flash(f"{name} is still {outcome}: {link.reason or 'see its history'}", "error")
    if request.form.get("next") == "history":
        return redirect(url_for("sync_objects.link_history", connection_id=connection_id,
                                link_id=link.id))
    return redirect(url_for("sync_objects.ledger", connection_id=connection_id))
