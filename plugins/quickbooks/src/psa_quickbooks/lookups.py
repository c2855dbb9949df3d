"""Mapping support: the choices for dropdowns (``list_mapping_choices``) and the reconciliation
preview (``preview_matches``), which applies exactly the rules the push applies
(:mod:`.customers`, :mod:`.items`) without writing anything.
"""

from __future__ import annotations

from hookspecs import MappingChoice, MatchPreview
from host.integrations.matching import match_client, match_service_type

from . import customers, items as items_mod
from .api import QboClient
from .taxes import TaxCodes


def _items(qbo: QboClient) -> list[MappingChoice]:
    out = []
    for ident, item in items_mod.load(qbo).items():
        if items_mod.usable(item):
            detail = item.get("Type", "")
            if item.get("Sku"):
                detail += f", SKU {item['Sku']}"
            out.append(MappingChoice(ident, item.get("FullyQualifiedName") or item.get("Name"),
                                     detail))
    return sorted(out, key=lambda c: c.label.lower())


def _accounts(qbo: QboClient) -> list[MappingChoice]:
    rows = qbo.query_all("Account", "AccountType = 'Income'")
    return sorted((MappingChoice(str(a["Id"]), a.get("FullyQualifiedName") or a.get("Name"),
                                 a.get("AccountSubType", ""))
                   for a in rows if a.get("Active", True) is not False),
                  key=lambda c: c.label.lower())


def _tax_codes(qbo: QboClient) -> list[MappingChoice]:
    tax = TaxCodes(qbo, None)
    out = []
    for code in tax.codes:
        rate = tax.rate_of(code)
        detail = f"{rate.normalize():f} %" if rate is not None else (code.get("Description") or "")
        out.append(MappingChoice(str(code["Id"]), code.get("Name") or str(code["Id"]), detail))
    return sorted(out, key=lambda c: c.label.lower())


def _classes(qbo: QboClient) -> list[MappingChoice]:
    return sorted((MappingChoice(str(c["Id"]), c.get("FullyQualifiedName") or c.get("Name"))
                   for c in qbo.query_all("Class") if c.get("Active", True) is not False),
                  key=lambda c: c.label.lower())


def _customers(qbo: QboClient) -> list[MappingChoice]:
    return sorted((c.choice() for c in customers.candidates(qbo)
                   if c.usable), key=lambda c: c.label.lower())


CHOICES = {"item": _items, "default_item": _items, "account": _accounts,
           "tax_code": _tax_codes, "class": _classes, "client": _customers,
           "customer": _customers}


def list_mapping_choices(connection, kind: str) -> list[MappingChoice]:
    fn = CHOICES.get(kind)
    return fn(QboClient(connection)) if fn else []


def preview_matches(connection, kind: str, records) -> list[MatchPreview]:
    qbo = QboClient(connection)
    if kind == "client":
        return _preview_clients(qbo, connection, records)
    if kind == "service_type":
        return _preview_service_types(qbo, connection, records)
    return []


def _preview_clients(qbo, connection, records) -> list[MatchPreview]:
    pool = customers.candidates(qbo)
    # a client is linked to a customer; vendors share the name space but not the Ids
    by_id = {c.external_id: c for c in pool if c.kind != "vendor"}
    out = []
    for client in records:
        chosen = connection.mapping("client", client.id)
        known = chosen or connection.refs.get("customer", client.id)
        if known:
            cand = by_id.get(str(known))
            if cand is not None and cand.usable:
                out.append(MatchPreview(client.id, client.name, "match", cand.external_id,
                                        cand.name, reason="chosen by an admin" if chosen
                                        else "linked by an earlier push"))
            else:
                out.append(MatchPreview(
                    client.id, client.name, "ambiguous", str(known),
                    candidates=tuple(c.choice() for c in pool if c.usable and c.name == client.name),
                    reason=f"the linked customer {known} is inactive or gone in QuickBooks; "
                           "choose another"))
            continue
        out.append(match_client(client, pool))
    return out


def _preview_service_types(qbo, connection, records) -> list[MatchPreview]:
    items = items_mod.load(qbo)
    pool = items_mod.as_candidates(items)
    default_id = str((connection.settings or {}).get("default_item") or "")
    default = items.get(default_id, {})
    default_label = default.get("FullyQualifiedName") or default.get("Name") or ""
    out = []
    for st in records:
        mapped = connection.mapping("item", st.id)
        item = items.get(str(mapped)) if mapped else None
        if mapped and item is not None and items_mod.usable(item):
            out.append(MatchPreview(st.id, st.name, "match", str(mapped),
                                    item.get("FullyQualifiedName") or item.get("Name"),
                                    reason="mapped by an admin"))
            continue
        if mapped:
            out.append(MatchPreview(
                st.id, st.name, "ambiguous", str(mapped),
                candidates=tuple(c.choice() for c in pool if c.usable),
                reason=f"the mapped product/service {mapped} is inactive, a category or gone in "
                       "QuickBooks; choose another"))
            continue
        preview = match_service_type(st, pool, default_label=default_label)
        if preview.outcome == "default":
            preview = MatchPreview(st.id, st.name, "default", default_id or None, default_label,
                                   reason=preview.reason)
        out.append(preview)
    return out
