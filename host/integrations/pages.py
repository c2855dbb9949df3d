"""Data for the integrations pages (tiles, mapping tables, reconciliation pass).

Kept out of the blueprint so the views stay thin and this logic is testable without HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from host.contract.errors import PluginFailure, ProviderError
from host.contract.types import ClientData, MappingKind, ProviderInfo, ServiceTypeData
from host.extensions import db
from host.integrations.dispatch import call_owner
from host.integrations.registry import get_registry
from host.models import BusinessUnit, Connection
from host.models.connection import ACTIVE_STATUSES, ENDED_STATUSES
from host.models.external_ref import ConnectionMapping


@dataclass
class Tile:
    key: str
    label: str
    logo_svg: str = ""
    description: str = ""
    status: str = "not_connected"  # connected | needs_reauth | not_connected | unavailable
    connection: Connection | None = None
    reason: str = ""
    #: the business unit's active connection to ANOTHER provider, which connecting this one
    #: replaces (the confirmation dialog names it), and that provider's label
    replaces: Connection | None = None
    replaces_label: str = ""
    #: ``ProviderInfo.tenant_id_label`` ("Company ID"): the tenant id is shown with it
    tenant_id_label: str = ""
    #: the latest ended connection of this business unit to this provider (its history page)
    previous: Connection | None = None


def tiles_for(bu: BusinessUnit) -> list[Tile]:
    registry = get_registry()
    active = {
        c.provider_key: c
        for c in db.session.scalars(
            db.select(Connection).where(Connection.business_unit_id == bu.id,
                                        Connection.status.in_(ACTIVE_STATUSES)))
    }
    previous = previous_connections(bu)
    tiles = []
    for key, info in sorted(registry.items(), key=lambda kv: kv[1].label.lower()):
        conn = active.get(key)
        tile = Tile(key, info.label, info.logo_svg, info.description,
                    conn.status if conn else "not_connected", conn,
                    tenant_id_label=info.tenant_id_label,
                    previous=next((c for c in previous if c.provider_key == key), None))
        other = next((c for k, c in active.items() if k != key and c.category == "financial"),
                     None)
        if other is not None:
            tile.replaces = other
            tile.replaces_label = (registry[other.provider_key].label
                                   if other.provider_key in registry else other.provider_key)
        tiles.append(tile)
    for item in registry.unavailable:
        if item.key and item.key not in registry:
            tiles.append(Tile(item.key, item.label or item.key, status="unavailable",
                              reason=item.reason))
    return tiles


def previous_connections(bu: BusinessUnit) -> list[Connection]:
    """The business unit's ended connections (disconnected, or replaced by another provider),
    newest first: each keeps a read-only page of its records and history."""
    return list(db.session.scalars(
        db.select(Connection).where(Connection.business_unit_id == bu.id,
                                    Connection.status.in_(ENDED_STATUSES))
        .order_by(Connection.id.desc())))


# -- mapping tables ----------------------------------------------------------------------------


def host_rows(entity: str, organization_id: int) -> list[tuple[str, str]]:
    """``(host_id, label)`` rows of a host entity for the mapping table."""
    import host.models as m

    if entity == "class_label" and hasattr(m, "ContractLine"):
        # Class labels are free text on contract lines: the host id is the label itself.
        labels = db.session.scalars(
            db.select(m.ContractLine.class_label).distinct()
            .join(m.Project, m.Project.id == m.ContractLine.project_id)
            .where(m.Project.organization_id == organization_id,
                   m.ContractLine.class_label != "")).all()
        return sorted(((label, label) for label in labels), key=lambda r: r[0].lower())
    model = {"service_type": "ServiceType", "tax_rate": "TaxRate", "gl_account": "GLAccount",
             "client": "Client"}.get(entity)
    if model is None or not hasattr(m, model):
        return []
    cls = getattr(m, model)
    rows = db.session.scalars(db.select(cls).where(cls.organization_id == organization_id)).all()
    return sorted(((str(r.id), _row_label(entity, r)) for r in rows), key=lambda r: r[1].lower())


def _row_label(entity: str, row) -> str:
    """What the admin reads in the mapping table's "In PSA" column."""
    if entity == "tax_rate":
        return row.label
    if entity == "gl_account":
        return f"{row.code} {row.name}"
    return row.name


@dataclass
class MappingTable:
    kind: MappingKind
    rows: list[tuple[str, str, str]]  # host_id, host label, chosen external id
    choices: list[tuple[str, str]] = field(default_factory=list)
    error: str = ""


def mapping_tables(conn: Connection, info: ProviderInfo, handle) -> list[MappingTable]:
    """One table per mapping kind; a kind whose choices the provider or the plugin cannot give
    keeps its rows and says why in ``error`` (the page renders either way)."""
    chosen = {(m.kind, m.host_id): m.external_id for m in db.session.scalars(
        db.select(ConnectionMapping).where(ConnectionMapping.connection_id == conn.id))}
    tables = []
    org_id = conn.business_unit.organization_id
    for kind in info.mapping_kinds:
        rows = [(hid, label, chosen.get((kind.key, hid), ""))
                for hid, label in host_rows(kind.host_entity, org_id)]
        table = MappingTable(kind, rows)
        try:
            table.choices = [(c.external_id, c.label) for c in
                             call_owner(handle, "list_mapping_choices", kind=kind.key)]
        except (ProviderError, PluginFailure) as exc:
            table.error = exc.message
        tables.append(table)
    return tables


