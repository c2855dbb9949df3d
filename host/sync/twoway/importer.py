"""The import job: pages of ledger records in, one object at a time, resumable.

:func:`start` (the "What syncs" section, when an inbound direction is switched on or "Import
again" is pressed) marks the object's setting ``running`` and enqueues the Huey task
``twoway_import``; :func:`pull` (a webhook naming a customer, item or invoice; the periodic
reconcile schedule; Retry) enqueues an incremental pass of an inbound object. Both run
:func:`run_import` in the worker:

1. **Claim** the setting's lease (``host.sync.twoway.import_lease``): one pass per object at a
   time; a pass asked for while another runs is coalesced into it (the next scheduled pass
   catches anything changed after it listed). Nothing runs while the connection's sync is
   paused (resuming runs the reconcile pass, which pulls) or while it waits for reconnection.
2. **Order**: invoices wait while the customers' or products' first import of the same
   connection is still running (an invoice needs its customer).
3. **Loop**: ``list_records(object, cursor=setting.cursor, page_size=PSA_IMPORT_PAGE_SIZE)``
   with a heartbeat on the lease while the plugin lists; then, in one transaction opened by the
   lease's fence, the page's records are applied (``apply_customers`` / ``apply_items`` /
   ``apply_invoices``), and the new cursor and counts stored with the lease renewed from the
   commit (however long the page took to apply, the next listing starts with a full lease).
   A worker killed mid-import resumes after the last page applied (the sweeper re-enqueues a
   ``running`` setting whose lease expired), and a record applied twice is linked once: no
   duplicates.
4. **Until** ``more`` is false: the first complete listing sets ``initial_done``; the status
   is ``done``.

Errors: ``RateLimited`` -> ``waiting``, tried again after Retry-After; ``ProviderDown`` and
other retryable errors -> ``waiting`` with backoff (``host.sync.backoff``), ``failed`` after
``SYNC_MAX_ATTEMPTS``; ``AuthError`` -> ``waiting`` for reconnection (the sweeper resumes it
once the connection is connected again); any other provider error, a plugin bug
(``PluginFailure``) or a host bug -> ``failed`` with the reason. Direction switched off ->
nothing runs and the cursor is kept, so switching it on again resumes from there.
"""

from __future__ import annotations

import logging
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError, OperationalError

from host.contract.errors import AuthError, PluginFailure, ProviderError
from host.contract.records import SYNC_OBJECTS
from host.extensions import db
from host.models import SyncObjectSetting
from host.models.connection import Connection
from host.models.mixins import utcnow
from host.sync import backoff, lease
from host.sync.twoway import apply_customers, apply_invoices, apply_items, import_lease
from host.sync.twoway.run import ImportRun
from host.sync.twoway.settings import setting_for

log = logging.getLogger(__name__)

TASK = "twoway_import"
APPLY = {"customer": apply_customers.apply_page, "item": apply_items.apply_page,
         "invoice": apply_invoices.apply_page}
#: What must be imported first: an invoice needs its customer (and its products' links).
PREREQUISITES = {"invoice": ("customer", "item")}
#: Seconds an invoice import waits for a running customer or product import.
PREREQUISITE_WAIT_SECONDS = 30
REAUTH_MESSAGE = "Waiting for the integration to be reconnected; the import resumes then."
PAUSED_MESSAGE = "Sync is paused; the import resumes when it runs again."


# -- asking for a pass (web request or worker) -------------------------------------------------


def start(setting: SyncObjectSetting, *, restart: bool = False) -> None:
    """Start (or, with ``restart``, start over) the import of ``setting``'s object: status
    ``running``, and the task enqueued after the commit. ``restart`` ("Import again") lists
    everything from the beginning with the counts reset; a pass still running is fenced out.
    Commits."""
    setting.import_status = "running"
    setting.import_started_at = utcnow()
    setting.import_finished_at = None
    setting.import_error = None
    if restart:
        setting.cursor = None
        setting.initial_done = False
        # a pass still running loses its claim (its fence fails, it writes nothing more)
        setting.lease_token = (setting.lease_token or 0) + 1
        setting.locked_until = None
        for name in ("seen", "created", "matched", "updated", "skipped", "failed"):
            setattr(setting, name, 0)
    setting_id = setting.id
    db.session.commit()
    enqueue(setting_id)


def pull(connection: Connection, object: str) -> bool:
    """Enqueue an incremental pass of ``object`` when its direction lets records in and the
    connection's sync runs. Returns whether a pass was enqueued. Commits."""
    setting = setting_for(connection, object)
    wanted = setting.inbound and connection.status == "connected" and not connection.is_paused
    setting_id = setting.id
    db.session.commit()
    if wanted:
        enqueue(setting_id)
    return wanted


def pull_all(connection: Connection) -> list[str]:
    """Pull every inbound object of ``connection``, in import order. Returns the objects."""
    return [obj for obj in SYNC_OBJECTS if pull(connection, obj)]


