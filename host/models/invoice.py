"""Invoice and its lines. Amounts are Decimal; totals are computed by ``host.services.totals``.

Status: ``draft`` -> ``approved`` -> ``sent`` -> ``partially_paid`` / ``paid`` (money received),
or ``partially_credited`` / ``credited`` (settled by credits alone); ``void`` from
approved or sent while nothing is paid. Status changes go through ``host.services.invoicing``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Money, Percent, Quantity, Timestamps
from host.models.priced import PricedDocument, PricedLine
from host.services import totals

STATUSES = ("draft", "approved", "sent", "partially_paid", "paid", "partially_credited", "credited",
            "void")


class Invoice(PricedDocument, Timestamps, db.Model):
    __tablename__ = "invoices"
    __table_args__ = (sa.UniqueConstraint("organization_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    business_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_units.id"), nullable=False, index=True
    )
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), nullable=False, index=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("projects.id"), index=True)
    number: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    issue_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    due_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(20), nullable=False, default="draft", index=True)
    memo: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    #: The client's reference / PO number.
    reference: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="",
                                           server_default="")
    #: Where the invoice was created: ``"host"``, or the provider key of the ledger it was
    #: imported from (two-way sync; ``source_connection_id`` is that connection).
    source: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="host",
                                        server_default="host")
    source_connection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connections.id"))
    approved_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    voided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    #: Lines changed after the last send: sending again updates the provider's copy.
    changed_since_sent: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    organization = relationship("Organization")
    business_unit = relationship("BusinessUnit")
    client = relationship("Client")
    project = relationship("Project")
    created_by = relationship("User")
    lines = relationship(
        "InvoiceLine", back_populates="invoice", order_by="InvoiceLine.position",
        cascade="all, delete-orphan",
    )
    payments = relationship("Payment", back_populates="invoice", order_by="Payment.id")
    credit_notes = relationship("CreditNote", back_populates="invoice", order_by="CreditNote.id")

    # -- money (computed in one place: host.services.totals) -----------------------------
    @property
    def amount_paid(self) -> Decimal:
        return totals.money_sum(p.amount for p in self.payments if p.status == "recorded")

    @property
    def amount_received(self) -> Decimal:
        """Money paid, without credits applied at the provider (payments of kind "credit")."""
        return totals.money_sum(p.amount for p in self.payments
                                if p.status == "recorded" and p.kind != "credit")

    @property
    def amount_credited(self) -> Decimal:
        return totals.money_sum(cn.total for cn in self.credit_notes if cn.status == "issued")

    @property
    def balance(self) -> Decimal:
        return self.total - self.amount_paid - self.amount_credited

    @property
    def has_payments(self) -> bool:
        return any(p.status == "recorded" for p in self.payments)

    def __repr__(self) -> str:
        return f"<Invoice {self.id} {self.number} {self.status}>"


class InvoiceLine(PricedLine, db.Model):
    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    quantity: Mapped[Decimal] = mapped_column(Quantity, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False)
    discount_percent: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0"))
    service_date: Mapped[date | None] = mapped_column(sa.Date)
    service_type_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_types.id"))
    tax_rate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tax_rates.id"))
    contract_line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("contract_lines.id"))
    #: Explicit account for this line; else the contract line's override, else the service type's.
    gl_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gl_accounts.id"))
    class_label: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")

    invoice = relationship("Invoice", back_populates="lines")
    service_type = relationship("ServiceType")
    tax_rate = relationship("TaxRate")
    contract_line = relationship("ContractLine")
    gl_account = relationship("GLAccount")


    @property
    def effective_gl_account(self):
        if self.gl_account is not None:
            return self.gl_account
        if self.contract_line is not None and self.contract_line.gl_account is not None:
            return self.contract_line.gl_account
        return self.service_type.default_gl_account if self.service_type else None

    @property
    def effective_class_label(self) -> str:
        if self.class_label:
            return self.class_label
        return self.contract_line.class_label if self.contract_line else ""
