"""Read-side helpers: an object's sync records and status, for pages and the JSON API.

``sync_records_for(obj)`` is a Jinja global (registered by the sync blueprint) and
``sync_status_for(obj) -> dict | None`` feeds the JSON API (helper-3's ``/api``).
"""

from __future__ import annotations

import sqlalchemy as sa

from host.extensions import db
from host.models.connection import Connection
from host.models.sync_record import STATUS_LABELS, SyncRecord

_TYPES = {"Invoice": ("invoice", "invoice_void"), "CreditNote": ("credit_note",),
          "Payment": ("payment",)}


def object_types_for(obj) -> tuple[str, ...]:
    return _TYPES.get(type(obj).__name__, ())


def sync_records_for(obj) -> list[SyncRecord]:
    """Every sync record of ``obj`` (all connections), newest connection first."""
    types = object_types_for(obj)
    if not types or getattr(obj, "id", None) is None:
        return []
    return list(db.session.scalars(
        sa.select(SyncRecord)
        .where(SyncRecord.object_type.in_(types), SyncRecord.object_id == obj.id)
        .order_by(SyncRecord.connection_id.desc(), SyncRecord.object_type)
    ))


def primary_record(obj) -> SyncRecord | None:
    """The record that describes ``obj`` at its business unit's current connection (or the
    most recent one)."""
    kind = object_types_for(obj)[:1]
    records = [r for r in sync_records_for(obj) if r.object_type in kind]
    if not records:
        return None
    active = [r for r in records if r.connection.is_active]
    return (active or records)[0]


def unsynced_reason(invoice) -> dict | None:
    """For a sent invoice without a record at its active connection: why (sent before the
    integration was connected), so the panel can offer Push."""
    if type(invoice).__name__ != "Invoice" or invoice.status in ("draft", "approved", "void"):
        return None
    from host.sync.outbox import EXCLUDED_BEFORE_CONNECT, active_connection

    connection = active_connection(invoice.business_unit_id)
    if connection is None:
        return None
    return {"connection": connection, "reason": EXCLUDED_BEFORE_CONNECT}


def record_dict(record: SyncRecord) -> dict:
    connection: Connection = record.connection
    error = None
    if record.error_category and record.status in ("failed", "waiting_reauth", "pending"):
        error = {"category": record.error_category, "message": record.error_message,
                 "fix": record.error_fix, "code": record.error_code}
    return {
        "id": record.id,
        "connection_id": record.connection_id,
        "provider": connection.provider_key,
        "object_type": record.object_type,
        "status": record.status,
        "status_label": STATUS_LABELS.get(record.status, record.status),
        "attempts": record.attempts,
        "next_attempt_at": _iso(record.next_attempt_at),
        "external_id": record.external_id,
        "number": record.number,
        "deep_link": record.deep_link,
        "note": record.note,
        "differences": record.difference_list,
        "emailed": record.emailed,
        "excluded_reason": record.excluded_reason,
        "provider_state": record.provider_state,
        "error": error,
        "synced_at": _iso(record.synced_at),
        "updated_at": _iso(record.updated_at),
    }


def sync_status_for(obj) -> dict | None:
    """The primary record of ``obj`` as a JSON-ready dict (None: never synced anywhere)."""
    record = primary_record(obj)
    return record_dict(record) if record is not None else None


def _iso(value):
    return value.isoformat() + "Z" if value is not None else None


def record_labels(records) -> dict[int, str]:
    """Human labels ("Invoice INV-0001") for rows of records (sync overview, the page of a
    previous connection)."""
    from host.models import CreditNote, Invoice, Payment

    models = {"invoice": Invoice, "invoice_void": Invoice, "credit_note": CreditNote,
              "payment": Payment}
    names = {"invoice": "Invoice", "invoice_void": "Void of invoice",
             "credit_note": "Credit note", "payment": "Payment"}
    labels = {}
    for record in records:
        obj = db.session.get(models[record.object_type], record.object_id)
        ident = getattr(obj, "number", None) or f"#{record.object_id}"
        labels[record.id] = f"{names[record.object_type]} {ident}"
    return labels