def enqueue(setting_id: int, delay: float | None = None, attempt: int = 1) -> None:
    """Enqueue the task for ``setting_id`` (after ``delay`` seconds). Never raises: the sweeper
    re-enqueues a running import whose job was lost."""
    from host.sync.queue import task

    try:
        job = task(TASK)
        if delay and delay > 0:
            job.schedule(args=(setting_id, attempt), delay=delay)
        else:
            job(setting_id, attempt)
    except Exception:  # noqa: BLE001 - the setting's status is the source of truth
        log.exception("could not enqueue the import of setting %s; the sweeper will", setting_id)


def stale_setting_ids(now=None) -> list[int]:
    """Imports to hand out again (the sweeper): ``running`` or ``waiting`` with no live lease
    (a worker killed mid-import, a lost scheduled job, a connection reconnected), of connected
    connections whose sync runs."""
    now = now or utcnow()
    return list(db.session.scalars(
        sa.select(SyncObjectSetting.id)
        .join(Connection, Connection.id == SyncObjectSetting.connection_id)
        .where(SyncObjectSetting.import_status.in_(("running", "waiting")),
               SyncObjectSetting.direction.in_(("in", "both")),
               import_lease.lease_free(now), Connection.status == "connected",
               Connection.sync_paused_at.is_(None))
        .order_by(SyncObjectSetting.id)))


# -- the pass (worker) -------------------------------------------------------------------------


def run_import(setting_id: int, attempt: int = 1) -> str:
    """The task: one pass over ``setting_id``'s object. Returns its outcome (``done``,
    ``waiting``, ``failed``, ``busy``: another pass holds it, ``off``, ``deferred``: waiting for
    a prerequisite, ``discarded``: the lease was lost, ``idle``: the direction was switched off
    between two pages)."""
    config = current_app.config
    setting = db.session.get(SyncObjectSetting, setting_id)
    if setting is None or not setting.inbound:
        db.session.rollback()
        return "off"
    connection = setting.connection
    if connection.status == "needs_reauth":
        return _mark(setting_id, "waiting", REAUTH_MESSAGE)
    if connection.status != "connected":
        db.session.rollback()
        return "off"
    if connection.is_paused:
        return _mark(setting_id, "waiting", PAUSED_MESSAGE)
    waits_for_prerequisite = _prerequisite_running(setting)
    lease_seconds = float(config.get("SYNC_LEASE_SECONDS", 300))
    token = import_lease.claim(setting_id, lease_seconds)
    if token is None:
        return "busy"
    if waits_for_prerequisite:  # leased meanwhile, so the sweeper does not start it early
        import_lease.hold_until(setting_id, token, PREREQUISITE_WAIT_SECONDS)
        db.session.commit()
        enqueue(setting_id, delay=PREREQUISITE_WAIT_SECONDS + 1, attempt=attempt)
        return "deferred"
    page_size = max(1, int(config.get("PSA_IMPORT_PAGE_SIZE", 100)))
    run = None
    while True:
        setting = db.session.get(SyncObjectSetting, setting_id)
        if not setting.inbound:  # switched off meanwhile: stop here, the cursor kept
            return _finish(setting_id, token, "idle", None)
        if setting.import_status != "running":
            setting.import_status = "running"
            setting.import_started_at = setting.import_started_at or utcnow()
        setting.import_error = None
        cursor, object, connection = setting.cursor, setting.object, setting.connection
        db.session.commit()  # no transaction open while the plugin lists
        from host.integrations.dispatch import call_owner

        try:
            with lease.Heartbeat(db.engine, setting_id, token, lease_seconds,
                                 lease.heartbeat_seconds(config),
                                 renew_with=import_lease.renew):
                page = call_owner(connection, "list_records", object=object, cursor=cursor,
                                  page_size=page_size)
                if run is None:
                    run = ImportRun(connection, setting)
                # list_sync_fields too (once per run), while no transaction is open: asked
                # from inside the page's write transaction, the plugin's rate-limit slot
                # (another connection's write) waited for that transaction: "database is
                # locked" on SQLite, and the pass failed
                run.declared()
        except ProviderError as error:
            return _provider_error(setting_id, token, error, attempt)
        except PluginFailure as error:
            return _finish(setting_id, token, "failed", error.message)
        except Exception as exc:  # noqa: BLE001 - a host bug: keep the import visible
            log.exception("import of setting %s failed", setting_id)
            return _finish(setting_id, token, "failed", f"Unexpected {type(exc).__name__}: {exc}")
        db.session.rollback()
        if not import_lease.fence(setting_id, token, lease_seconds):
            db.session.rollback()
            log.warning("import of setting %s: claim %s lost its lease; page discarded",
                        setting_id, token)
            return "discarded"
        setting = db.session.get(SyncObjectSetting, setting_id)
        connection = setting.connection
        run.next_page(connection, setting)
        try:
            APPLY[object](run, [r for r in page.records if _is_object(object, r)])
        except ProviderError as error:  # list_sync_fields failed
            db.session.rollback()
            return _provider_error(setting_id, token, error, attempt)
        except Exception as exc:  # noqa: BLE001
            db.session.rollback()
            log.exception("import of setting %s could not apply a page", setting_id)
            return _finish(setting_id, token, "failed", f"A page could not be applied: "
                           f"{type(exc).__name__}: {exc}")
        setting.cursor = page.cursor
        last = not page.more
        # the lease runs from the page's commit, not from its start: a page applied for
        # longer than the lease would otherwise commit a lease already run out, and the
        # sweeper hand the pass to another worker, which lists and applies the next page
        # too (the heartbeat thread cannot renew it meanwhile: its own connection would wait
        # for this transaction's write lock). The fence above holds the setting's row, so
        # this renewal cannot lose to another claim.
        import_lease.fence(setting_id, token, lease_seconds, release=last)
        if last:
            setting.initial_done = True
            setting.import_status = "done"
            setting.import_finished_at = utcnow()
        try:
            db.session.commit()
        except (IntegrityError, OperationalError) as exc:
            # another writer took the same rows (a client saved with the same name, SQLite's
            # write lock): nothing of the page was written; it is applied again shortly
            db.session.rollback()
            log.info("import of setting %s collided with a concurrent write: %s", setting_id,
                     exc.orig)
            return _later(setting_id, token, attempt, "A concurrent change of the same "
                          "records interrupted the import.")
        if last:
            return "done"
        attempt = 1  # a page went through: a later error starts its backoff afresh


