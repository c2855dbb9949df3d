"""Pending OAuth authorizations, kept server-side and spent once.

:func:`remember` stores a started authorization (``state`` -> who, where, PKCE verifier);
:func:`consume` claims it for exactly one callback with a conditional UPDATE
(``... WHERE consumed_at IS NULL``: the request whose UPDATE changed the row wins), so a
replayed callback (an old session cookie, a double click, a browser retry) is told the
authorization was already used and never reaches the provider's token endpoint: spending a
code twice makes QuickBooks revoke the whole grant. Rows older than :data:`TTL` are deleted,
whether they were used or abandoned at the provider's consent screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from host.extensions import db
from host.models.mixins import utcnow
from host.models.oauth_authorization import OAuthAuthorization

#: How long an admin may take at the provider's consent screen.
TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class Claim:
    """The outcome of :func:`consume`: ``flow`` is set only for the one callback that won."""

    flow: OAuthAuthorization | None
    already_used: bool = False


def remember(*, state: str, provider_key: str, business_unit, user, code_verifier: str | None,
             redirect_uri: str, reconnect_connection_id: int | None) -> OAuthAuthorization:
    purge_expired()
    row = OAuthAuthorization(
        state=state, provider_key=provider_key, organization_id=business_unit.organization_id,
        business_unit_id=business_unit.id, user_id=user.id, code_verifier=code_verifier,
        redirect_uri=redirect_uri, reconnect_connection_id=reconnect_connection_id)
    db.session.add(row)
    db.session.commit()
    return row


def consume(state: str, provider_key: str, user) -> Claim:
    """Claim the authorization ``state`` for this callback (commits)."""
    purge_expired()
    table = OAuthAuthorization.__table__
    row = db.session.scalars(sa.select(OAuthAuthorization).filter_by(
        state=state or "", provider_key=provider_key, user_id=user.id,
        organization_id=user.organization_id)).first()
    if row is None:
        return Claim(None)
    won = db.session.execute(
        table.update().where(table.c.id == row.id, table.c.consumed_at.is_(None))
        .values(consumed_at=utcnow())).rowcount == 1
    db.session.commit()
    if not won:
        return Claim(None, already_used=True)
    db.session.refresh(row)
    db.session.expunge(row)  # a plain record from here on: later commits never reload it
    return Claim(row)


def purge_expired() -> int:
    """Delete authorizations older than :data:`TTL` (used or abandoned). Commits."""
    result = db.session.execute(sa.delete(OAuthAuthorization).where(
        OAuthAuthorization.created_at < utcnow() - TTL))
    db.session.commit()
    return result.rowcount
