"""Transactional outbox: domain events -> sync records in the same database transaction.

Receivers of ``host.events`` signals add :class:`SyncRecord` rows to ``db.session`` and never
commit: the invoice's new status and its sync record commit together or not at all. The job
is enqueued only after the commit (``host.sync.queue.enqueue_after_commit``).

Rules:

* ``invoice_sent``: a record for the business unit's active connection. Re-sent after an edit:
  the same record goes back to ``pending`` with operation ``update`` (the provider's object is
  updated, never duplicated) and a fresh idempotency key, because it is a new operation. A
  record that never reached ``synced`` keeps its key: the first push may have landed with its
  response lost, and only the same key makes the provider answer with that first result.
* ``invoice_voided``: an ``invoice_void`` record, only when the invoice reached the provider.
  When it had not, its pending push is excluded instead.
* ``credit_note_issued``: a ``credit_note`` record.
* ``payment_recorded``: a ``payment`` record when ``source="host"``; ``source="provider"``
  writes nothing (no echo of what came from the provider).
* No active connection: nothing. Invoices sent before a connection existed are listed as
  excluded when it appears (:func:`exclude_earlier_invoices`), and an admin can push them
  (:func:`push`).
* Automatic push off (``Connection.auto_push``): every record above (invoice, its void, credit
  note, payment) is written ``held`` instead of ``pending`` and nothing is enqueued; an admin
  pushes held records one by one or all at once (``host.sync.hold``). A held invoice voided
  before it was pushed is excluded, like a pending one.
* Written by the importer (two-way sync: ``host.sync.twoway.importing.active()``): nothing.
  What came in from the ledger is never pushed back to it (no echo).
* ``client_saved`` / ``service_type_saved``: a ``client`` / ``service_type`` record when the
  object's two-way setting sends PSA -> provider (rules in ``host.sync.twoway.outbound``).
* Sync paused (``Connection.sync_paused_at``): records are written as usual (``pending``, or
  ``held`` with automatic push off) but nothing is enqueued, and no worker claims them, until
  sync resumes (``host.sync.pause``).
"""

from __future__ import annotations

from host import events
from host.extensions import db
from host.models.connection import ACTIVE_STATUSES, Connection
from host.models.mixins import utcnow
from host.models.sync_record import HELD_REASON, SyncRecord, new_idempotency_key
from host.sync.queue import enqueue_after_commit
from host.sync.twoway.importing import active as importing

EXCLUDED_BEFORE_CONNECT = "Sent before the integration was connected."
EXCLUDED_VOIDED_FIRST = "Voided in the host before it reached the provider; nothing to void there."

_connected = False


def connect_receivers() -> None:
    """Connect the receivers once per process (signals are module-level)."""
    global _connected
    if _connected:
        return
    events.invoice_sent.connect(on_invoice_sent, weak=False)
    events.invoice_voided.connect(on_invoice_voided, weak=False)
    events.credit_note_issued.connect(on_credit_note_issued, weak=False)
    events.payment_recorded.connect(on_payment_recorded, weak=False)
    from host.sync.twoway import outbound

    outbound.connect_receivers()
    _connected = True


def active_connection(business_unit_id: int) -> Connection | None:
    try:
        from host.integrations.registry import active_connection as registry_active
    except ImportError:  # pragma: no cover - before the integrations core lands
        registry_active = None
    if registry_active is not None:
        return registry_active(business_unit_id)
    return db.session.scalars(
        db.select(Connection).where(
            Connection.business_unit_id == business_unit_id,
            Connection.status.in_(ACTIVE_STATUSES),
            Connection.category == "financial",
        )
    ).first()


def find_record(connection_id: int, object_type: str, object_id: int) -> SyncRecord | None:
    with db.session.no_autoflush:
        pending = [
            obj for obj in db.session.new
            if isinstance(obj, SyncRecord) and obj.connection_id == connection_id
            and obj.object_type == object_type and obj.object_id == object_id
        ]
        if pending:
            return pending[0]
    return db.session.scalars(
        db.select(SyncRecord).filter_by(
            connection_id=connection_id, object_type=object_type, object_id=object_id
        )
    ).first()


