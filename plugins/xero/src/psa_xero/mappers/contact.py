"""Xero ``Contact`` payloads from the host's :class:`ClientData` (reference 5.1)."""

from __future__ import annotations

from hookspecs import ClientData

NAME_MAX = 255
CONTACT_NUMBER_PREFIX = "PSA-"


def split_person_name(full_name: str) -> tuple[str, str]:
    """``("Ada", "Lovelace King")`` from ``"Ada Lovelace King"``; one word is a first name."""
    parts = full_name.split()
    if not parts:
        return "", ""
    return parts[0], " ".join(parts[1:])


def contact_number(client: ClientData) -> str:
    """The PSA client id, kept in Xero's API-only ``ContactNumber`` (max 50)."""
    return f"{CONTACT_NUMBER_PREFIX}{client.id}"


def fallback_contact_name(client: ClientData) -> str:
    """A name unique across active contacts, for when ``client.name`` is already taken in Xero
    by someone else (or blank): the client name with its PSA id, cut to fit 255 characters."""
    suffix = f" ({contact_number(client)})"
    base = " ".join(client.name.split()) or "PSA client"
    return base[: NAME_MAX - len(suffix)] + suffix


def contact_payload(client: ClientData, *, name: str | None = None) -> dict:
    """One ``Contact``; ``name`` overrides the client's name (e.g. the fallback name)."""
    contact: dict = {
        "Name": (name if name is not None else " ".join(client.name.split()))[:NAME_MAX],
        "ContactNumber": contact_number(client),
    }
    if client.billing_email:
        contact["EmailAddress"] = client.billing_email.strip()
    first, last = split_person_name(client.billing_contact_name)
    if first:
        contact["FirstName"] = first
    if last:
        contact["LastName"] = last
    return contact


def contacts_request(client: ClientData, *, name: str | None = None) -> dict:
    """The body of ``PUT /Contacts`` / ``POST /Contacts``."""
    return {"Contacts": [contact_payload(client, name=name)]}
