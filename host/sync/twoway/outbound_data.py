"""The admin's field choices applied to what the host pushes, and the values a push syncs.

Each object's setting (``host.sync.twoway.settings``) says which of the plugin's predefined
field pairs are switched off and which extra pairs the admin added ("Add a mapping"). A push
carries them this way:

* a **switched-off** predefined field goes out **empty** (``ClientData.billing_email == ""``):
  the plugin leaves the provider's value alone (hookspecs ``push_record``: "A predefined field
  the admin switched off arrives empty"). Required host fields (a client's name) are never off;
* an **added pair** ``{"key": SyncField.key, "host_field": ...}`` puts the host field's value
  under the provider field's key in the snapshot's ``fields``
  (``ClientData.fields["TaxId"] == "GB123"``).

:class:`FieldPlan` holds these choices for one push run: it asks the plugin for its declared
fields (``list_sync_fields``) once per object and per run, since an invoice push needs the
invoice's and its client's choices. :func:`host_values` gives a host record's values of the
synced fields in the host's words (:data:`hookspecs.HOST_FIELDS`); after a push the host keeps
them as the link's fingerprint (``host.sync.twoway.conflicts.fingerprint``), so the next inbound
pass sees the ledger hold what the host holds and changes nothing (no echo).
"""

from __future__ import annotations

import logging
from typing import Any

from host.contract.errors import PluginFailure, ProviderError
from host.contract.records import HOST_FIELDS, REQUIRED_HOST_FIELDS
from host.sync.twoway.conflicts import as_text

log = logging.getLogger(__name__)

#: The host model behind each sync object.
HOST_MODELS = {"customer": "client", "item": "service_type", "invoice": "invoice"}


def host_values(object: str, obj, connection=None) -> dict[str, Any]:
    """The values of ``object``'s host fields (:data:`HOST_FIELDS`) on the host record ``obj``
    (a Client, ServiceType or Invoice).

    ``income_account`` (items) is the provider's id of the service type's default GL account,
    through the connection's GL account mapping (empty without one): the ledger's items carry
    that id, so both sides compare in the same words.
    """
    if object == "customer":
        return {"name": obj.name, "billing_email": obj.billing_email or "",
                "billing_contact_name": obj.billing_contact_name or "",
                "tax_number": obj.tax_number or ""}
    if object == "item":
        return {"name": obj.name, "sku": obj.sku or "", "unit_price": obj.unit_price,
                "description": obj.description or "",
                "income_account": _mapped(connection, "gl_account", obj.default_gl_account_id)}
    if object == "invoice":
        return {"memo": obj.memo or "", "reference": obj.reference or "",
                "due_date": obj.due_date}
    raise ValueError(f"unknown sync object {object!r}")


def mapping_kind(connection, host_entity: str) -> str | None:
    """The key of the plugin's :class:`~hookspecs.MappingKind` whose host records are
    ``host_entity`` ("service_type", "gl_account" ...), or None when it declares none.
    Customers always map under ``"client"`` (both plugins read ``connection.mapping("client",
    id)``)."""
    if host_entity == "client":
        return "client"
    from host.integrations.registry import get_registry

    info = get_registry().get(connection.provider_key)
    for kind in getattr(info, "mapping_kinds", ()) or ():
        if kind.host_entity == host_entity:
            return kind.key
    return None


def _mapped(connection, host_entity: str, host_id) -> str:
    if connection is None or host_id is None:
        return ""
    from host.extensions import db
    from host.models.external_ref import ConnectionMapping

    kind = mapping_kind(connection, host_entity)
    if kind is None:
        return ""
    return db.session.scalars(db.select(ConnectionMapping.external_id).filter_by(
        connection_id=connection.id, kind=kind, host_id=str(host_id))).first() or ""


class FieldPlan:
    """The admin's field choices for one push run on ``connection`` (a ``Connection`` row).

    ``declared`` may be given per object (tests, or a caller that already asked the plugin);
    otherwise the plugin's ``list_sync_fields`` is asked once per object. A plugin that does
    not implement it, or fails, declares nothing: switched-off fields are still blanked, added
    pairs are not sent (logged), and the push goes on. ``settings`` likewise gives objects'
    :class:`~host.models.SyncObjectSetting` rows already loaded.
    """

    def __init__(self, connection, declared: dict[str, list] | None = None,
                 settings: dict[str, Any] | None = None) -> None:
        self.connection = connection
        self._declared = dict(declared or {})
        self._settings: dict[str, Any] = dict(settings or {})

    def setting(self, object: str):
        if object not in self._settings:
            from host.sync.twoway.settings import setting_for

            self._settings[object] = setting_for(self.connection, object)
        return self._settings[object]

    def declared(self, object: str) -> list:
        if object not in self._declared:
            self._declared[object] = self._ask(object)
        return self._declared[object]

    def _ask(self, object: str) -> list:
        from host.integrations.dispatch import call_owner, implements

        if not implements(self.connection.provider_key, "list_sync_fields"):
            return []
        try:
            return list(call_owner(self.connection, "list_sync_fields", object=object) or [])
        except (ProviderError, PluginFailure) as exc:
            log.warning("connection %s: list_sync_fields(%s) failed (%s); pushing without the "
                        "added fields", self.connection.id, object, exc)
            return []

    def synced(self, object: str) -> set[str]:
        """The host fields of ``object`` that sync: the declared predefined pairs not switched
        off and the admin's added pairs (every host field when the plugin declares none), as
        the inbound pass compares them."""
        from host.sync.twoway.run import default_fields
        from host.sync.twoway.settings import field_choices

        declared = self.declared(object) or default_fields(object)
        return {active.host_field for active in field_choices(self.setting(object), declared)}

    def off(self, object: str) -> set[str]:
        """The host fields of ``object`` the admin switched off (never a required one)."""
        chosen = set((self.setting(object).fields or {}).get("off") or ())
        return (chosen & set(HOST_FIELDS.get(object, ()))) - set(
            REQUIRED_HOST_FIELDS.get(object, ()))

    def blank(self, object: str, values: dict[str, Any]) -> dict[str, Any]:
        """``values`` with the switched-off fields emptied (``None`` for a price)."""
        off = self.off(object)
        return {name: (_empty(value) if name in off else value)
                for name, value in values.items()}

    def extra_fields(self, object: str, obj) -> dict[str, str]:
        """``{SyncField.key: text}`` for the admin's added pairs of ``object``, read from the
        host record ``obj``; empty values are left out (never written over the provider's)."""
        from host.sync.twoway.settings import field_choices

        setting = self.setting(object)
        if not (setting.fields or {}).get("extra"):
            return {}
        values = host_values(object, obj, self.connection)
        out: dict[str, str] = {}
        for active in field_choices(setting, self.declared(object)):
            if active.predefined:
                continue
            text = as_text(values.get(active.host_field))
            if text:
                out[active.field.key] = text
        return out


def _empty(value):
    return "" if isinstance(value, str) else None
