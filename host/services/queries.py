"""Organization-scoped lookups shared by pages and the API (tenant isolation in one place)."""

from __future__ import annotations

import sqlalchemy as sa

from host.extensions import db


def org_rows(model, org_id: int, *order_by, active_only: bool = False):
    """All rows of ``model`` in organization ``org_id`` (optionally only ``active`` ones)."""
    stmt = sa.select(model).where(model.organization_id == org_id)
    if active_only:
        stmt = stmt.where(model.active.is_(True))
    if order_by:
        stmt = stmt.order_by(*order_by)
    return db.session.execute(stmt).scalars().all()


def org_get(model, org_id: int, object_id) -> object | None:
    """The row ``object_id`` of ``model`` if it belongs to ``org_id``, else None."""
    try:
        obj = db.session.get(model, int(object_id))
    except (TypeError, ValueError):
        return None
    if obj is None or getattr(obj, "organization_id", None) != org_id:
        return None
    return obj
