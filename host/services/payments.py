"""Payments against invoices: typed in the host, or reported by the accounting provider.

``record_payment(source="provider", connection_id=..., external_id=...)`` is idempotent: the
same provider payment recorded twice for the same invoice returns the first row, also when two
workers record it at the same moment (``INSERT ... ON CONFLICT DO NOTHING`` on the unique
constraint). A provider payment voided later is reversed with ``reverse_provider_payment``.
"""

from __future__ import annotations

from datetime import date as date_type

import sqlalchemy as sa

from host import events
from host.extensions import db
from host.models import Invoice, Payment
from host.models.dialect_insert import insert_for
from host.models.mixins import utcnow
from host.services import validation
from host.services.errors import DomainError, InvalidField, InvalidTransition
from host.services.invoicing import SETTLEABLE, settle_status


def record_payment(invoice: Invoice, amount, date: date_type | None = None, source: str = "host",
                   external_id: str | None = None, connection_id: int | None = None, *,
                   reference: str = "", kind: str = "payment", recorded_by=None,
                   commit: bool = True) -> Payment:
    """Record ``amount`` received on ``invoice`` and move it to partially_paid / paid.

    ``source="host"``: a user typed it; it must not exceed the balance. ``source="provider"``:
    it came from the accounting system (give ``connection_id`` and ``external_id``); it is
    recorded as reported (rounded to the currency's minor units), once. ``amount`` and ``date``
    go through ``host.services.validation`` whoever calls. Sends ``events.payment_recorded(sender=payment, source=...)``
    before the commit.
    """
    if source not in ("host", "provider"):
        raise DomainError(f"Unknown payment source {source!r}.")
    amount = validation.money(amount, "amount", currency=invoice.currency, positive=True,
                              rounding=source == "provider")
    date = validation.day(date, "date")
    reference_max = validation.column_length(Payment.reference)
    if source == "provider":  # recorded as reported: a long provider reference is cut, not refused
        reference = str(reference or "")[:reference_max]
    else:
        reference = validation.text(reference, "reference", reference_max)
    if source == "provider":
        if connection_id is None or not external_id:
            raise DomainError("A provider payment needs connection_id and external_id.")
        existing = find_provider_payment(invoice.id, connection_id, external_id)
        if existing is not None:
            return existing
    if invoice.status not in SETTLEABLE:
        raise InvalidTransition(
            f"Payments can be recorded on sent invoices; this one is {invoice.status.replace('_', ' ')}.")
    if source == "host" and amount > invoice.balance:
        raise InvalidField("amount",
                           f"The payment ({amount}) is more than the balance ({invoice.balance}).")
    values = dict(
        organization_id=invoice.organization_id, invoice_id=invoice.id, amount=amount,
        date=date or date_type.today(), source=source, kind=kind, connection_id=connection_id,
        external_id=external_id, reference=reference or "", status="recorded",
        recorded_by_id=recorded_by.id if recorded_by is not None else None,
    )
    if source == "provider":
        payment = _insert_provider_payment(values)
        if payment is None:  # a concurrent worker recorded the same provider payment first
            return find_provider_payment(invoice.id, connection_id, external_id)
    else:
        payment = Payment(invoice=invoice, **values)
        db.session.add(payment)
    settle_status(invoice)
    db.session.flush()
    events.payment_recorded.send(payment, source=source)
    if commit:
        db.session.commit()
    return payment


def _insert_provider_payment(values: dict) -> Payment | None:
    """``INSERT ... ON CONFLICT DO NOTHING`` on ``(connection_id, external_id, invoice_id)``:
    the unique constraint, not a look-up before the insert, decides which worker records a
    provider payment, so two deliveries of it at once record it once and neither fails.
    Returns the new row, or None when it already existed."""
    table = Payment.__table__
    now = utcnow()
    stmt = insert_for(db.session.connection(), table).values(
        created_at=now, updated_at=now, **values,
    ).on_conflict_do_nothing(index_elements=["connection_id", "external_id", "invoice_id"])
    result = db.session.execute(stmt)
    if result.rowcount != 1:
        return None
    payment = db.session.get(Payment, result.inserted_primary_key[0])
    db.session.expire(payment.invoice, ["payments"])  # the collection now holds the new row
    return payment


def find_provider_payment(invoice_id: int, connection_id: int, external_id: str) -> Payment | None:
    return db.session.execute(
        sa.select(Payment).where(
            Payment.invoice_id == invoice_id,
            Payment.connection_id == connection_id,
            Payment.external_id == external_id,
        )
    ).scalar_one_or_none()


def reverse_payment(payment: Payment, *, commit: bool = True) -> Payment:
    """Mark ``payment`` reversed (voided at the provider) and recompute the invoice status."""
    if payment.status != "reversed":
        payment.status = "reversed"
        payment.reversed_at = utcnow()
        settle_status(payment.invoice)
    if commit:
        db.session.commit()
    return payment


def reverse_provider_payment(connection_id: int, external_id: str, *,
                             commit: bool = True) -> list[Payment]:
    """Reverse every allocation of one provider payment; returns the reversed rows."""
    rows = db.session.execute(
        sa.select(Payment).where(
            Payment.connection_id == connection_id, Payment.external_id == external_id)
    ).scalars().all()
    for row in rows:
        reverse_payment(row, commit=False)
    if commit:
        db.session.commit()
    return list(rows)

