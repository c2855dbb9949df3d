"""Customer payload from :class:`ClientData` (reference 3.4)."""

from __future__ import annotations

import re
from typing import Any

from hookspecs import ClientData, MappingError
from host.integrations.matching import unique_name

MAX_DISPLAY_NAME = 500
_FORBIDDEN = re.compile(r"[:\"\t\r\n]")  # ':' is QBO's hierarchy separator; '"' breaks names too
_SPACES = re.compile(r"\s+")


def sanitize_display_name(name: str, max_len: int = MAX_DISPLAY_NAME) -> str:
    """Make a name QBO accepts: ':' becomes '-', quotes/control whitespace dropped, spaces
    collapsed, trimmed to ``max_len``."""
    cleaned = name.replace(":", " - ")
    cleaned = _FORBIDDEN.sub(" ", cleaned)
    cleaned = _SPACES.sub(" ", cleaned).strip()
    cleaned = re.sub(r"(\s-\s)+", " - ", cleaned).strip(" -")
    return cleaned[:max_len].rstrip()


def unique_display_name(name: str, taken: set[str] | frozenset[str] | list[str]) -> str:
    """First of ``name``, ``name (2)``, ``name (3)``... not in ``taken`` (case-insensitive, as
    DisplayName uniqueness is across Customer/Vendor/Employee). The host's shared
    :func:`host.integrations.matching.unique_name` does the numbering, so the reconciliation
    preview and the push agree on the name."""
    return unique_name(sanitize_display_name(name), taken, max_length=MAX_DISPLAY_NAME)


def customer_payload(client: ClientData, display_name: str | None = None) -> dict[str, Any]:
    """Customer create body with the billing contact (given/family name, email).
    ``display_name`` overrides (e.g. a fallback from
    :func:`unique_display_name` after a 6240 duplicate)."""
    name = sanitize_display_name(display_name if display_name is not None else client.name)
    if not name:
        raise MappingError(
            f"Client {client.id} has no usable name for QuickBooks.",
            fix="Give the client a name in the PSA, then retry.",
        )
    payload: dict[str, Any] = {"DisplayName": name, "CompanyName": sanitize_display_name(client.name, 100)}
    if not payload["CompanyName"]:
        del payload["CompanyName"]
    contact = _SPACES.sub(" ", client.billing_contact_name or "").strip()
    if contact:
        given, _, family = contact.partition(" ")
        payload["GivenName"] = given[:100]
        if family:
            payload["FamilyName"] = family[:100]
    if client.billing_email:
        payload["PrimaryEmailAddr"] = {"Address": client.billing_email[:100]}
    payload["PreferredDeliveryMethod"] = "Email" if client.billing_email else "None"
    return payload
