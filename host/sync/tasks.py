"""The worker's jobs, and how one sync record is processed.

``process_sync_record(record_id)``:

1. **Claim** with a lease (``host.sync.lease``): one atomic ``UPDATE`` that hands a due
   ``pending`` record, or an ``in_progress`` one, to one worker when no live lease holds it,
   never for a connection whose sync is paused (and never a ``held`` record), and numbers the
   claim (the fencing token). Only the worker whose UPDATE matched goes on; a duplicate queue
   message or a second worker does nothing. A worker killed mid-job leaves ``in_progress``
   with a lease that expires, and the sweeper hands the record out again with the same
   idempotency key.
2. **Snapshot** the host record (``host.services.snapshots``) and end the transaction.
3. **Call** only the owning plugin (``host.integrations.dispatch.call_owner``), with a
   heartbeat keeping the lease alive for as long as the hook runs.
4. **Write** the outcome, only if this claim still holds the record (the fence; otherwise the
   result is discarded and logged, and the job returns ``"discarded"``): ``synced`` with id /
   number / link, or the error's category, message and fix. Retryable errors go back to
   ``pending`` with a backoff (at least Retry-After) and a scheduled job; ``AuthError`` parks
   the record in ``waiting_reauth`` until reconnection; anything unexpected is ``failed`` with
   category ``internal``: the record is never lost.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta
from functools import partial

import sqlalchemy as sa
from flask import Flask, current_app

from host.contract.errors import AuthError, PluginFailure, ProviderError
from host.contract.types import ExternalRef
from host.extensions import db
from host.models.mixins import utcnow
from host.models.sync_record import HELD_REASON, SyncRecord
from host.sync import backoff, lease
from host.sync.queue import enqueue_record

log = logging.getLogger(__name__)

HOOKS = {
    "invoice": "on_invoice_sent",
    "invoice_void": "on_invoice_voided",
    "credit_note": "on_credit_note",
    "payment": "on_payment",
    "client": "push_record",
    "service_type": "push_record",
}
INTERNAL_FIX = ("This is a fault in the integration, not in your data. Retry; if it fails "
                "again, send the error to support.")
DEPENDENCY_WAIT_SECONDS = 30


class Deferred(Exception):
    """The record cannot be sent yet (its invoice is not at the provider yet)."""


def register(huey, app: Flask) -> None:
    """Register the jobs on ``huey`` as closures over ``app`` (one registry per app)."""
    from huey import crontab

    from host.sync import deliveries, pause, sweeper
    from host.sync.housekeeping import purge_expired

    def in_app(fn, *args):
        with app.app_context():
            try:
                return fn(*args)
            finally:
                db.session.remove()

    @huey.task(name="sync.process_record")
    def process_record(record_id: int):
        return in_app(process_sync_record, record_id)

    @huey.task(name="sync.process_delivery")
    def process_delivery(delivery_id: int):
        return in_app(deliveries.process_delivery, delivery_id)

    @huey.task(name="sync.apply_resumed")
    def apply_resumed(connection_id: int):
        return in_app(pause.apply_resumed, connection_id)

    @huey.task(name="sync.reconcile_connection")
    def reconcile_connection(connection_id: int):
        return in_app(sweeper.reconcile_connection, connection_id)

    @huey.periodic_task(lambda dt: True, name="sync.sweep")
    def sweep():
        return in_app(sweeper.sweep)

    interval = max(1, int(app.config.get("RECONCILE_INTERVAL_MINUTES", 15)))

    @huey.periodic_task(once_per_minute(crontab(minute=f"*/{interval}")),
                        name="sync.reconcile_all")
    def reconcile_all():
        return in_app(sweeper.reconcile_all)

    @huey.periodic_task(once_per_minute(crontab(minute="17")), name="sync.housekeeping")
    def housekeeping():
        return in_app(purge_expired)

    @huey.task(name="twoway_import")
    def twoway_import(setting_id: int, attempt: int = 1):
        from host.sync.twoway.importer import run_import

        return in_app(run_import, setting_id, attempt)

    @huey.on_startup("sync.sweep_on_start")
    def sweep_on_start():
        in_app(sweeper.sweep)

    app.extensions["psa_sync_tasks"] = {
        "twoway_import": twoway_import,
        "process_record": process_record,
        "process_delivery": process_delivery,
        "apply_resumed": apply_resumed,
        "reconcile_connection": reconcile_connection,
        "sweep": sweep,
        "reconcile_all": reconcile_all,
        "housekeeping": housekeeping,
    }


def once_per_minute(validate):
    """A crontab check that fires at most once per matching minute, however often the
    scheduler asks (it asks every ``SYNC_SWEEP_SECONDS``)."""
    fired = {"minute": None}

    def check(timestamp) -> bool:
        minute = timestamp.replace(second=0, microsecond=0)
        if fired["minute"] == minute or not validate(timestamp):
            return False
        fired["minute"] = minute
        return True

    return check


# -- one record -------------------------------------------------------------------------------


def process_sync_record(record_id: int) -> str:
    """Process one record; returns the resulting status, ``"skipped"`` (not claimed) or
    ``"discarded"`` (the lease was taken over while the hook ran; nothing written)."""
    config = current_app.config
    lease_seconds = float(config.get("SYNC_LEASE_SECONDS", 300))
    token = lease.claim(record_id, lease_seconds, commit=False)
    if token is None:
        return "skipped"
    record = db.session.get(SyncRecord, record_id)
    key = record.idempotency_key
    connection = record.connection
    if connection.status == "needs_reauth":
        return _park(record, "The integration needs to be reconnected before this can be sent.")
    if not connection.is_active:
        record.status = "excluded"
        record.locked_until = None
        record.excluded_reason = "The integration was disconnected before this was sent."
        record.log("excluded", record.excluded_reason)
        db.session.commit()
        return record.status
    record.log("started", f"Sending to {connection.provider_key} (attempt {record.attempts}).")
    try:
        hook, kwargs = build_call(record)
    except Deferred as wait:
        return _defer(record, str(wait))
    except Exception as exc:  # noqa: BLE001 - never lose the record
        db.session.rollback()
        return _fail_internal(db.session.get(SyncRecord, record_id), exc)
    db.session.commit()  # the claim, the event; no transaction open during the plugin call
    from host.integrations.dispatch import call_owner

    with lease.Heartbeat(db.engine, record_id, token, lease_seconds,
                         lease.heartbeat_seconds(config)):
        try:
            result = call_owner(connection, hook, idempotency_key=key, **kwargs)
        except ProviderError as error:
            outcome = partial(_write_error, error=error)
        except Exception as exc:  # noqa: BLE001 - PluginContractError, plugin bugs, host bugs
            outcome = partial(_fail_internal, exc=exc)
        else:
            outcome = partial(_write_success, result=result, key=key, sent=kwargs)
    return _write_if_held(record_id, token, outcome)


def _write_if_held(record_id: int, token: int, write) -> str:
    """Write an outcome (``write(record)``) in a transaction opened by the fence of claim
    ``token``; a claim that lost the record writes nothing but a line of history."""
    db.session.rollback()
    if not lease.fence(record_id, token):
        db.session.rollback()
        return _discard(record_id, token, write)
    return write(db.session.get(SyncRecord, record_id))


def _discard(record_id: int, token: int, write) -> str:
    what = "result" if write.func is _write_success else "error"
    record = db.session.get(SyncRecord, record_id)
    log.warning("sync record %s: claim %s ended after claim %s took the record over; its %s "
                "is discarded", record_id, token, record.lease_token, what)
    record.log("discarded", f"An earlier attempt ended after a newer one took the record "
               f"over; its {what} was discarded.")
    db.session.commit()
    return "discarded"


def build_call(record: SyncRecord) -> tuple[str, dict]:
    """The hook name and its snapshot argument for ``record``."""
    from host.models import CreditNote, Invoice, Payment
    from host.services import snapshots
    from host.sync.twoway import outbound

    hook = HOOKS[record.object_type]
    if record.object_type in outbound.OBJECTS:
        waiting = outbound.read_ledger_first(record)
        if waiting:
            raise Deferred(waiting)
        return outbound.build_call(record)
    if record.object_type == "invoice":
        invoice = _load(Invoice, record)
        return hook, {"invoice": snapshots.invoice_data(
            invoice, external=external_ref(record), **outbound.invoice_call_options(record))}
    invoice_record = _invoice_record(record)
    if record.object_type == "invoice_void":
        invoice = _load(Invoice, record)
        _require_pushed(invoice_record, "the voided invoice")
        return hook, {"invoice": snapshots.invoice_data(
            invoice, external=external_ref(invoice_record))}
    if record.object_type == "credit_note":
        credit_note = _load(CreditNote, record)
        invoice_record = _invoice_record(record, credit_note.invoice_id)
        if invoice_record is not None and invoice_record.status in ("pending", "in_progress"):
            raise Deferred("Waiting for the invoice to reach the provider first.")
        return hook, {"credit_note": snapshots.credit_note_data(
            credit_note, external=external_ref(record),
            invoice_external=external_ref(invoice_record))}
    payment = _load(Payment, record)
    invoice_record = _invoice_record(record, payment.invoice_id)
    _require_pushed(invoice_record, "the paid invoice")
    return hook, {"payment": snapshots.payment_data(
        payment, invoice_external=external_ref(invoice_record))}


def external_ref(record: SyncRecord | None) -> ExternalRef | None:
    if record is None or not record.external_id:
        return None
    return ExternalRef(external_id=record.external_id, number=record.number,
                       version=record.version, deep_link=record.deep_link)


def _load(model, record: SyncRecord):
    obj = db.session.get(model, record.object_id)
    if obj is None:
        raise LookupError(f"{model.__name__} {record.object_id} no longer exists in the host.")
    return obj


def _invoice_record(record: SyncRecord, invoice_id: int | None = None) -> SyncRecord | None:
    return db.session.scalars(sa.select(SyncRecord).filter_by(
        connection_id=record.connection_id, object_type="invoice",
        object_id=invoice_id if invoice_id is not None else record.object_id,
    )).first()


def _require_pushed(invoice_record: SyncRecord | None, what: str) -> None:
    if invoice_record is None:
        raise LookupError(f"{what.capitalize()} was never sent to the provider.")
    if not invoice_record.external_id:
        raise Deferred(f"Waiting for {what} to reach the provider first.")


# -- outcomes ---------------------------------------------------------------------------------


def _write_success(record: SyncRecord, result, key: str, sent: dict | None = None) -> str:
    from host.sync.twoway.outbound import after_push

    after_push(record, result, sent or {})
    record.external_id = result.external_id
    record.number = result.number
    record.deep_link = result.deep_link
    record.version = result.version
    record.note = result.note
    record.differences = "\n".join(result.differences) or None
    record.emailed = record.emailed or bool(result.emailed)
    record.locked_until = None
    record.next_attempt_at = None
    record.clear_error()
    label = result.number or result.external_id
    if record.idempotency_key != key:
        # Re-sent while we were pushing: keep the reference, send the newer version next
        # (held instead, if automatic push was switched off meanwhile).
        if not record.connection.auto_push:
            record.status = "held"
            record.excluded_reason = HELD_REASON
            record.log("synced", f"Pushed as {label}; the newer version is held. {HELD_REASON}")
            db.session.commit()
            return record.status
        record.status = "pending"
        record.log("synced", f"Pushed as {label}; a newer version is queued.")
        db.session.commit()
        enqueue_record(record.id)
        return record.status
    record.status = "synced"
    record.synced_at = utcnow()
    verb = "Voided" if record.object_type == "invoice_void" else "Synced"
    emailed = " Emailed to the customer by the provider." if result.emailed else ""
    note = f" {result.note}" if result.note else ""
    record.log("synced", " ".join([f"{verb} as {label}.{emailed}{note}",
                                   *result.differences]).strip())
    db.session.commit()
    return record.status


def _write_error(record: SyncRecord, error: ProviderError) -> str:
    config = current_app.config
    record.error_category = error.category
    record.error_message = error.message
    record.error_fix = error.fix
    record.error_code = error.code
    record.error_detail = error.detail
    record.locked_until = None
    if isinstance(error, AuthError):
        return _park(record, error.message)
    max_attempts = int(config.get("SYNC_MAX_ATTEMPTS", 8))
    if error.retryable and record.attempts < max_attempts:
        delay = backoff.backoff_seconds(
            record.attempts, base=float(config.get("SYNC_BACKOFF_BASE_SECONDS", 30)),
            maximum=float(config.get("SYNC_BACKOFF_MAX_SECONDS", 3600)),
            retry_after=error.retry_after,
        )
        record.status = "pending"
        record.next_attempt_at = utcnow() + timedelta(seconds=delay)
        record.log("error", f"{error.message} Retrying in {round(delay)} s.", error.detail)
        db.session.commit()
        enqueue_record(record.id, delay=delay)
        return record.status
    record.status = "failed"
    suffix = f" Gave up after {record.attempts} attempts." if error.retryable else ""
    record.log("error", error.message + suffix, error.detail)
    db.session.commit()
    return record.status


def _fail_internal(record: SyncRecord, exc: Exception) -> str:
    if isinstance(exc, PluginFailure):  # a plugin bug, named and logged by the guard
        message, fix = exc.message, exc.fix
    else:
        log.exception("sync record %s failed unexpectedly", record.id, exc_info=exc)
        message, fix = f"Unexpected {type(exc).__name__}: {exc}", INTERNAL_FIX
    record.status = "failed"
    record.locked_until = None
    record.error_category = "internal"
    record.error_message = message
    record.error_fix = fix
    record.error_code = type(exc).__name__
    record.error_detail = "".join(traceback.format_exception(exc))[-4000:]
    record.log("error", record.error_message, record.error_detail)
    db.session.commit()
    return record.status


def _park(record: SyncRecord, message: str) -> str:
    record.status = "waiting_reauth"
    record.locked_until = None
    record.attempts = max(0, record.attempts - 1)
    if not record.error_category:
        record.error_category = "auth"
        record.error_message = message
        record.error_fix = AuthError.default_fix
    record.log("waiting", message + " Sent automatically after reconnecting.")
    db.session.commit()
    return record.status


def _defer(record: SyncRecord, message: str) -> str:
    db.session.rollback()  # undoes the claim (and its attempt) too: this was no attempt
    record = db.session.get(SyncRecord, record.id)
    record.status = "pending"
    record.locked_until = None
    record.next_attempt_at = utcnow() + timedelta(seconds=DEPENDENCY_WAIT_SECONDS)
    record.note = message
    record.log("waiting", message)
    db.session.commit()
    enqueue_record(record.id, delay=DEPENDENCY_WAIT_SECONDS)
    return record.status
