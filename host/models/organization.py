"""Organization: the tenant of the host. Everything a user sees belongs to one."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps


class Organization(Timestamps, db.Model):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, default="USD")
    default_due_days: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=30)

    business_units = relationship(
        "BusinessUnit", back_populates="organization", order_by="BusinessUnit.name"
    )

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name!r}>"
