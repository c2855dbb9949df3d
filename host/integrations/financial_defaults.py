"""Provider settings shown under Settings > Financials > GL Accounts.

A provider lists in ``ProviderInfo.financial_settings`` the settings-form fields an accountant
expects next to the chart of accounts (Xero: the default revenue account). The GL Accounts page
renders just those fields of the plugin's own form, for every active connection of the
organization, and saves them into the connection's settings like the Manage page does. The
plugin's validators (``validate_<field>`` included) run on the fields shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from host.contract.errors import PluginFailure, ProviderError
from host.extensions import db
from host.integrations.dispatch import build_settings_form
from host.integrations.handle import handle_for
from host.integrations.registry import get_registry
from host.models import BusinessUnit, Connection
from host.models.connection import ACTIVE_STATUSES


@dataclass
class DefaultsPanel:
    connection: Connection
    info: Any
    form: Any = None
    error: str = ""

    @property
    def fields(self) -> list:
        if self.form is None:
            return []
        return [self.form[name] for name in self.info.financial_settings if name in self.form]


def connections_for(org_id: int) -> list[tuple[Connection, Any]]:
    """Active connections of the organization whose provider declares financial settings."""
    registry = get_registry()
    rows = db.session.scalars(
        db.select(Connection).join(BusinessUnit, Connection.business_unit_id == BusinessUnit.id)
        .where(BusinessUnit.organization_id == org_id, Connection.status.in_(ACTIVE_STATUSES),
               Connection.setup_complete.is_(True))
        .order_by(BusinessUnit.name)
    ).all()
    out = []
    for conn in rows:
        info = registry[conn.provider_key] if conn.provider_key in registry else None
        if info is not None and info.financial_settings:
            out.append((conn, info))
    return out


def panel(conn: Connection, info, formdata=None) -> DefaultsPanel:
    """The plugin's settings form for ``conn`` (fields outside ``financial_settings`` keep
    their saved values). Provider errors and plugin failures become ``panel.error`` instead of
    a broken page."""
    handle = handle_for(conn)
    try:
        return DefaultsPanel(conn, info, build_settings_form(info, handle, formdata))
    except (ProviderError, PluginFailure) as exc:
        return DefaultsPanel(conn, info, error=exc.message)
    finally:
        handle.close()


def save(p: DefaultsPanel) -> bool:
    """Validate the shown fields; store them in the connection's settings. True when saved."""
    ok = True
    for field in p.fields:
        # WTForms calls inline validators as ``validator(form, field)``: take the function
        # from the class (a bound method would get the form twice), as Form.validate does.
        inline = getattr(type(p.form), f"validate_{field.name}", None)
        if not field.validate(p.form, [inline] if inline else []):
            ok = False
    if not ok:
        return False
    data = p.form.settings_data()
    p.connection.settings = {**(p.connection.settings or {}),
                             **{f.name: data[f.name] for f in p.fields}}
    db.session.commit()
    return True