def _upsert_mapping(conn: Connection, kind: str, host_id: str, external_id: str, label: str,
                    user_id: int | None) -> None:
    row = db.session.scalars(db.select(ConnectionMapping).filter_by(
        connection_id=conn.id, kind=kind, host_id=host_id)).first()
    if not external_id:
        if row is not None:
            db.session.delete(row)
        return
    if row is None:
        row = ConnectionMapping(connection_id=conn.id, kind=kind, host_id=host_id)
        db.session.add(row)
    row.external_id, row.external_label, row.chosen_by_id = external_id, label, user_id


def mapping_choice_labels(handle, kind: str) -> dict[str, str]:
    """``external_id -> label`` of a mapping kind's choices ({} when the provider cannot say)."""
    try:
        return {c.external_id: c.label for c in
                call_owner(handle, "list_mapping_choices", kind=kind)}
    except (ProviderError, PluginFailure):
        return {}


def save_mapping_form(conn: Connection, kind: str, form: Any, user_id: int | None,
                      labels: dict[str, str]) -> list[str]:
    """Store ``map-<host_id>`` fields of a posted mapping table (``labels``: the choices'
    labels, see :func:`mapping_choice_labels`). Returns what changed, one phrase per row
    ("VAT (20 %) -> 20% (VAT on Income): mapped"); rows posted unchanged are not listed."""
    info = get_registry()[conn.provider_key]
    mkind = next(k for k in info.mapping_kinds if k.key == kind)
    host_labels = dict(host_rows(mkind.host_entity, conn.business_unit.organization_id))
    before = {m.host_id: m for m in db.session.scalars(db.select(ConnectionMapping).filter_by(
        connection_id=conn.id, kind=kind))}
    changes = []
    for name, value in form.items():
        host_id, external_id = name[4:], value.strip()
        if not name.startswith("map-") or host_id not in host_labels:
            continue
        old = before.get(host_id)
        old_id = old.external_id if old is not None else ""
        if external_id == old_id:
            continue
        old_label = (old.external_label if old is not None else "") or labels.get(old_id, old_id)
        new_label = labels.get(external_id, external_id)
        _upsert_mapping(conn, kind, host_id, external_id, new_label[:300], user_id)
        row = host_labels[host_id]
        if not external_id:
            changes.append(f"{row}: unmapped (was {old_label})")
        elif old_id:
            changes.append(f"{row} -> {new_label}: changed (was {old_label})")
        else:
            changes.append(f"{row} -> {new_label}: mapped")
    db.session.commit()
    return changes


# -- reconciliation pass -----------------------------------------------------------------------


def _records(kind: str, organization_id: int) -> list[Any]:
    import host.models as m

    if kind == "client" and hasattr(m, "Client"):
        rows = db.session.scalars(db.select(m.Client).where(
            m.Client.organization_id == organization_id).order_by(m.Client.name)).all()
        return [ClientData(id=r.id, name=r.name,
                           billing_contact_name=getattr(r, "billing_contact_name", "") or "",
                           billing_email=getattr(r, "billing_email", "") or "") for r in rows]
    if kind == "service_type" and hasattr(m, "ServiceType"):
        rows = db.session.scalars(db.select(m.ServiceType).where(
            m.ServiceType.organization_id == organization_id).order_by(m.ServiceType.name)).all()
        return [ServiceTypeData(id=r.id, name=r.name, sku=getattr(r, "sku", "") or "")
                for r in rows]
    return []


def previews(conn: Connection) -> tuple[dict[str, list], str]:
    """``{"client": [MatchPreview...], "service_type": [...]}`` and an error message."""
    out: dict[str, list] = {}
    org_id = conn.business_unit.organization_id
    try:
        for kind in ("client", "service_type"):
            records = _records(kind, org_id)
            out[kind] = call_owner(conn, "preview_matches", kind=kind, records=records) \
                if records else []
    except (ProviderError, PluginFailure) as exc:
        return out, exc.message
    return out, ""


def mapping_kind_for(info: ProviderInfo, host_entity: str) -> str:
    """The plugin's mapping kind for a host entity (its declared key, else the entity name)."""
    for kind in info.mapping_kinds:
        if kind.host_entity == host_entity:
            return kind.key
    return host_entity


def save_reconciliation(conn: Connection, info: ProviderInfo, form: Any, user_id: int | None):
    org_id = conn.business_unit.organization_id
    allowed = {e: {str(r.id) for r in _records(e, org_id)} for e in ("client", "service_type")}
    for name, value in form.items():
        for entity in ("client", "service_type"):
            prefix = f"pick-{entity}-"
            if name.startswith(prefix) and value and name[len(prefix):] in allowed[entity]:
                _upsert_mapping(conn, mapping_kind_for(info, entity), name[len(prefix):],
                                value, "", user_id)
    db.session.commit()
