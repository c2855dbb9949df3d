"""Which QuickBooks customer a host client is booked to (find, match or create).

Order (documented in the README, "Mapping rules"):

1. the admin's choice for the client (reconciliation page, mapping kind ``client``);
2. the customer this connection created or matched before (``connection.refs``);
3. the shared matching rules (:func:`host.integrations.matching.match_client`): an active
   customer with the client's billing email, else with its name; several hits stop the push
   (the admin chooses on the reconciliation page);
4. otherwise a new customer with the billing contact. When the name is taken by a record we
   must not use (an inactive customer, a vendor), the new customer gets a numbered name
   (``"Acme (2)"``) and :class:`Resolved.note` says so; a 6240 from QuickBooks (an employee, or
   a customer created meanwhile) is resolved the same way, once.

A linked customer that is now inactive or deleted in QuickBooks is never replaced silently:
the push stops with a mapping error naming it.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookspecs import ClientData, ConflictError, MappingError, NotFoundError
from host.integrations.matching import Candidate, match_client, norm

from .api import QboClient
from .idempotency import create_once
from .mappers import customer_payload, sanitize_display_name, unique_display_name


@dataclass(frozen=True)
class Resolved:
    id: str
    name: str
    created: bool = False
    note: str = ""


def candidates(qbo: QboClient, currency: str | None = None) -> list[Candidate]:
    """Every customer (inactive ones occupy their name but are not usable) and every vendor
    (QuickBooks keeps one namespace for customers, vendors and employees). With ``currency``
    (a multicurrency company), a customer billed in another currency is not usable either:
    a QuickBooks customer has one currency for life."""
    out = []
    for c in qbo.query_all("Customer", "Active IN (true, false)"):
        active = c.get("Active", True) is not False
        own = (c.get("CurrencyRef") or {}).get("value")
        other_currency = bool(currency and own and own.upper() != currency)
        kind = ("inactive customer" if not active else
                f"customer billed in {own}" if other_currency else "customer")
        out.append(Candidate(external_id=str(c["Id"]), name=c.get("DisplayName", ""),
                             email=(c.get("PrimaryEmailAddr") or {}).get("Address", ""),
                             usable=active and not other_currency, kind=kind))
    out += [Candidate(external_id=str(v["Id"]), name=v.get("DisplayName", ""), usable=False,
                      kind="vendor")
            for v in qbo.query_all("Vendor", "Active IN (true, false)")]
    return out


def _linked(qbo: QboClient, client: ClientData, ident: str, how: str,
            currency: str | None = None) -> Resolved:
    try:
        customer = qbo.read("Customer", ident)
    except NotFoundError as exc:
        raise MappingError(
            f"The QuickBooks customer {ident} {how} client {client.name!r} no longer exists.",
            fix="Link the client to another customer on the integration's reconciliation page, "
                "then retry.", code="610") from exc
    if customer.get("Active") is False:
        raise MappingError(
            f"The QuickBooks customer {customer.get('DisplayName', ident)!r} {how} client "
            f"{client.name!r} is inactive in QuickBooks.",
            fix="Reactivate the customer in QuickBooks, or link the client to another customer "
                "on the integration's reconciliation page, then retry.", code="6250")
    own = (customer.get("CurrencyRef") or {}).get("value")
    if currency and own and own.upper() != currency:
        raise MappingError(
            f"The QuickBooks customer {customer.get('DisplayName', ident)!r} {how} client "
            f"{client.name!r} is billed in {own}, and this invoice is in {currency}: a "
            "QuickBooks customer keeps one currency.",
            fix=f"Link the client to a customer billed in {currency} on the integration's "
                "reconciliation page (or create one in QuickBooks), then retry.")
    return Resolved(str(customer["Id"]), customer.get("DisplayName", ""))


def resolve(qbo: QboClient, connection, client: ClientData, idempotency_key: str,
            currency: str | None = None) -> Resolved:
    """The customer for ``client``; remembered in ``connection.refs`` under ``"customer"``.
    ``currency``: multicurrency companies only, the currency a new customer is created in."""
    chosen = connection.mapping("client", client.id)
    if chosen:
        found = _linked(qbo, client, chosen, "chosen for", currency)
        connection.refs.remember("customer", client.id, found.id)
        return found
    known = connection.refs.get("customer", client.id)
    if known:
        return _linked(qbo, client, known, "linked to", currency)
    pool = candidates(qbo, currency)
    preview = match_client(client, pool)
    if preview.outcome == "match":
        connection.refs.remember("customer", client.id, preview.external_id)
        return Resolved(preview.external_id, preview.external_label)
    if preview.outcome == "ambiguous":
        names = ", ".join(f"{c.label} ({c.external_id})" for c in preview.candidates)
        raise MappingError(
            f"Several QuickBooks customers could be client {client.name!r}: {names} "
            f"({preview.reason}).",
            fix="Choose the customer for this client on the integration's reconciliation page, "
                "then retry.")
    return _create(qbo, connection, client, idempotency_key, [c.name for c in pool], currency)


def _payload(client: ClientData, name: str, currency: str | None) -> dict:
    payload = customer_payload(client, name)
    if currency:
        payload["CurrencyRef"] = {"value": currency.upper()}
    return payload


def _create(qbo: QboClient, connection, client: ClientData, idempotency_key: str,
            taken: list[str], currency: str | None) -> Resolved:
    name = unique_display_name(client.name, taken)
    action = f"creating the customer for client {client.name!r}"
    try:
        customer, _ = create_once(qbo, connection, "Customer", client.id,
                                  _payload(client, name, currency), idempotency_key,
                                  action=action)
    except ConflictError as exc:
        if exc.code != "6240":
            raise
        # Taken by a record the name lists do not show (an employee) or created meanwhile:
        # one more attempt with the next free number, never silently reusing another record.
        name = unique_display_name(client.name, taken + [name])
        customer, _ = create_once(qbo, connection, "Customer", client.id,
                                  _payload(client, name, currency), idempotency_key,
                                  action=action)
    note = ""
    if norm(customer.get("DisplayName", name)) != norm(sanitize_display_name(client.name)):
        note = (f"The name {client.name!r} is already used in QuickBooks by a record that cannot "
                f"be used for this client, so a new customer {customer.get('DisplayName', name)!r} "
                "was created.")
    connection.refs.remember("customer", client.id, str(customer["Id"]))
    return Resolved(str(customer["Id"]), customer.get("DisplayName", name), created=True,
                    note=note)
