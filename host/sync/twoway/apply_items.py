"""Products in: one page of :class:`~host.contract.records.InboundItem` -> host service types.

Seed 003: products are matched **by SKU**; a product without a SKU is skipped (the filter
``include_without_sku`` lets it in, matched by name). For each item, in the page's transaction:

1. **Known** (a linked ``SyncLink``, or a service type the admin mapped to it in the plugin's
   mapping kind whose host records are ``service_type``): its synced fields (name, SKU, price,
   description, income account) follow the ledger through the conflict rules
   (:func:`host.sync.twoway.conflicts.resolve`). Inactive in the ledger: the service type becomes
   inactive when it came from the ledger.
2. **Filtered**: ``skipped`` with the reason (no SKU).
3. **Unreadable** (``problem``, no name): ``waiting`` with the reason and a fix.
4. **Matched** to a host service type not linked yet, SKU first then name
   (``host.integrations.matching.match_inbound``); several hits are ``ambiguous``.
5. Otherwise **created** with its name (unique in the organization, cut to the column), SKU,
   price, description and default GL account (the ledger's income account read back through
   the plugin's ``gl_account`` mapping; none when unmapped, and the history says so).

Every item linked here is written to the plugin's ``service_type`` mapping, so invoice lines
with this service type are booked to the same ledger product.
"""

from __future__ import annotations

import sqlalchemy as sa

from host.contract.records import InboundItem
from host.extensions import db
from host.integrations import matching
from host.models import GLAccount, ServiceType
from host.models.external_ref import ConnectionMapping
from host.services import validation
from host.services.errors import InvalidField
from host.sync.twoway import candidates, conflicts, filters
from host.sync.twoway.importing import importing
from host.sync.twoway.run import ImportRun, bounded

LIMITS = {"name": validation.column_length(ServiceType.name),
          "sku": validation.column_length(ServiceType.sku),
          "description": validation.column_length(ServiceType.description)}
UNREADABLE_FIX = ("Correct the product in the ledger: its next change brings it in again. "
                  "Or press Retry.")


def apply_page(run: ImportRun, records) -> None:
    """Apply a page of items (no commit)."""
    run.begin_page()
    run.prefetch("item", [r.external_id for r in records], kinds=(_item_kind(run),))
    with importing():  # no echo: nothing written here is pushed back
        for record in records:
            apply_one(run, record)
    run.write_counts()


def apply_one(run: ImportRun, record: InboundItem) -> None:
    run.seen()
    name, _ = bounded(record.name, LIMITS["name"])
    row = run.open_link(record, label=name or record.sku or str(record.external_id))
    if record.problem:
        run.wait(row, record, f"The ledger's product could not be read: "
                 f"{bounded(record.problem, 500)[0]}", UNREADABLE_FIX)
        return
    service_type = _known(run, row, record)
    if service_type is not None:
        _update(run, row, service_type, record)
        return
    reason = filters.excluded(run.setting.filters, record)
    if reason:
        run.skip(row, reason, filters.NO_SKU_FIX if reason == filters.NO_SKU else None)
        return
    if not name:
        run.wait(row, record, "A product needs a name; this one has none in the ledger.",
                 "Give the product a name in the ledger, then press Retry.")
        return
    if not record.active:
        run.skip(row, "Inactive in the ledger: not imported.")
        return
    _match_or_create(run, row, record, name)


def _org_id(run: ImportRun) -> int:
    return run.connection.business_unit.organization_id


def _item_kind(run: ImportRun) -> str | None:
    return run.mapping_kind("service_type")


def _known(run: ImportRun, row, record) -> ServiceType | None:
    if row.status == "linked" and row.host_id:
        return db.session.get(ServiceType, row.host_id)
    host_id = run.host_id_for(_item_kind(run), str(record.external_id))
    service_type = db.session.get(ServiceType, host_id) if host_id else None
    if service_type is None or service_type.organization_id != _org_id(run):
        return None
    row.origin = "host"
    row.host_id = service_type.id
    return service_type


def host_values(run: ImportRun, service_type: ServiceType, names) -> dict:
    values = {}
    for name in names:
        if name == "income_account":
            values[name] = _account_external_id(run, service_type.default_gl_account_id)
        else:
            values[name] = getattr(service_type, name, "")
    return values


def _account_external_id(run: ImportRun, gl_account_id: int | None) -> str:
    kind = run.mapping_kind("gl_account")
    if not kind or gl_account_id is None:
        return ""
    return db.session.scalars(sa.select(ConnectionMapping.external_id).filter_by(
        connection_id=run.connection.id, kind=kind, host_id=str(gl_account_id))).first() or ""


