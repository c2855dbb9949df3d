"""``Idempotency-Key`` for API creates: a retried request gets the first answer, not a second record.

The key is scoped to the organization. The stored answer is written in the same transaction as
the record it describes (``remember`` adds it to the session; the caller commits once), so a
failed request stores nothing and can be retried with the same key. The same key with a
different request (method, path or body) is refused. A key is kept for ``RETENTION`` (a day,
as payment APIs do); after that it is free again and its old answer is dropped when it is reused.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from host.extensions import db
from host.models.idempotency_key import KEY_MAX_LENGTH, IdempotencyKey
from host.models.mixins import utcnow
from host.services.errors import InvalidField

HEADER = "Idempotency-Key"
RETENTION = timedelta(hours=24)


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > KEY_MAX_LENGTH or not key.isprintable():
        raise InvalidField(HEADER, f"{HEADER} must be 1 to {KEY_MAX_LENGTH} printable characters.")
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\0".join([method.encode(), path.encode(), body])).hexdigest()


def stored_answer(organization_id: int, key: str, request_fingerprint: str) -> IdempotencyKey | None:
    """The first answer for ``key``, or None when the key is new.

    Raises ``InvalidField`` (422) when the key was used for a different request.
    """
    row = db.session.execute(
        sa.select(IdempotencyKey).where(IdempotencyKey.organization_id == organization_id,
                                        IdempotencyKey.key == key)
    ).scalar_one_or_none()
    if row is not None and row.created_at < utcnow() - RETENTION:
        db.session.delete(row)  # expired: the key is free again (deleted with this request's commit)
        db.session.flush()
        return None
    if row is not None and row.fingerprint != request_fingerprint:
        raise InvalidField(HEADER, f"{HEADER} {key!r} was already used for a different request.")
    return row


def remember(organization_id: int, key: str, request_fingerprint: str, status_code: int,
             body: str) -> None:
    """Add the answer to the session (committed with the record it describes)."""
    db.session.add(IdempotencyKey(organization_id=organization_id, key=key,
                                  fingerprint=request_fingerprint, status_code=status_code,
                                  response_body=body))


def purge_expired() -> int:
    """Delete stored answers older than :data:`RETENTION` (the worker's hourly housekeeping).
    Commits."""
    result = db.session.execute(sa.delete(IdempotencyKey).where(
        IdempotencyKey.created_at < utcnow() - RETENTION))
    db.session.commit()
    return result.rowcount
