"""Each object's sync settings for a connection: read with defaults that keep today's behaviour.

:func:`setting_for` returns the connection's :class:`~host.models.SyncObjectSetting` for an
object, creating it on first use with :data:`DEFAULT_DIRECTIONS`: invoices and customers go
PSA -> provider as they always did (customers created at the first invoice push), products are
not synced (invoice lines keep resolving items through the mappings), nothing comes in until
the admin turns a direction on. :func:`field_choices` applies the admin's field choices to
what the plugin declares.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from host.contract.records import HOST_FIELDS, REQUIRED_HOST_FIELDS, SYNC_OBJECTS, SyncField
from host.extensions import db
from host.models import SyncObjectSetting

DEFAULT_DIRECTIONS = {"customer": "out", "item": "off", "invoice": "out"}


def setting_for(connection, object: str) -> SyncObjectSetting:
    """The setting row of ``object`` on ``connection`` (added to the session when new)."""
    if object not in SYNC_OBJECTS:
        raise ValueError(f"unknown sync object {object!r}")
    row = db.session.scalars(sa.select(SyncObjectSetting).filter_by(
        connection_id=connection.id, object=object)).first()
    if row is None:
        row = SyncObjectSetting(connection_id=connection.id, object=object,
                                direction=DEFAULT_DIRECTIONS[object], conflict="host",
                                fields={}, filters={})
        db.session.add(row)
        db.session.flush()
    return row


def settings_for(connection) -> dict[str, SyncObjectSetting]:
    """Every object's setting on ``connection``, by object, in :data:`SYNC_OBJECTS` order."""
    return {obj: setting_for(connection, obj) for obj in SYNC_OBJECTS}


@dataclass(frozen=True)
class ActiveField:
    """A provider field the admin's choices keep on, and the host field it fills."""

    field: SyncField
    host_field: str
    predefined: bool


def field_choices(setting: SyncObjectSetting, declared: list[SyncField]) -> list[ActiveField]:
    """The fields that sync for ``setting``'s object: the plugin's predefined pairs not
    switched off (required host fields can never be), plus the admin's added pairs whose
    provider field the plugin still declares and whose host field is known."""
    off = set((setting.fields or {}).get("off") or ())
    required = set(REQUIRED_HOST_FIELDS.get(setting.object, ()))
    known = set(HOST_FIELDS.get(setting.object, ()))
    by_key = {f.key: f for f in declared if f.object == setting.object}
    out: list[ActiveField] = []
    taken: set[str] = set()
    for f in by_key.values():
        if f.predefined and f.host_field in known and (
                f.host_field in required or f.host_field not in off):
            out.append(ActiveField(f, f.host_field, True))
            taken.add(f.host_field)
    for pair in (setting.fields or {}).get("extra") or ():
        f = by_key.get(pair.get("key", ""))
        host_field = pair.get("host_field", "")
        if f is None or host_field not in known or host_field in taken:
            continue
        out.append(ActiveField(f, host_field, False))
        taken.add(host_field)
    return out
