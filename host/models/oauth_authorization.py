"""OAuthAuthorization: one OAuth authorization started here and not yet (or just) finished.

``POST /oauth/<key>/start`` stores the ``state`` with everything the callback needs (who
started it, for which business unit and provider, the PKCE verifier, the redirect URI). The
callback consumes the row atomically (``consumed_at`` is set by a single conditional UPDATE)
*before* the code is exchanged, so a replayed, double-clicked or retried callback never spends
the code a second time. Rows are kept only for ``TTL`` after they were created; see
``host.integrations.oauth_states``.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from host.extensions import db
from host.models.mixins import utcnow


class OAuthAuthorization(db.Model):
    __tablename__ = "oauth_authorizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(sa.String(128), nullable=False, unique=True)
    provider_key: Mapped[str] = mapped_column(sa.String(50), nullable=False)
    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False)
    business_unit_id: Mapped[int] = mapped_column(
        sa.ForeignKey("business_units.id"), nullable=False)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    #: The connection being reconnected (the Reconnect banner), else None (a new connection).
    reconnect_connection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("connections.id"))
    code_verifier: Mapped[str | None] = mapped_column(sa.String(128))
    redirect_uri: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        sa.DateTime, nullable=False, default=utcnow, index=True)
    consumed_at: Mapped[datetime | None] = mapped_column(sa.DateTime)

    def __repr__(self) -> str:
        return f"<OAuthAuthorization {self.id} {self.provider_key} bu={self.business_unit_id}>"