def _business_unit_id(obj) -> int | None:
    bu_id = getattr(obj, "business_unit_id", None)
    if bu_id is None and getattr(obj, "business_unit", None) is not None:
        bu_id = obj.business_unit.id
    if bu_id is None and getattr(obj, "invoice", None) is not None:
        bu_id = obj.invoice.business_unit_id
    return bu_id


def _ensure_id(obj) -> int:
    if obj.id is None:
        db.session.flush()
    return obj.id


def queue_record(connection: Connection, object_type: str, obj, message: str,
                 operation: str = "create", *, by_hand: bool = False) -> SyncRecord:
    """Create (or re-arm) the pending record for ``obj`` and enqueue it after commit (held
    instead when automatic push is off, unless an admin asked for this push: ``by_hand``;
    not enqueued while sync is paused)."""
    record = find_record(connection.id, object_type, _ensure_id(obj))
    if record is None:
        record = SyncRecord(
            connection_id=connection.id, object_type=object_type, object_id=obj.id,
            operation=operation, idempotency_key=new_idempotency_key(), status="pending",
        )
        db.session.add(record)
    else:
        if record.external_id or record.status in ("synced", "in_progress"):
            # The provider has the object: this is a new operation on it, with a new key.
            record.operation = "update" if object_type == "invoice" else operation
            record.idempotency_key = new_idempotency_key()
        # (A worker holding the old key sees the new one and leaves the record pending.)
        # Otherwise the first push was never confirmed: keep its key (and operation) so a
        # push that landed with its response lost is answered, not duplicated.
        record.attempts = 0
        record.clear_error()
        record.excluded_reason = None
        record.next_attempt_at = None
        # A worker pushing the record keeps its lease: the newer version is claimed once that
        # push wrote its result (host.sync.lease), never beside it.
        if record.status != "in_progress":
            record.locked_until = None
        record.status = "pending"
    if not connection.auto_push and not by_hand:
        record.status = "held"
        record.excluded_reason = HELD_REASON
        record.log("held", f"{message} {HELD_REASON}")
        return record
    record.log("queued", message + (PAUSED_SUFFIX if connection.is_paused else ""))
    enqueue(record)
    return record


PAUSED_SUFFIX = " Sync is paused: it is sent when sync resumes."


def enqueue(record: SyncRecord) -> None:
    """Enqueue ``record`` after commit, unless its connection's sync is paused (resuming
    enqueues what waited)."""
    with db.session.no_autoflush:  # the record's id is captured at the commit's flush
        connection = db.session.get(Connection, record.connection_id)
    if connection is not None and connection.is_paused:
        return
    enqueue_after_commit(db.session, record)


# -- receivers --------------------------------------------------------------------------------


def on_invoice_sent(invoice, **_kw) -> None:
    if importing():
        return  # came from the ledger: never echo it back
    connection = active_connection(_business_unit_id(invoice))
    if connection is None:
        return
    existing = find_record(connection.id, "invoice", _ensure_id(invoice))
    if existing is not None and existing.external_id:
        queue_record(connection, "invoice", invoice, "Re-sent after an edit: update the "
                     "provider's copy.", operation="update")
    else:
        queue_record(connection, "invoice", invoice, "Invoice sent: queued for the provider.")


def on_invoice_voided(invoice, **_kw) -> None:
    if importing():
        return  # came from the ledger: never echo it back
    connection = active_connection(_business_unit_id(invoice))
    if connection is None:
        return
    pushed = find_record(connection.id, "invoice", _ensure_id(invoice))
    if pushed is None:
        return
    if pushed.external_id or pushed.status == "in_progress":
        queue_record(connection, "invoice_void", invoice, "Invoice voided: queued for the "
                     "provider.", operation="void")
    elif pushed.status in ("pending", "held", "failed", "waiting_reauth"):
        pushed.status = "excluded"
        pushed.excluded_reason = EXCLUDED_VOIDED_FIRST
        pushed.log("excluded", EXCLUDED_VOIDED_FIRST)


