"""Read-side helpers: an object's sync records and status, for pages and the JSON API.

``sync_records_for(obj)`` is a Jinja global (registered by the sync blueprint) and
``sync_status_for(obj) -> dict | None`` feeds the JSON API (helper-3's ``/api``).

An invoice's records are its own, its void's and those of the payments recorded here and
pushed to the provider (``on_payment``): the invoice's sync panel shows all of them, each with
its status, error and fix, Retry and history. Lists of records (the sync overview, the held
list, a previous connection's page) name each one with :func:`record_labels` and link it to
the host page that shows its panel with :func:`record_page_url`.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import url_for

from host.extensions import db
from host.models.connection import Connection
from host.models.sync_record import STATUS_LABELS, SyncRecord

_TYPES = {"Invoice": ("invoice", "invoice_void"), "CreditNote": ("credit_note",),
          "Payment": ("payment",)}


def object_types_for(obj) -> tuple[str, ...]:
    return _TYPES.get(type(obj).__name__, ())


def sync_records_for(obj) -> list[SyncRecord]:
    """Every sync record of ``obj`` (all connections), newest connection first; an invoice's
    come first, then its void's, then its payments' (oldest payment first)."""
    types = object_types_for(obj)
    if not types or getattr(obj, "id", None) is None:
        return []
    mine = sa.and_(SyncRecord.object_type.in_(types), SyncRecord.object_id == obj.id)
    if type(obj).__name__ == "Invoice":
        from host.models import Payment

        payments = sa.select(Payment.id).where(Payment.invoice_id == obj.id)
        mine = sa.or_(mine, sa.and_(SyncRecord.object_type == "payment",
                                    SyncRecord.object_id.in_(payments)))
    return list(db.session.scalars(
        sa.select(SyncRecord).where(mine)
        .order_by(SyncRecord.connection_id.desc(), SyncRecord.object_type,
                  SyncRecord.object_id)
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
    """Human labels ("Invoice INV-0001", "Payment of 50.00 on INV-0001") for rows of records
    (sync overview, the held list, the page of a previous connection)."""
    from host.models import Client, CreditNote, Invoice, Payment, ServiceType

    models = {"invoice": Invoice, "invoice_void": Invoice, "credit_note": CreditNote,
              "payment": Payment, "client": Client, "service_type": ServiceType}
    names = {"invoice": "Invoice", "invoice_void": "Void of invoice",
             "credit_note": "Credit note", "client": "Client", "service_type": "Service type"}
    labels = {}
    for record in records:
        obj = db.session.get(models[record.object_type], record.object_id)
        if record.object_type == "payment" and obj is not None:
            labels[record.id] = f"Payment of {obj.amount} on {obj.invoice.number}"
            continue
        ident = (getattr(obj, "number", None) or getattr(obj, "name", None)
                 or f"#{record.object_id}")
        labels[record.id] = f"{names.get(record.object_type, 'Payment')} {ident}"
    return labels


def record_page_url(record: SyncRecord) -> str | None:
    """The host page showing ``record`` on its sync panel: the invoice's page for an invoice,
    its void and its payments; the credit note's page for a credit note; a client's or service
    type's form for its push (two-way sync). None when the host object is gone."""
    from host.models import Payment

    if record.object_type == "client":
        return url_for("clients.edit", client_id=record.object_id)
    if record.object_type == "service_type":
        return url_for("settings.service_type_form", row_id=record.object_id)
    if record.object_type == "credit_note":
        return url_for("credit_notes.show", credit_note_id=record.object_id)
    if record.object_type == "payment":
        payment = db.session.get(Payment, record.object_id)
        if payment is None:
            return None
        return url_for("invoices.show", invoice_id=payment.invoice_id)
    return url_for("invoices.show", invoice_id=record.object_id)
