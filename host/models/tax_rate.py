"""TaxRate: a named sales tax / VAT percentage applied per invoice line."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db
from host.models.mixins import Percent, Timestamps
from host.numbers import plain_decimal


class TaxRate(Timestamps, db.Model):
    __tablename__ = "tax_rates"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    rate: Mapped[Decimal] = mapped_column(Percent, nullable=False, default=Decimal("0"))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    @property
    def label(self) -> str:
        return f"{self.name} ({plain_decimal(self.rate)} %)"

    def __repr__(self) -> str:
        return f"<TaxRate {self.id} {self.name!r} {self.rate}>"
