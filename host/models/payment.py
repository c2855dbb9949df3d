"""Payment: money received against one invoice, typed in the host or reported by a provider.

Provider payments carry the connection and the provider's id; the unique constraint on
``(connection_id, external_id, invoice_id)`` makes recording them idempotent (one provider
payment may be split across several invoices). A provider payment voided later is kept with
``status="reversed"``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Money, Timestamps

SOURCES = ("host", "provider")
STATUSES = ("recorded", "reversed")


class Payment(Timestamps, db.Model):
    __tablename__ = "payments"
    __table_args__ = (sa.UniqueConstraint("connection_id", "external_id", "invoice_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id"), nullable=False, index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    source: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="host")
    #: "payment" or "credit" (a provider-side credit applied to the invoice).
    kind: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="payment")
    connection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connections.id"))
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    reference: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="recorded")
    reversed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    invoice = relationship("Invoice", back_populates="payments")
    connection = relationship("Connection")

    @property
    def currency(self) -> str:
        return self.invoice.currency

    @property
    def business_unit(self):
        return self.invoice.business_unit

    def __repr__(self) -> str:
        return f"<Payment {self.id} {self.amount} {self.source} {self.status}>"
