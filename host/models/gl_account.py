"""GLAccount: the organization's chart of (income) accounts, by code and name."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db
from host.models.mixins import Timestamps


class GLAccount(Timestamps, db.Model):
    __tablename__ = "gl_accounts"
    __table_args__ = (sa.UniqueConstraint("organization_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    code: Mapped[str] = mapped_column(sa.String(30), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=True)

    @property
    def label(self) -> str:
        return f"{self.code} · {self.name}"

    def __repr__(self) -> str:
        return f"<GLAccount {self.id} {self.code} {self.name!r}>"
