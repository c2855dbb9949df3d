"""External references and admin-chosen mappings of a connection (the OCA "binder", generic).

* :class:`ExternalRefRow` (table ``external_refs``): what the plugin remembered after pushing a
  host record (``connection.refs.remember("customer", client.id, "58")``). Unique on
  ``(connection_id, kind, host_id)``; looked up backwards by ``(connection_id, kind,
  external_id)``.
* :class:`ConnectionMapping` (table ``mappings``): what an admin chose on the Manage page (service type 3
  -> QuickBooks item "12"). Unique on ``(connection_id, kind, host_id)``; read by plugins with
  ``connection.mapping(kind, host_id)``.

``host_id`` is a string so that keys other than integer ids (a class label) fit too.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db
from host.models.mixins import Timestamps


class ExternalRefRow(Timestamps, db.Model):
    __tablename__ = "external_refs"
    __table_args__ = (
        sa.UniqueConstraint("connection_id", "kind", "host_id"),
        sa.Index("ix_external_refs_lookup_external", "connection_id", "kind", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), nullable=False
    )
    kind: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    host_id: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    external_id: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    def __repr__(self) -> str:
        return f"<ExternalRef c{self.connection_id} {self.kind} {self.host_id}->{self.external_id}>"


class ConnectionMapping(Timestamps, db.Model):
    __tablename__ = "mappings"
    __table_args__ = (sa.UniqueConstraint("connection_id", "kind", "host_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        sa.ForeignKey("connections.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    host_id: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    external_id: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    external_label: Mapped[str] = mapped_column(sa.String(300), nullable=False, default="")
    chosen_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<Mapping c{self.connection_id} {self.kind} {self.host_id}->{self.external_id}>"