def on_credit_note_issued(credit_note, **_kw) -> None:
    if importing():
        return  # came from the ledger: never echo it back
    connection = active_connection(_business_unit_id(credit_note))
    if connection is None:
        return
    queue_record(connection, "credit_note", credit_note, "Credit note issued: queued for "
                 "the provider.")


def on_payment_recorded(payment, source: str = "host", **_kw) -> None:
    if source != "host" or importing():
        return  # came from the provider: never echo it back
    connection = active_connection(_business_unit_id(payment))
    if connection is None:
        return
    if find_record(connection.id, "invoice", payment.invoice_id) is None:
        return  # the invoice is not at this provider; nothing to book the payment against
    queue_record(connection, "payment", payment, "Payment recorded: queued for the provider.")


# -- invoices sent before the connection ----------------------------------------------------


def exclude_earlier_invoices(connection: Connection) -> int:
    """List invoices of the business unit sent before ``connection`` existed as excluded
    records (idempotent). Called when the connection becomes active and by the sync overview.
    The caller commits. Returns the number of records added."""
    from host.models.invoice import Invoice
    from host.services.invoicing import SETTLEABLE

    since = connection.connected_at or connection.created_at
    invoices = db.session.scalars(
        db.select(Invoice).where(
            Invoice.business_unit_id == connection.business_unit_id,
            Invoice.status.in_(SETTLEABLE),
            Invoice.sent_at.is_not(None),
            Invoice.sent_at < since,
        )
    ).all()
    added = 0
    for invoice in invoices:
        if find_record(connection.id, "invoice", invoice.id) is not None:
            continue
        record = SyncRecord(
            connection_id=connection.id, object_type="invoice", object_id=invoice.id,
            operation="create", status="excluded", excluded_reason=EXCLUDED_BEFORE_CONNECT,
            idempotency_key=new_idempotency_key(),
        )
        record.log("excluded", EXCLUDED_BEFORE_CONNECT)
        db.session.add(record)
        added += 1
    return added


def push(record: SyncRecord, actor: str = "an admin") -> SyncRecord:
    """The admin's Push for an excluded or held record: send it now (when sync resumes, if it
    is paused). The caller commits."""
    record.status = "pending"
    record.excluded_reason = None
    record.attempts = 0
    record.next_attempt_at = None
    record.clear_error()
    with db.session.no_autoflush:
        paused = db.session.get(Connection, record.connection_id).is_paused
    record.log("pushed", f"Pushed by {actor}." + (PAUSED_SUFFIX if paused else ""))
    enqueue(record)
    return record


def retry(record: SyncRecord, actor: str = "an admin") -> SyncRecord:
    """Retry a failed (or waiting) record with the same idempotency key. The caller commits."""
    record.status = "pending"
    record.attempts = 0
    record.next_attempt_at = None
    record.locked_until = None
    record.log("retry", f"Retry requested by {actor}.")
    enqueue(record)
    return record


def resume_connection(connection_id: int) -> int:
    """After a successful reconnect: records waiting for it go back to pending and are
    enqueued. Commits. Returns how many were resumed."""
    records = db.session.scalars(
        db.select(SyncRecord).where(
            SyncRecord.connection_id == connection_id,
            SyncRecord.status == "waiting_reauth",
        )
    ).all()
    for record in records:
        record.status = "pending"
        record.attempts = 0
        record.next_attempt_at = utcnow()
        record.log("resumed", "The integration was reconnected: sending again.")
        enqueue(record)
    db.session.commit()
    return len(records)
