"""Client: who the organization invoices. The billing contact receives the invoices."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps


class Client(Timestamps, db.Model):
    __tablename__ = "clients"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    billing_contact_name: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    billing_email: Mapped[str] = mapped_column(sa.String(254), nullable=False, default="")
    #: ISO 4217 code of the client's invoices; empty means the organization's currency.
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="")
    #: VAT / tax registration number (synced with the ledger when the admin maps it).
    tax_number: Mapped[str] = mapped_column(sa.String(50), nullable=False, default="",
                                            server_default="")
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    organization = relationship("Organization")
    projects = relationship("Project", back_populates="client", order_by="Project.name")

    @property
    def effective_currency(self) -> str:
        return self.currency or self.organization.currency

    def __repr__(self) -> str:
        return f"<Client {self.id} {self.name!r}>"
