"""``push_record``: a host client becomes (or updates) a QuickBooks Customer, a host service
type a QuickBooks Item.

**Customer.** Found by the rules of the invoice push (:func:`.customers.resolve`: the admin's
choice, the one this connection linked before, the shared matching rules by billing email
then name, else created once with the client's name, contact and email). A customer found
rather than created is brought up to date with a **sparse update** carrying its current
``SyncToken``: only the fields the host sends non-empty (a field the admin switched off arrives
empty, and QuickBooks keeps its value), and nothing when nothing differs. The extra field
``PrimaryTaxIdentifier`` (the tax ID, ``record.fields``) is written, never read back
(QuickBooks masks it in answers).

**Item.** Found by the admin's item mapping of the service type, then the item this connection
linked before (``connection.refs`` kind ``item``), then the shared matching rules (active item
with the service type's name, else its SKU; several: the admin chooses); else created once as
a ``Service`` item. Its income account is the QuickBooks account the admin mapped the service
type's GL account to (mapping kind ``account``), else the default product/service's income
account (settings). Found items get the same sparse update as customers.

Writes are idempotent per key (``requestid``, :mod:`.idempotency`): a retried push after a lost
answer neither creates a second record nor updates twice. A stale ``SyncToken`` (someone edited
the record meanwhile) raises ``ConflictError``: the host re-reads and applies its conflict
policy.
"""

from __future__ import annotations

from decimal import Decimal

from hookspecs import ClientData, MappingError, ServiceTypeData, SyncResult, ValidationError
from host.integrations.matching import match_service_type

from . import customers
from . import items as items_mod
from .api import QboClient
from .idempotency import Attempts, create_once, write_once
from .links import deep_link
from .mappers import customer_payload, sanitize_display_name
from .mappers._common import number

TAX_ID = "PrimaryTaxIdentifier"
MAX_TAX_ID = 20


def push_record(connection, object: str, record, idempotency_key: str) -> SyncResult:
    qbo = QboClient(connection)
    if object == "customer" and isinstance(record, ClientData):
        return _customer(qbo, connection, record, idempotency_key)
    if object == "item" and isinstance(record, ServiceTypeData):
        return _item(qbo, connection, record, idempotency_key)
    raise ValidationError(f"QuickBooks cannot push a {object!r} record of this kind.",
                          fix="This is a bug in the host; report it.")


def _changed(current: dict, wanted: dict) -> dict:
    """The fields of ``wanted`` whose value differs from ``current``'s."""
    return {k: v for k, v in wanted.items() if current.get(k) != v}


def _update(qbo: QboClient, connection, entity: str, current: dict, changes: dict,
            host_id, idempotency_key: str) -> dict:
    if not changes:
        return current
    body = {"Id": str(current["Id"]), "SyncToken": str(current.get("SyncToken", "0")), **changes}
    attempts = Attempts(connection, f"{entity.lower()}-update", host_id)
    return write_once(attempts, idempotency_key, body, lambda rid: qbo.update(
        entity, body, request_id=rid, action=f"updating the {entity.lower()} "
        f"{current.get('DisplayName') or current.get('Name') or current['Id']!r}"))


def _result(connection, entity: str, obj: dict) -> SyncResult:
    link = deep_link(connection, entity, str(obj["Id"])) if entity == "Customer" else None
    return SyncResult(external_id=str(obj["Id"]), version=str(obj.get("SyncToken", "")) or None,
                      deep_link=link)


# -- customers ------------------------------------------------------------------------------------


def customer_fields(client: ClientData) -> dict:
    """The Customer fields the host sends non-empty (never an empty value over QuickBooks')."""
    wanted = {k: v for k, v in customer_payload(client).items()
              if k in ("DisplayName", "GivenName", "FamilyName", "PrimaryEmailAddr")}
    if not client.billing_email:
        wanted.pop("PrimaryEmailAddr", None)
    tax_id = (client.fields or {}).get(TAX_ID, "").strip()
    if tax_id:
        wanted[TAX_ID] = tax_id[:MAX_TAX_ID]
    return wanted


