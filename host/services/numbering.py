"""Per-organization sequential document numbers: INV-0001, CN-0001 ..."""

from __future__ import annotations

import sqlalchemy as sa

from host.extensions import db

INVOICE_PREFIX = "INV-"
CREDIT_NOTE_PREFIX = "CN-"


def next_number(model, organization_id: int, prefix: str) -> tuple[int, str]:
    """The next ``(sequence, number)`` for ``model`` in an organization.

    The unique constraint on ``(organization_id, number)`` is the guard against two concurrent
    requests taking the same number: the second commit fails instead of duplicating it.
    """
    with db.session.no_autoflush:
        current = db.session.execute(
            sa.select(sa.func.max(model.sequence)).where(model.organization_id == organization_id)
        ).scalar()
    pending = [
        obj.sequence for obj in db.session.new
        if isinstance(obj, model) and obj.organization_id == organization_id and obj.sequence
    ]
    sequence = max([current or 0, *pending]) + 1
    return sequence, f"{prefix}{sequence:04d}"
