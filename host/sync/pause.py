"""Sync paused: a connection that stays connected but exchanges nothing, until it resumes.

Unlike Disconnect, pausing keeps the connection active (tokens, settings, mappings, links):

* **Outbound**: the outbox still writes records (``pending``, or ``held`` with automatic push
  off) but enqueues nothing; no worker claims a record of a paused connection
  (``host.sync.tasks.claim``) and the sweeper leaves them alone. A push already running
  finishes.
* **Inbound**: webhook deliveries are still verified and stored (``/webhooks/<provider>``);
  the job keeps the paused tenant's events ``held`` instead of applying them
  (``host.sync.deliveries``).
* **Reconciliation**: passes are skipped, the periodic ones and "Reconcile now" alike, and the
  Manage page says so.

:func:`resume` clears the pause in the web request and queues one job
(:func:`apply_resumed`) that applies the held deliveries in the order they arrived, enqueues
the records that waited, and runs the reconciliation pass that was skipped.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from host.extensions import db
from host.models.connection import Connection
from host.models.mixins import utcnow
from host.models.sync_record import SyncRecord

log = logging.getLogger(__name__)

RECONCILE_SKIPPED = "Sync is paused: reconciliation is skipped until it resumes."


def pause(connection: Connection, actor: str) -> None:
    """Pause ``connection``'s sync (idempotent). Commits."""
    if connection.is_paused:
        return
    connection.sync_paused_at = utcnow()
    connection.sync_paused_by = actor
    db.session.commit()


def resume(connection: Connection) -> None:
    """Resume ``connection``'s sync and queue :func:`apply_resumed`. Commits."""
    from host.sync.queue import task

    if not connection.is_paused:
        return
    connection.sync_paused_at = None
    connection.sync_paused_by = None
    db.session.commit()
    try:
        task("apply_resumed")(connection.id)
    except Exception:  # noqa: BLE001 - the sweeper releases what waited
        log.exception("could not enqueue the resume of connection %s", connection.id)


def waiting_record_ids(connection_id: int) -> list[int]:
    """Records of the connection that waited for sync to resume (pending, oldest first)."""
    return list(db.session.scalars(sa.select(SyncRecord.id).where(
        SyncRecord.connection_id == connection_id, SyncRecord.status == "pending",
    ).order_by(SyncRecord.id)))


def apply_resumed(connection_id: int) -> dict | None:
    """The worker's half of :func:`resume`: held deliveries first (in order), then the records
    that waited, then the skipped reconciliation pass. Does nothing if the connection is paused
    again or no longer connected."""
    from host.sync.deliveries import release_held
    from host.sync.queue import enqueue_record
    from host.sync.sweeper import reconcile_connection

    connection = db.session.get(Connection, connection_id)
    if connection is None or connection.status != "connected" or connection.is_paused:
        return None
    deliveries = release_held(connection)
    records = waiting_record_ids(connection_id)
    db.session.rollback()
    for record_id in records:
        enqueue_record(record_id)
    reconcile_connection(connection_id)
    log.info("connection %s resumed: %d held deliveries applied, %d records enqueued",
             connection_id, deliveries, len(records))
    return {"deliveries": deliveries, "records": len(records)}


def release_resumed() -> int:
    """Sweeper safety net: held deliveries whose connection is running again (a delivery held
    just as its connection resumed, after the resume job looked). Returns how many."""
    from host.models.webhook_delivery import WebhookDelivery
    from host.sync.deliveries import release_held

    held = db.session.execute(sa.select(WebhookDelivery.provider_key,
                                        WebhookDelivery.held_tenant_ids)
                              .where(WebhookDelivery.status == "held")).all()
    wanted = {(key, tenant) for key, tenants in held for tenant in (tenants or ())}
    if not wanted:
        return 0
    connections = db.session.scalars(sa.select(Connection).where(
        Connection.status == "connected", Connection.sync_paused_at.is_(None),
        Connection.provider_key.in_({key for key, _ in wanted}))).all()
    return sum(release_held(c) for c in connections if (c.provider_key, c.tenant_id) in wanted)
