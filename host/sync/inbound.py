"""Apply what changed at the provider (a ``ChangeSet``) to the host.

* Each payment allocation finds the host invoice through the synced invoice record with that
  external id on this connection, and records the money once
  (``record_payment(source="provider", external_id="<payment id>:<invoice id>")`` is
  idempotent, so a webhook delivered twice plus a reconcile pass record it once). Source
  ``provider`` is never pushed back. A payment voided at the provider is reversed.
* Payments and credit notes this host pushed itself are skipped (no echo: the host already
  has them).
* Invoice states: ``voided`` / ``deleted`` at the provider are marked on the sync record and
  shown on the invoice (the host never re-creates them silently); ``differs`` notes that the
  provider's copy was edited there.
* ``cursor`` is stored on the connection for the next reconcile pass.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from host.extensions import db
from host.models.sync_record import SyncRecord
from host.services.errors import DomainError

log = logging.getLogger(__name__)

STATE_TEXT = {
    "voided": "Voided at the provider. The host invoice was not changed; void it here too if "
              "that was intended.",
    "deleted": "Deleted at the provider. It will not be re-created automatically; if it was "
               "deleted by mistake, void this invoice here and issue a new one.",
    "differs": "Edited at the provider: its amounts or lines no longer match this invoice.",
}


@dataclass
class Applied:
    payments_recorded: int = 0
    payments_reversed: int = 0
    unknown_invoices: list[str] = field(default_factory=list)
    states: int = 0


def record_for_external(connection_id: int, external_id: str,
                        object_type: str = "invoice") -> SyncRecord | None:
    return db.session.scalars(sa.select(SyncRecord).filter_by(
        connection_id=connection_id, object_type=object_type, external_id=external_id,
    )).first()


def apply_changes(connection, changes) -> Applied:
    applied = Applied()
    if changes is None:
        db.session.commit()
        return applied
    record_payments(connection, changes.payments, applied)
    for state in changes.invoices:
        record = record_for_external(connection.id, state.external_id)
        if record is None:
            continue
        new_state = state.status if state.status in ("voided", "deleted") else (
            "differs" if state.differs else None)
        if new_state != record.provider_state:
            record.provider_state = new_state
            record.provider_state_detail = STATE_TEXT.get(new_state) if new_state else None
            record.log("provider_state", STATE_TEXT.get(new_state, "Matches the provider again."))
            applied.states += 1
        if state.version:
            record.version = state.version
    if changes.cursor:
        connection.reconcile_cursor = changes.cursor
    db.session.commit()
    return applied


def record_payments(connection, payments, applied: Applied | None = None) -> Applied:
    """Record the provider's ``payments`` on the host invoices they pay (no commit). Each
    allocation is recorded once (``<payment id>:<invoice id>``), so the same payment reported
    by a webhook, a reconcile pass and an imported invoice (``InboundInvoice.payments``) is
    recorded once."""
    from host.models import Invoice
    from host.services import payments as payment_service

    applied = applied if applied is not None else Applied()
    for payment in payments:
        own_type = "credit_note" if payment.kind == "credit" else "payment"
        if record_for_external(connection.id, payment.external_id, own_type) is not None:
            continue  # pushed from the host (a payment or credit note typed here): no echo
        if payment.voided:
            rows = payment_service.reverse_provider_payment(
                connection.id, payment.external_id, commit=False)
            prefixed = payment_service_rows(connection.id, f"{payment.external_id}:")
            for row in prefixed:
                payment_service.reverse_payment(row, commit=False)
            applied.payments_reversed += len(rows) + len(prefixed)
            continue
        for allocation in payment.allocations:
            record = record_for_external(connection.id, allocation.invoice_external_id)
            if record is None:
                applied.unknown_invoices.append(allocation.invoice_external_id)
                continue
            invoice = db.session.get(Invoice, record.object_id)
            if invoice is None or allocation.amount <= 0:
                continue
            external_id = f"{payment.external_id}:{allocation.invoice_external_id}"
            if payment_service.find_provider_payment(invoice.id, connection.id, external_id):
                continue
            try:
                payment_service.record_payment(
                    invoice, allocation.amount, payment.date, source="provider",
                    external_id=external_id, connection_id=connection.id,
                    reference=payment.reference or "",
                    kind="credit" if payment.kind == "credit" else "payment", commit=False,
                )
            except DomainError as exc:  # e.g. the host invoice was voided
                log.warning("payment %s not recorded on invoice %s: %s",
                            external_id, invoice.id, exc)
                record.log("payment_skipped", f"A payment from the provider ({external_id}) "
                           f"could not be recorded: {exc}")
                continue
            record.log("payment", f"Payment of {allocation.amount} received at the provider.")
            applied.payments_recorded += 1
    return applied


def payment_service_rows(connection_id: int, prefix: str):
    from host.models import Payment

    return list(db.session.scalars(sa.select(Payment).where(
        Payment.connection_id == connection_id,
        Payment.external_id.like(prefix.replace("%", r"\%") + "%", escape="\\"),
        Payment.status != "reversed",
    )))