def _customer(qbo: QboClient, connection, client: ClientData, key: str) -> SyncResult:
    resolved = customers.resolve(qbo, connection, client, key)
    current = qbo.read("Customer", resolved.id)
    wanted = customer_fields(client)
    if resolved.created:
        wanted.pop("DisplayName", None)  # created under a free name: keep it
    saved = _update(qbo, connection, "Customer", current, _changed(current, wanted), client.id,
                    key)
    return _result(connection, "Customer", saved)


# -- items ----------------------------------------------------------------------------------------


def item_fields(connection, st: ServiceTypeData) -> dict:
    """The Item fields the host sends non-empty."""
    name = sanitize_display_name(st.name, 100)
    if not name:
        raise MappingError(f"Service type {st.id} has no name QuickBooks accepts.",
                           fix="Give the service type a name in the PSA, then retry.")
    wanted: dict = {"Name": name}
    if st.sku:
        wanted["Sku"] = st.sku[:100]
    if st.unit_price is not None:
        wanted["UnitPrice"] = number(Decimal(st.unit_price))
    if st.description:
        wanted["Description"] = st.description[:4000]
    account = connection.mapping("account", st.income_account.id) if st.income_account else None
    if account:
        wanted["IncomeAccountRef"] = {"value": str(account)}
    return wanted


def _default_account(connection, items: dict[str, dict], st: ServiceTypeData) -> dict:
    ident = str((connection.settings or {}).get("default_item") or "")
    ref = (items.get(ident) or {}).get("IncomeAccountRef")
    if not ref:
        raise MappingError(
            f"QuickBooks needs an income account for the product {st.name!r}, and neither its "
            "GL account is mapped nor does the default product/service have one.",
            fix="Map the service type's GL account to a QuickBooks income account on the "
                "integration's Manage page (or choose a default product/service), then retry.")
    return {"value": str(ref.get("value"))}


def _find_item(connection, st: ServiceTypeData, items: dict[str, dict]) -> str | None:
    for ident in (connection.mapping("item", st.id), connection.refs.get("item", st.id)):
        if ident and str(ident) in items:
            return str(ident)
    preview = match_service_type(st, items_mod.as_candidates(items))
    if preview.outcome == "match":
        return str(preview.external_id)
    if preview.outcome == "ambiguous":
        names = ", ".join(f"{c.label} ({c.external_id})" for c in preview.candidates)
        raise MappingError(f"Several QuickBooks products/services could be service type "
                           f"{st.name!r}: {names}.",
                           fix="Map the service type to one of them on the integration's "
                               "Manage page, then retry.")
    return None


def _item(qbo: QboClient, connection, st: ServiceTypeData, key: str) -> SyncResult:
    items = items_mod.load(qbo)
    wanted = item_fields(connection, st)
    ident = _find_item(connection, st, items)
    if ident is None:
        payload = {"Type": "Service", **wanted}
        payload.setdefault("IncomeAccountRef", _default_account(connection, items, st))
        created, replayed = create_once(qbo, connection, "Item", st.id, payload, key,
                                        action=f"creating the product/service {st.name!r}")
        connection.refs.remember("item", st.id, str(created["Id"]))
        if replayed:  # an earlier attempt made it with other values: bring it up to date
            created = _update(qbo, connection, "Item", created, _changed(created, wanted),
                              st.id, key)
        return _result(connection, "Item", created)
    current = items[ident]
    if current.get("Active") is False:
        raise MappingError(
            f"The QuickBooks product/service {current.get('Name', ident)!r} linked to service "
            f"type {st.name!r} is inactive in QuickBooks.",
            fix="Reactivate it in QuickBooks, or map the service type to another "
                "product/service on the integration's Manage page, then retry.")
    connection.refs.remember("item", st.id, ident)
    saved = _update(qbo, connection, "Item", current, _changed(current, wanted), st.id, key)
    return _result(connection, "Item", saved)
