"""Organization-scoped lookups shared by pages and the API (tenant isolation in one place)."""

from __future__ import annotations

import sqlalchemy as sa

from host.extensions import db
from host.services.validation import id_in_range


def org_rows(model, org_id: int, *order_by, active_only: bool = False):
    """All rows of ``model`` in organization ``org_id`` (optionally only ``active`` ones)."""
    stmt = sa.select(model).where(model.organization_id == org_id)
    if active_only:
        stmt = stmt.where(model.active.is_(True))
    if order_by:
        stmt = stmt.order_by(*order_by)
    return db.session.execute(stmt).scalars().all()


def org_get(model, org_id: int, object_id) -> object | None:
    """The row ``object_id`` of ``model`` if it belongs to ``org_id``, else None (also for a
    value that cannot be an id, such as ``"abc"`` or a number beyond the id column)."""
    object_id = id_in_range(object_id)
    if object_id is None:
        return None
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "organization_id", None) != org_id:
        return None
    return obj
