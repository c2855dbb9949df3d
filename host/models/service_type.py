"""ServiceType: a kind of work sold (consulting, support ...), with a SKU and default GL account."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from host.extensions import db
from host.models.mixins import Money, Timestamps


class ServiceType(Timestamps, db.Model):
    __tablename__ = "service_types"
    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    sku: Mapped[str] = mapped_column(sa.String(100), nullable=False, default="")
    default_gl_account_id: Mapped[int | None] = mapped_column(sa.ForeignKey("gl_accounts.id"))
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)
    #: List price per unit (products imported from the ledger bring theirs); None: no price.
    unit_price: Mapped[Decimal | None] = mapped_column(Money)
    #: Sales description (shown on invoice lines by default).
    description: Mapped[str] = mapped_column(sa.String(1000), nullable=False, default="",
                                             server_default="")

    default_gl_account = relationship("GLAccount")

    def __repr__(self) -> str:
        return f"<ServiceType {self.id} {self.name!r}>"
