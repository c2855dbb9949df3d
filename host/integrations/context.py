"""Template context for integrations: the Reconnect banner shown on every page, provider
labels, and the ``fix_links`` filter (``host.integrations.fix_links``).

When a connection of the current user's organization is ``needs_reauth``, the base layout's
``{% block banner %}`` includes ``integrations/_banner.html`` with ``reauth_connections``.
"""

from __future__ import annotations

from flask import Flask


def reauth_connections():
    """Connections of the current organization that need the admin to reconnect."""
    from flask_login import current_user

    from host.extensions import db
    from host.models import BusinessUnit, Connection

    if not getattr(current_user, "is_authenticated", False):
        return []
    return db.session.scalars(
        db.select(Connection).join(BusinessUnit)
        .where(BusinessUnit.organization_id == current_user.organization_id,
               Connection.status == "needs_reauth")
        .order_by(Connection.id)
    ).all()


def provider_label(key: str) -> str:
    from host.integrations.registry import get_registry

    info = get_registry().get(key)
    return info.label if info else key


def init_app(app: Flask) -> None:
    from host.integrations.fix_links import fix_links

    app.add_template_filter(fix_links)

    @app.context_processor
    def integrations_context():
        return {"reauth_connections": reauth_connections, "provider_label": provider_label}
