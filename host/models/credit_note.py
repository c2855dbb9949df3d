"""CreditNote: reduces what the client owes on one invoice (counts as settled)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Money, Percent, Quantity, Timestamps
from host.models.priced import PricedDocument, PricedLine


class CreditNote(PricedDocument, Timestamps, db.Model):
    __tablename__ = "credit_notes"
    __table_args__ = (sa.UniqueConstraint("organization_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id"), nullable=False, index=True
    )
    number: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    issue_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="issued")

    invoice = relationship("Invoice", back_populates="credit_notes")
    lines = relationship(
        "CreditNoteLine", back_populates="credit_note", order_by="CreditNoteLine.position",
        cascade="all, delete-orphan",
    )

    @property
    def currency(self) -> str:
        return self.invoice.currency

    @property
    def business_unit(self):
        return self.invoice.business_unit

    def __repr__(self) -> str:
        return f"<CreditNote {self.id} {self.number}>"


class CreditNoteLine(PricedLine, db.Model):
    __tablename__ = "credit_note_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    credit_note_id: Mapped[int] = mapped_column(
        sa.ForeignKey("credit_notes.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    invoice_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoice_lines.id"))
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0"))
    service_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_types.id"))
    tax_rate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tax_rates.id"))
    gl_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gl_accounts.id"))
    class_label: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")

    credit_note = relationship("CreditNote", back_populates="lines")
    invoice_line = relationship("InvoiceLine")
    service_type = relationship("ServiceType")
    tax_rate = relationship("TaxRate")
    gl_account = relationship("GLAccount")

