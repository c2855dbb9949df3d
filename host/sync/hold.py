"""Automatic push off: held sync records, and the admin's Push for them.

With ``Connection.auto_push`` off the outbox writes every outbound record (invoice, its void,
credit note, host payment) as ``held``: visible on the invoice panel and the Manage page, never
claimed by a worker or re-enqueued by the sweeper. An admin pushes them one by one
(:func:`push_held`) or all at once (:func:`push_all_held`); both only enqueue (the web request
never calls the provider). A held record that needs its invoice at the provider first (a credit
note, a payment, a void) is pushed together with its held invoice.

Switching automatic push on (:func:`set_auto_push`) does not push what is held: it returns how
many records are held, so the page can offer to push them.
"""

from __future__ import annotations

import sqlalchemy as sa

from host.extensions import db
from host.models.connection import Connection
from host.models.sync_record import SyncRecord
from host.sync import outbox

#: Object types that go to the provider only after their invoice.
_NEEDS_INVOICE = ("credit_note", "payment", "invoice_void")


def held_query(connection_id: int):
    return sa.select(SyncRecord).where(SyncRecord.connection_id == connection_id,
                                       SyncRecord.status == "held").order_by(SyncRecord.id)


def held_records(connection_id: int, limit: int | None = None) -> list[SyncRecord]:
    query = held_query(connection_id)
    return list(db.session.scalars(query.limit(limit) if limit else query))


def held_count(connection_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(
        held_query(connection_id).subquery())) or 0


def _held_invoice_of(record: SyncRecord) -> SyncRecord | None:
    """The held invoice record ``record`` waits for, if any."""
    from host.models import CreditNote, Payment

    if record.object_type not in _NEEDS_INVOICE:
        return None
    invoice_id = record.object_id
    if record.object_type in ("credit_note", "payment"):
        model = CreditNote if record.object_type == "credit_note" else Payment
        obj = db.session.get(model, record.object_id)
        if obj is None:
            return None
        invoice_id = obj.invoice_id
    invoice_record = outbox.find_record(record.connection_id, "invoice", invoice_id)
    return invoice_record if invoice_record is not None and invoice_record.status == "held" \
        else None


def push_held(record: SyncRecord, actor: str) -> list[SyncRecord]:
    """Push one held record (and the held invoice it needs first). The caller commits.
    Returns the records pushed, invoice first."""
    pushed = []
    invoice_record = _held_invoice_of(record)
    if invoice_record is not None:
        pushed.append(outbox.push(invoice_record, actor))
    pushed.append(outbox.push(record, actor))
    return pushed


def push_all_held(connection: Connection, actor: str) -> int:
    """Push every held record of ``connection`` in the order they were written (invoices
    before what depends on them). Commits. Returns how many were pushed."""
    records = held_records(connection.id)
    for record in records:
        outbox.push(record, actor)
    db.session.commit()
    return len(records)


def set_auto_push(connection: Connection, on: bool) -> int:
    """Switch automatic push on or off. Commits. Returns how many records are held (what
    switching on offers to push)."""
    connection.auto_push = bool(on)
    db.session.commit()
    return held_count(connection.id)
