"""Project: work for one client, invoiced by one business unit under its contract lines."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Timestamps


class Project(Timestamps, db.Model):
    __tablename__ = "projects"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), nullable=False, index=True)
    business_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_units.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    #: Payment terms in days; None means the organization's ``default_due_days``.
    due_days: Mapped[int | None] = mapped_column(sa.Integer)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    client = relationship("Client", back_populates="projects")
    business_unit = relationship("BusinessUnit")
    organization = relationship("Organization")
    contract_lines = relationship(
        "ContractLine", back_populates="project", order_by="ContractLine.position",
        cascade="all, delete-orphan",
    )

    @property
    def effective_due_days(self) -> int:
        if self.due_days is not None:
            return self.due_days
        return self.organization.default_due_days

    def __repr__(self) -> str:
        return f"<Project {self.id} {self.name!r}>"
