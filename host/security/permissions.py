"""Who may do what: login for everything, admin for settings, one organization per user."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required


def admin_required(view):
    """Logged in and admin, else 403 (401/redirect to login when not logged in)."""

    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def org_get_or_404(model, object_id):
    """Load ``model`` by id only if it belongs to the current user's organization.

    Models either carry ``organization_id`` directly or are reached through a business unit.
    Another organization's record is a 404, never a 403: its existence is not disclosed.
    """
    from host.extensions import db
    from host.services.validation import id_in_range

    object_id = id_in_range(object_id)
    obj = db.session.get(model, object_id) if object_id is not None else None
    if obj is None or org_id_of(obj) != current_user.organization_id:
        abort(404)
    return obj


def org_id_of(obj) -> int | None:
    if hasattr(obj, "organization_id"):
        return obj.organization_id
    bu = getattr(obj, "business_unit", None)
    if bu is not None:
        return bu.organization_id
    return None