def _is_object(object: str, record) -> bool:
    from host.contract.records import InboundCustomer, InboundInvoice, InboundItem

    return isinstance(record, {"customer": InboundCustomer, "item": InboundItem,
                               "invoice": InboundInvoice}[object])


def _prerequisite_running(setting: SyncObjectSetting) -> bool:
    for object in PREREQUISITES.get(setting.object, ()):
        other = db.session.scalars(sa.select(SyncObjectSetting).filter_by(
            connection_id=setting.connection_id, object=object)).first()
        if other is not None and other.inbound and not other.initial_done \
                and other.import_status in ("running", "waiting"):
            return True
    return False


def _mark(setting_id: int, status: str, message: str) -> str:
    db.session.rollback()
    setting = db.session.get(SyncObjectSetting, setting_id)
    setting.import_status = status
    setting.import_error = message
    db.session.commit()
    return status


def _finish(setting_id: int, token: int, status: str, message: str | None,
            hold_seconds: float | None = None) -> str:
    """Write the pass's end (``failed``, ``waiting``, ``idle``) if the claim still holds it;
    a waiting pass keeps the lease ``hold_seconds`` (its next attempt is scheduled)."""
    db.session.rollback()
    if hold_seconds:
        held = import_lease.hold_until(setting_id, token, hold_seconds)
    else:
        held = import_lease.fence(setting_id, token, 0, release=True)
    if not held:
        db.session.rollback()
        return "discarded"
    setting = db.session.get(SyncObjectSetting, setting_id)
    setting.import_status = status
    setting.import_error = (message or "")[:2000] or None
    if status == "failed":
        setting.import_finished_at = utcnow()
    db.session.commit()
    return status


def _provider_error(setting_id: int, token: int, error: ProviderError, attempt: int) -> str:
    config = current_app.config
    message = error.message + (f" -- {error.fix}" if error.fix else "")
    if isinstance(error, AuthError):
        return _finish(setting_id, token, "waiting", REAUTH_MESSAGE)
    if not error.retryable or attempt >= int(config.get("SYNC_MAX_ATTEMPTS", 8)):
        suffix = f" Gave up after {attempt} attempts." if error.retryable else ""
        return _finish(setting_id, token, "failed", message + suffix)
    return _later(setting_id, token, attempt, message, error.retry_after)


def _later(setting_id: int, token: int, attempt: int, message: str,
           retry_after: float | None = None) -> str:
    """``waiting``: the pass is tried again after a backoff (at least ``retry_after``), the
    setting leased until then."""
    config = current_app.config
    delay = backoff.backoff_seconds(
        attempt, base=float(config.get("SYNC_BACKOFF_BASE_SECONDS", 30)),
        maximum=float(config.get("SYNC_BACKOFF_MAX_SECONDS", 3600)), retry_after=retry_after)
    status = _finish(setting_id, token, "waiting",
                     f"{message} Trying again in {round(delay)} s.", hold_seconds=delay)
    if status == "waiting":
        enqueue(setting_id, delay=delay + 1, attempt=attempt + 1)  # once the hold ended
    return status


__all__ = ["enqueue", "pull", "pull_all", "run_import", "stale_setting_ids", "start"]
