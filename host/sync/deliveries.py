"""Webhook deliveries: store once, then process in the worker.

``store_delivery`` runs in the web request after the plugin verified the signature; it is
deduplicated on ``(provider_key, sha256(body))`` so a provider's redelivery is stored once and
processed once. ``process_delivery`` (the job) asks the plugin to parse it, groups the events
by tenant, hands each group to that tenant's active connection (``fetch_changes``) and applies
the change set (``host.sync.inbound``). A malformed payload marks the delivery failed with the
reason; a retryable provider error, and a collision with a concurrent write of the same rows
(``IntegrityError``, SQLite's ``database is locked``), retry the job with backoff.

Events about a customer, item or invoice also pull an incremental pass of that object when its
direction lets records in (two-way sync, ``host.sync.twoway.importer.pull``). Customer and item
events are the importer's alone; invoice (and payment, credit note) events keep going through
``fetch_changes`` as before, so invoices the host pushed are followed as they always were.

A tenant whose connection's sync is paused is not applied: its id goes to ``held_tenant_ids``
and the delivery stays ``held`` (after the other tenants were applied). When sync resumes,
:func:`release_held` applies the held deliveries of that tenant in the order they arrived.
Applying is idempotent, so a delivery processed again records nothing twice.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError
from werkzeug.datastructures import Headers

from host.contract.errors import AuthError, PluginFailure, ProviderError
from host.extensions import db
from host.models.connection import Connection
from host.models.mixins import utcnow
from host.models.webhook_delivery import WebhookDelivery
from host.sync import backoff

log = logging.getLogger(__name__)

KEPT_HEADERS = 40
#: Webhook entities only the two-way importer follows (never handed to ``fetch_changes``).
IMPORTER_ONLY = ("customer", "item")


def dedupe_key(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def store_delivery(provider_key: str, headers, body: bytes) -> tuple[WebhookDelivery, bool]:
    """Store a verified delivery once. Returns ``(delivery, created)``; commits."""
    key = dedupe_key(body)
    existing = _find(provider_key, key)
    if existing is not None:
        return existing, False
    delivery = WebhookDelivery(
        provider_key=provider_key, dedupe_key=key, body=body,
        headers={k: v for k, v in list(headers.items())[:KEPT_HEADERS]},
    )
    db.session.add(delivery)
    try:
        db.session.commit()
    except IntegrityError:  # the same delivery arrived twice at once
        db.session.rollback()
        return _find(provider_key, key), False
    return delivery, True


def _find(provider_key: str, key: str) -> WebhookDelivery | None:
    return db.session.scalars(sa.select(WebhookDelivery).filter_by(
        provider_key=provider_key, dedupe_key=key)).first()


def process_delivery(delivery_id: int, only_held: bool = False) -> str:
    """The job: parse the delivery and apply its events, tenant by tenant. With ``only_held``
    (a held delivery released by :func:`release_held`) only the tenants it held are applied."""
    from host.integrations.dispatch import call_owner, call_provider
    from host.sync.inbound import apply_changes

    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "processed":
        return "skipped"
    only = set(delivery.held_tenant_ids or ()) if only_held else None
    delivery.status = "processing"
    delivery.attempts += 1
    # case-insensitive like the request's headers that verify_webhook saw
    headers = Headers(list((delivery.headers or {}).items()))
    body, provider_key = delivery.body, delivery.provider_key
    db.session.commit()
    try:
        events = call_provider(provider_key, "parse_webhook", headers=headers, body=body) or []
    except ProviderError as error:
        return _finish(delivery_id, "failed", f"Malformed payload: {error.message}")
    except PluginFailure as exc:  # a plugin bug, named and logged by the guard
        return _finish(delivery_id, "failed", f"Could not parse: {exc.message}")
    except Exception as exc:  # noqa: BLE001 - keep the delivery, with the reason
        return _finish(delivery_id, "failed", f"Could not parse: {type(exc).__name__}: {exc}")
    by_tenant: dict[str, list] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, []).append(event)
    notes = []
    held = []
    for tenant_id, tenant_events in by_tenant.items():
        if only is not None and tenant_id not in only:
            continue  # applied when the delivery first arrived
        connection = db.session.scalars(sa.select(Connection).where(
            Connection.provider_key == provider_key, Connection.tenant_id == tenant_id,
            Connection.status == "connected")).first()
        if connection is None:
            notes.append(f"No active connection for tenant {tenant_id}; ignored.")
            continue
        if connection.is_paused:
            held.append(tenant_id)
            notes.append(f"Tenant {tenant_id}: sync is paused; applied when it resumes.")
            continue
        connection_id = connection.id
        db.session.commit()
        try:
            ledger_events = [e for e in tenant_events if e.entity not in IMPORTER_ONLY]
            if ledger_events:
                changes = call_owner(connection, "fetch_changes", events=ledger_events)
                apply_changes(db.session.get(Connection, connection_id), changes)
            _pull_inbound(db.session.get(Connection, connection_id), tenant_events)
        except AuthError as error:
            db.session.rollback()
            notes.append(f"Tenant {tenant_id}: {error.message} (reconcile catches up after "
                         "reconnecting)")
        except ProviderError as error:
            db.session.rollback()
            # the retry applies every tenant again (idempotent), held ones included
            if error.retryable and _can_retry(delivery_id):
                return _retry_later(delivery_id, error.message, error.retry_after)
            notes.append(f"Tenant {tenant_id}: {error.message}")
        except (OperationalError, IntegrityError) as exc:
            # Transient: another worker wrote the same rows at the same moment (it recorded the
            # payment, or held SQLite's write lock). The next attempt finds its work done.
            db.session.rollback()
            log.info("webhook delivery %s collided with a concurrent write: %s", delivery_id,
                     exc.orig)
            if _can_retry(delivery_id):
                return _retry_later(delivery_id, "A concurrent update of the same records "
                                    "interrupted processing.")
            return _finish(delivery_id, "failed", f"{type(exc).__name__}: {exc.orig}")
        except PluginFailure as exc:  # a plugin bug, named and logged by the guard
            db.session.rollback()
            return _finish(delivery_id, "failed", exc.message)
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            log.exception("webhook delivery %s failed", delivery_id)
            return _finish(delivery_id, "failed", f"{type(exc).__name__}: {exc}")
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.event_count = len(events)
    delivery.tenant_ids = sorted(by_tenant)
    delivery.held_tenant_ids = held
    if held:
        return _finish(delivery_id, "held", " ".join(notes), processed=False)
    return _finish(delivery_id, "processed", " ".join(notes) or None)


def _pull_inbound(connection: Connection, events) -> None:
    """Two-way sync: an incremental pass of each inbound object the events name."""
    from host.contract.records import SYNC_OBJECTS
    from host.sync.twoway.importer import pull

    for object in SYNC_OBJECTS:
        if any(event.entity == object for event in events):
            pull(connection, object)


def held_delivery_ids(provider_key: str, tenant_id: str) -> list[int]:
    """Held deliveries with events for ``tenant_id``, oldest first."""
    rows = db.session.execute(sa.select(WebhookDelivery.id, WebhookDelivery.held_tenant_ids)
                              .where(WebhookDelivery.provider_key == provider_key,
                                     WebhookDelivery.status == "held")
                              .order_by(WebhookDelivery.id)).all()
    return [delivery_id for delivery_id, tenants in rows if tenant_id in (tenants or ())]


def release_held(connection: Connection) -> int:
    """Apply, in the order they arrived, the deliveries held while ``connection``'s sync was
    paused (in the worker, once it resumed). Each is claimed with one atomic UPDATE from
    ``held``, so the resume job and the sweeper never apply the same one at once. Returns how
    many were released."""
    released = 0
    for delivery_id in held_delivery_ids(connection.provider_key, connection.tenant_id):
        won = db.session.execute(
            sa.update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == "held")
            .values(status="processing")
            .execution_options(synchronize_session=False)).rowcount == 1
        db.session.commit()
        if won:
            process_delivery(delivery_id, only_held=True)
            released += 1
    return released


def _attempts(delivery_id: int) -> int:
    return db.session.get(WebhookDelivery, delivery_id).attempts


def _can_retry(delivery_id: int) -> bool:
    return _attempts(delivery_id) < int(current_app.config.get("SYNC_MAX_ATTEMPTS", 8))


def _retry_later(delivery_id: int, reason: str, retry_after: float | None = None) -> str:
    """Park the delivery as received and schedule its next attempt with backoff."""
    from host.sync.queue import task

    delay = backoff.backoff_seconds(
        _attempts(delivery_id), base=float(current_app.config.get(
            "SYNC_BACKOFF_BASE_SECONDS", 30)), retry_after=retry_after)
    _finish(delivery_id, "received", f"{reason} Retrying in {round(delay)} s.",
            processed=False, next_attempt_at=utcnow() + timedelta(seconds=delay))
    task("process_delivery").schedule(args=(delivery_id,), delay=delay)
    return "received"


def _finish(delivery_id: int, status: str, error: str | None, processed: bool = True,
            next_attempt_at=None) -> str:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    delivery.status = status
    delivery.error = error
    delivery.next_attempt_at = next_attempt_at
    if processed:
        delivery.processed_at = utcnow()
    db.session.commit()
    return status


__all__ = ["dedupe_key", "held_delivery_ids", "process_delivery", "release_held",
           "store_delivery"]
