"""Find or create the Xero contact of a host client (what the push does; the preview promises
the same through :func:`psa_xero.lookups.preview_client`).

Order: the admin's pick on the reconciliation page (``connection.mapping("client", id)``), the
contact remembered from an earlier push (``connection.refs`` kind ``contact``), then the shared
matching rules (email, ``ContactNumber`` ``PSA-<id>``, name). Several candidates at one step
stop the push with a conflict naming them; a name taken by an archived contact or a supplier
gives the new contact a unique name (``"Acme (2)"``) and the push result says so. Nothing is
decided silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from hookspecs import CUSTOMER_REF, ConflictError, ValidationError

from . import lookups
from .api import XeroClient, body_key
from .mappers.contact import contacts_request

#: Where the contact a client is booked to is remembered (the kind two-way sync reads).
REF_KIND = CUSTOMER_REF


@dataclass(frozen=True)
class ResolvedContact:
    contact_id: str
    name: str
    email: str = ""
    note: str = ""


def resolve(connection, xero: XeroClient, client) -> ResolvedContact:
    chosen = connection.mapping("client", client.id)
    if chosen:
        found = xero.contact(chosen)
        if found is None:
            raise ConflictError(
                f"The Xero contact chosen for client {client.name!r} no longer exists in Xero.",
                fix="Choose the client's Xero contact again on the Xero reconciliation page "
                    "(Settings > Integrations > Xero), then retry.")
        return _usable(found, client, "chosen on the reconciliation page")
    known = lookups.remembered_contact(connection, client.id)
    if known:
        found = xero.contact(known)
        if found is not None and found.get("MergedToContactID"):
            merged = xero.contact(found["MergedToContactID"])
            if merged is not None:
                connection.refs.remember(REF_KIND, client.id, merged["ContactID"])
                found = merged
        if found is not None:
            return _usable(found, client, "used for this client before")
    candidates = lookups.contact_candidates_for(xero, client)
    preview = lookups.preview_client(client, candidates)
    if preview.outcome == "match":
        connection.refs.remember(REF_KIND, client.id, preview.external_id)
        found = xero.contact(preview.external_id) or {"ContactID": preview.external_id,
                                                      "Name": preview.external_label}
        return _contact(found)
    if preview.outcome == "ambiguous":
        names = "; ".join(f"{c.label}" + (f" <{c.detail}>" if c.detail else "")
                          for c in preview.candidates)
        raise ConflictError(
            f"Client {client.name!r} matches several Xero contacts ({preview.reason}): {names}.",
            fix="Choose the right Xero contact for this client on the Xero reconciliation page "
                "(Settings > Integrations > Xero), then retry.")
    return _create(connection, xero, client, preview.external_label or client.name,
                   preview.reason)


def _contact(found: dict, note: str = "") -> ResolvedContact:
    return ResolvedContact(contact_id=str(found["ContactID"]), name=str(found.get("Name") or ""),
                           email=str(found.get("EmailAddress") or ""), note=note)


def _usable(found: dict, client, how: str) -> ResolvedContact:
    status = str(found.get("ContactStatus") or "ACTIVE").upper()
    if status != "ACTIVE":
        raise ValidationError(
            f"The Xero contact {found.get('Name')!r} ({how}) for client {client.name!r} is "
            f"{status.lower()} in Xero, and Xero does not accept invoices for it.",
            fix="Restore the contact in Xero, or choose another contact for the client on the "
                "Xero reconciliation page, then retry.")
    return _contact(found)


def _create(connection, xero: XeroClient, client, name: str, reason: str) -> ResolvedContact:
    body = contacts_request(client, name=name)
    # Keyed on the client, not the sync record: two invoices of a new client pushed within
    # Xero's idempotency window create one contact.
    key = body_key(f"psa-{connection.id}-client-{client.id}", "contact", body)
    created = xero.put("Contacts", body, key=key,
                       action=f"creating the Xero contact for client {client.name!r}")
    connection.refs.remember(REF_KIND, client.id, created["ContactID"])
    note = ""
    if created.get("Name", name).strip().casefold() != " ".join(client.name.split()).casefold():
        note = (f"Created Xero contact {created.get('Name', name)!r} for client "
                f"{client.name!r}: {reason}.")
    return _contact(created, note)
