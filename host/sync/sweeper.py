"""Periodic safety nets: the sweeper and the reconciliation pass.

``sweep()`` (every minute, and when a worker starts) re-enqueues, from the ledger:

* pending records whose ``next_attempt_at`` passed (a scheduled retry whose message was lost);
* pending records never picked up for ``SYNC_STALE_PENDING_SECONDS`` (a lost queue message,
  a worker killed between the commit and the job);
* ``in_progress`` records whose lease expired (a worker killed mid-job; a live worker's
  heartbeat keeps its lease from expiring, however long its hook runs: ``host.sync.lease``);
* ``waiting_reauth`` records whose connection was reconnected;
* webhook deliveries stored but never processed, and deliveries held while a connection's sync
  was paused once it runs again (``host.sync.pause.release_resumed``);
* two-way imports left ``running`` or ``waiting`` with no live lease (a worker killed
  mid-import, a lost job, a connection reconnected): they resume from their stored cursor
  (``host.sync.twoway.importer``).

Re-enqueueing twice is harmless: only one worker wins the claim, and a record held by a live
lease is not re-enqueued. Records of a connection whose sync is paused are left alone
(``held`` records always are).

``reconcile_all()`` (every ``RECONCILE_INTERVAL_MINUTES``) asks each active connection's plugin
what changed since its stored cursor and applies the change set (``host.sync.inbound``), then
pulls every object whose direction lets records in (``host.sync.twoway.importer.pull``); a
connection whose sync is paused is skipped.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from host.contract.errors import PluginFailure, ProviderError
from host.extensions import db
from host.models.connection import Connection
from host.models.mixins import utcnow
from host.models.sync_record import SyncRecord
from host.sync.lease import lease_free
from host.sync.queue import enqueue_record, task

log = logging.getLogger(__name__)


def stale_record_ids(now=None) -> list[int]:
    now = now or utcnow()
    stale_after = float(current_app.config.get("SYNC_STALE_PENDING_SECONDS", 300))
    never_picked = now - timedelta(seconds=stale_after)
    paused = sa.select(Connection.id).where(Connection.sync_paused_at.is_not(None))
    query = sa.select(SyncRecord.id).where(
        SyncRecord.connection_id.not_in(paused),
        lease_free(now),
        sa.or_(
            sa.and_(SyncRecord.status == "pending", SyncRecord.next_attempt_at <= now),
            sa.and_(SyncRecord.status == "pending", SyncRecord.next_attempt_at.is_(None),
                    SyncRecord.updated_at <= never_picked),
            SyncRecord.status == "in_progress",
        )
    ).order_by(SyncRecord.id)
    return list(db.session.scalars(query))


def resume_reconnected() -> int:
    """Records parked for reauthorization whose connection is connected again go back to
    pending (a safety net for ``host.sync.outbox.resume_connection``)."""
    from host.sync.outbox import resume_connection

    ids = list(db.session.scalars(
        sa.select(SyncRecord.connection_id).distinct()
        .join(Connection, Connection.id == SyncRecord.connection_id)
        .where(SyncRecord.status == "waiting_reauth", Connection.status == "connected")
    ))
    return sum(resume_connection(connection_id) for connection_id in ids)


def sweep() -> int:
    """Re-enqueue stale work; returns how many records were re-enqueued."""
    from host.sync.pause import release_resumed

    from host.sync.twoway import importer

    resume_reconnected()
    release_resumed()
    ids = stale_record_ids()
    deliveries = stale_delivery_ids()
    imports = importer.stale_setting_ids()
    db.session.rollback()
    for setting_id in imports:
        importer.enqueue(setting_id)
    for record_id in ids:
        enqueue_record(record_id)
    for delivery_id in deliveries:
        try:
            task("process_delivery")(delivery_id)
        except Exception:  # noqa: BLE001 - next sweep
            log.exception("could not re-enqueue webhook delivery %s", delivery_id)
    if ids or deliveries:
        log.info("sweeper re-enqueued %d sync record(s), %d webhook deliveries",
                 len(ids), len(deliveries))
    return len(ids)


def stale_delivery_ids(now=None) -> list[int]:
    """Webhook deliveries stored but not processed for ``SYNC_STALE_PENDING_SECONDS`` (a lost
    queue message, a worker killed while processing). A delivery parked for a retry counts
    from its ``next_attempt_at`` (the provider's Retry-After), not from its arrival.
    Processing again is idempotent."""
    from host.models.webhook_delivery import WebhookDelivery

    now = now or utcnow()
    stale_after = float(current_app.config.get("SYNC_STALE_PENDING_SECONDS", 300))
    due = sa.func.coalesce(WebhookDelivery.next_attempt_at, WebhookDelivery.received_at)
    return list(db.session.scalars(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_(("received", "processing")),
        WebhookDelivery.processed_at.is_(None),
        due <= now - timedelta(seconds=stale_after),
    ).order_by(WebhookDelivery.id)))


def reconcile_all() -> int:
    ids = list(db.session.scalars(
        sa.select(Connection.id).where(Connection.status == "connected",
                                       Connection.sync_paused_at.is_(None))
    ))
    db.session.rollback()
    for connection_id in ids:
        task("reconcile_connection")(connection_id)
    return len(ids)


def reconcile_connection(connection_id: int):
    """One reconciliation pass for one connection (also "Reconcile now" on the Manage page).

    Skipped while the connection's sync is paused (resuming runs it). A failure is kept on the
    connection (``reconcile_error``, shown on the Manage page) until a
    pass succeeds; an auth failure also marks the connection for reconnection (the handle did).
    """
    from host.integrations.dispatch import call_owner
    from host.sync.inbound import apply_changes

    connection = db.session.get(Connection, connection_id)
    if connection is None or connection.status != "connected":
        return None
    if connection.is_paused:
        log.info("reconcile of connection %s skipped: sync is paused", connection_id)
        return None
    cursor = connection.reconcile_cursor
    # "Last reconciled" is set here only (a webhook's change set is not a pass), to the moment
    # the pass asked the provider: everything changed before it is in the host.
    asked_at = utcnow()
    db.session.commit()
    try:
        changes = call_owner(connection, "reconcile", cursor=cursor)
    except ProviderError as error:
        log.warning("reconcile of connection %s failed: %s", connection_id, error.message)
        _remember_reconcile_error(connection_id, error)
        return None
    except PluginFailure as error:  # a plugin bug, logged by the guard: shown like the others
        _remember_reconcile_error(connection_id, error)
        return None
    connection = db.session.get(Connection, connection_id)
    connection.reconcile_error = None
    connection.reconciled_at = asked_at
    applied = apply_changes(connection, changes)
    from host.sync.twoway.importer import pull_all

    pull_all(db.session.get(Connection, connection_id))
    return applied


def _remember_reconcile_error(connection_id: int, error: ProviderError | PluginFailure) -> None:
    db.session.rollback()
    connection = db.session.get(Connection, connection_id)
    if connection is not None:
        text = error.message + (f" -- {error.fix}" if error.fix else "")
        connection.reconcile_error = text[:2000]
        db.session.commit()
