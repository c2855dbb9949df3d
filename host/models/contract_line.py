"""ContractLine: what a project bills for one service type, at which rate, booked where."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Money, Timestamps


class ContractLine(Timestamps, db.Model):
    __tablename__ = "contract_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("projects.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_types.id"), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    rate: Mapped[Decimal] = mapped_column(Money, nullable=False)
    #: Overrides the service type's default GL account for this project.
    gl_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gl_accounts.id"))
    tax_rate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tax_rates.id"))
    #: QuickBooks class / Xero tracking option.
    class_label: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")

    project = relationship("Project", back_populates="contract_lines")
    service_type = relationship("ServiceType")
    gl_account = relationship("GLAccount")
    tax_rate = relationship("TaxRate")

    @property
    def effective_gl_account(self):
        return self.gl_account or self.service_type.default_gl_account

    @property
    def label(self) -> str:
        return self.description or self.service_type.name

    def __repr__(self) -> str:
        return f"<ContractLine {self.id} project={self.project_id} {self.rate}>"
