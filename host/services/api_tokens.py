"""Per-user API tokens: shown once at creation, stored as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa

from host.extensions import db
from host.models import ApiToken, User
from host.models.mixins import utcnow

PREFIX = "psa_"
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str, *, commit: bool = True) -> tuple[ApiToken, str]:
    """Create a token for ``user``; returns the row and the plaintext (never stored)."""
    plaintext = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name.strip() or "token", prefix=plaintext[:10],
                   token_hash=hash_token(plaintext))
    db.session.add(row)
    if commit:
        db.session.commit()
    return row, plaintext


def user_for_token(plaintext: str) -> User | None:
    """The active user owning ``plaintext``, or None. Records the last use (to the minute);
    the caller commits."""
    if not plaintext:
        return None
    row = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(plaintext))
    ).scalar_one_or_none()
    if row is None or not row.is_active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now  # at most one write a minute: reads stay reads
    return row.user


def revoke_token(row: ApiToken, *, commit: bool = True) -> None:
    row.revoked_at = row.revoked_at or utcnow()
    if commit:
        db.session.commit()
