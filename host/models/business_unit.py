"""BusinessUnit: a part of an organization that invoices on its own and has at most one
active financial integration."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps


class BusinessUnit(Timestamps, db.Model):
    __tablename__ = "business_units"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    organization = relationship("Organization", back_populates="business_units")

    def __repr__(self) -> str:
        return f"<BusinessUnit {self.id} {self.name!r}>"
