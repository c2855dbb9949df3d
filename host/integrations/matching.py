"""How host clients and service types match provider records (shared by provider plugins).

Both reference plugins follow the same rules, documented for admins on the reconciliation
pass page:

* a **client** matches the provider's active customer/contact with the same billing email,
  else the same account number (Xero ``ContactNumber``), else the same name (case and spacing
  ignored). Several hits at one step make it **ambiguous**: the admin chooses. No hit means it
  will be **created** with the billing contact; when its name is already taken by a record we
  may not use (an inactive or archived customer, a vendor / supplier -- QuickBooks and Xero
  keep one namespace), the new record gets :func:`unique_name` and the preview says so;
* a **service type** matches the active item with exactly its name, else its SKU / item code;
  otherwise lines fall back to the connection's **default** item (or revenue account).

Plugins turn provider records into :class:`Candidate` and call :func:`match_client` /
:func:`match_service_type`; ``on_invoice_sent`` applies the same functions, so what the
preview promises is what the push does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Sequence

from host.contract.types import ClientData, MappingChoice, MatchPreview, ServiceTypeData


@dataclass(frozen=True)
class Candidate:
    """A provider record a host record could match.

    ``usable`` is False for records that occupy a name without being matchable (inactive or
    archived customers, vendors / suppliers); ``kind`` says which in messages.
    """

    external_id: str
    name: str
    email: str = ""
    number: str = ""
    sku: str = ""
    usable: bool = True
    kind: str = "customer"

    def choice(self) -> MappingChoice:
        return MappingChoice(self.external_id, self.name, detail=self.email or self.number)


def norm(text: str | None) -> str:
    """Case- and whitespace-insensitive form of a name or email."""
    return re.sub(r"\s+", " ", (text or "").strip()).casefold()


def unique_name(name: str, taken: Iterable[str], max_length: int = 100) -> str:
    """``name`` itself when free, else ``"name (2)"``, ``"name (3)"`` ... within ``max_length``."""
    used = {norm(t) for t in taken}
    base = name.strip()[:max_length]
    if norm(base) not in used:
        return base
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = base[: max_length - len(suffix)].rstrip() + suffix
        if norm(candidate) not in used:
            return candidate
        n += 1


def _preview(rec, outcome, hits: Sequence[Candidate] = (), reason: str = "",
             external_label: str = "") -> MatchPreview:
    if outcome == "match":
        return MatchPreview(rec.id, rec.name, "match", hits[0].external_id, hits[0].name,
                            reason=reason)
    if outcome == "ambiguous":
        return MatchPreview(rec.id, rec.name, "ambiguous",
                            candidates=tuple(c.choice() for c in hits), reason=reason)
    return MatchPreview(rec.id, rec.name, outcome, external_label=external_label, reason=reason)


def _first_hit(rec, candidates: Sequence[Candidate], label: str, steps) -> MatchPreview | None:
    """The first step ``(what, value, key)`` whose value some usable candidates share: one hit
    is a match, several are ambiguous. None when no step hits."""
    usable = [c for c in candidates if c.usable]
    for what, value, key in steps:
        if not value:
            continue
        hits = [c for c in usable if key(c) == value]
        if len(hits) == 1:
            return _preview(rec, "match", hits, reason=f"same {what}")
        if len(hits) > 1:
            return _preview(rec, "ambiguous", hits,
                            reason=f"{len(hits)} {label}s have this {what}; choose one")
    return None


def match_client(client: ClientData, candidates: Sequence[Candidate], *, number: str = "",
                 label: str = "customer") -> MatchPreview:
    """Preview how ``client`` maps: match, ambiguous or create (see the module docstring).

    ``number`` is the account number the plugin would give the client (Xero ``ContactNumber``)
    or empty. For ``create`` the preview's ``external_label`` is the name the new record gets.
    """
    found = _first_hit(client, candidates, label, (
        ("billing email", norm(client.billing_email), lambda c: norm(c.email)),
        ("account number", norm(number), lambda c: norm(c.number)),
        ("name", norm(client.name), lambda c: norm(c.name))))
    if found is not None:
        return found
    blocking = [c for c in candidates if norm(c.name) == norm(client.name)]
    name = unique_name(client.name, [c.name for c in candidates])
    if blocking:
        kinds = ", ".join(sorted({c.kind for c in blocking}))
        return _preview(client, "create", reason=(
            f"the name {client.name!r} is taken by an existing {kinds} that cannot be used; "
            f"a new {label} named {name!r} will be created"), external_label=name)
    return _preview(client, "create", reason=f"a new {label} will be created",
                    external_label=name)


def match_service_type(service_type: ServiceTypeData, items: Sequence[Candidate], *,
                       default_label: str = "", label: str = "item") -> MatchPreview:
    """Preview how ``service_type`` maps: its exact name, else its SKU, else the default."""
    found = _first_hit(service_type, items, label, (
        ("name", service_type.name.strip(), lambda c: c.name.strip()),
        ("SKU", service_type.sku.strip(), lambda c: c.sku.strip())))
    if found is not None:
        return found
    return _preview(service_type, "default", external_label=default_label,
                    reason=f"no {label} with this name or SKU: lines use the default {label}")


def match_inbound(name: str, sku: str, records: Sequence[Candidate], *,
                  label: str = "service type") -> MatchPreview:
    """Preview how a product coming in from the ledger maps to host records (two-way sync):
    its SKU first (seed 003: products are matched by SKU), else its exact name; ``create``
    when neither hits. ``records`` are the host's service types as candidates."""
    product = ServiceTypeData(id=0, name=name, sku=sku)
    found = _first_hit(product, records, label, (
        ("SKU", sku.strip(), lambda c: c.sku.strip()),
        ("name", name.strip(), lambda c: c.name.strip())))
    return found or _preview(product, "create", reason=f"a new {label} will be created",
                             external_label=name)