def _update(run: ImportRun, row, service_type: ServiceType, record: InboundItem,
            how: str = "mapped in the host") -> None:
    if run.already_seen(row, record):
        run.unchanged(row, record)
        return
    provider = run.provider_values(record)
    first = row.status != "linked"
    resolution = conflicts.resolve(row.fingerprint or {},
                                   host_values(run, service_type, provider), provider,
                                   run.setting.conflict, inbound=run.setting.inbound)
    notes = write_fields(run, service_type, resolution.to_host)
    if not record.active:
        if row.origin == "provider" and service_type.active:
            service_type.active = False
            notes.append("Inactive in the ledger: the service type was made inactive.")
        elif service_type.active:
            notes.append("Inactive in the ledger (the service type stays active).")
    changes = [c.as_dict() for c in resolution.changes] or None
    message = " ".join(notes)
    if first:
        run.matched(row, service_type.id, record, resolution.fingerprint,
                    f"Linked to the service type {service_type.name} ({how}). {message}"
                    .strip(), changes)
        run.map(_item_kind(run), service_type.id, row.external_id, record.name)
    elif resolution.to_host or notes or resolution.changes:
        run.updated(row, record, resolution.fingerprint,
                    message or "Updated from the ledger.", changes)
    else:
        row.fingerprint = resolution.fingerprint
        run.unchanged(row, record)
    if resolution.push_back:
        row.log("conflict", run.push_back(row))


def write_fields(run: ImportRun, service_type: ServiceType, values: dict) -> list[str]:
    """Write the ledger's ``values`` through the host's rules; returns notes on what was cut
    or refused."""
    notes = []
    for field, value in values.items():
        label = field.replace("_", " ")
        if field == "unit_price":
            if value in (None, ""):
                service_type.unit_price = None
                continue
            try:
                service_type.unit_price = validation.money(
                    value, "unit_price",
                    currency=run.connection.business_unit.organization.currency, rounding=True)
            except InvalidField as exc:
                notes.append(f"The ledger's price was not copied: {exc.message}")
            continue
        if field == "income_account":
            account = _gl_account(run, str(value or ""))
            if value and account is None:
                notes.append(f"The ledger's income account {value!r} is not mapped to a host "
                             "GL account: the default GL account was left as it was.")
                continue
            service_type.default_gl_account_id = account.id if account else None
            continue
        if field not in LIMITS:
            continue
        text, cut = bounded(value, LIMITS[field])
        if cut:
            notes.append(f"The ledger's {label} was cut to {LIMITS[field]} characters.")
        if field == "name":
            if not text:
                notes.append("The ledger's name is empty: the service type keeps its name.")
                continue
            if _name_taken(run, text, service_type.id):
                notes.append(f"The ledger's name {text!r} is taken by another service type: "
                             "it keeps its name.")
                continue
        setattr(service_type, field, text)
    return notes


def _gl_account(run: ImportRun, external_id: str) -> GLAccount | None:
    host_id = run.host_id_for(run.mapping_kind("gl_account"), external_id)
    account = db.session.get(GLAccount, host_id) if host_id else None
    return account if account is not None and account.organization_id == _org_id(run) else None


def _name_taken(run: ImportRun, name: str, service_type_id: int | None) -> bool:
    query = sa.select(ServiceType.id).where(ServiceType.organization_id == _org_id(run),
                                            sa.func.lower(ServiceType.name) == name.lower())
    if service_type_id is not None:
        query = query.where(ServiceType.id != service_type_id)
    return db.session.scalars(query).first() is not None


def _taken_names(run: ImportRun, name: str, index: candidates.CandidateIndex) -> list[str]:
    """The names a new service type must not take: none when ``name`` is free (the run's index
    and the database agree), else every name of the organization."""
    if not index.name_taken(name) and not _name_taken(run, name, None):
        return []
    return list(db.session.scalars(sa.select(ServiceType.name).where(
        ServiceType.organization_id == _org_id(run))))


def _match_or_create(run: ImportRun, row, record: InboundItem, name: str) -> None:
    index = candidates.service_types(run)
    sku = bounded(record.sku, LIMITS["sku"])[0]
    preview = matching.match_inbound(name, sku, index.near(candidates.service_type_keys(
        matching.Candidate(external_id="0", name=name, sku=sku))))
    if preview.outcome == "ambiguous":
        run.ambiguous(row, record, [c.label for c in preview.candidates])
        return
    if preview.outcome == "match":
        service_type = db.session.get(ServiceType, int(preview.external_id))
        row.host_id = service_type.id
        _update(run, row, service_type, record, how=f"matched: {preview.reason}")
        return
    unique = matching.unique_name(name, _taken_names(run, name, index), LIMITS["name"])
    provider = run.provider_values(record)
    service_type = ServiceType(organization_id=_org_id(run), name=unique, active=True)
    db.session.add(service_type)
    notes = write_fields(run, service_type, {k: v for k, v in provider.items() if k != "name"})
    db.session.flush()
    index.add(matching.Candidate(external_id=str(service_type.id), name=service_type.name,
                                 sku=service_type.sku or "", kind="service type"))
    if bounded(record.name, LIMITS["name"])[1]:
        notes.insert(0, f"The ledger's name was cut to {LIMITS['name']} characters.")
    if unique != name:
        notes.insert(0, f"The name {name!r} is taken in the host: created as {unique!r}.")
    run.created(row, service_type.id, record, conflicts.fingerprint(provider),
                " ".join([f"Created the service type {service_type.name} from the ledger.",
                          *notes]))
    run.map(_item_kind(run), service_type.id, row.external_id, record.name,
            new_host_record=True)
