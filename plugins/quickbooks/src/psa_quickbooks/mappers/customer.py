"""Customer payload from :class:`ClientData` (reference 3.4)."""

from __future__ import annotations

import re
from typing import Any

from hookspecs import ClientData, MappingError

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


def unique_display_name(name: str, taken: set[str] | frozenset[str] | list[str], start: int = 2) -> str:
    """First of ``name``, ``name (2)``, ``name (3)``... not in ``taken`` (case-insensitive, as
    DisplayName uniqueness is across Customer/Vendor/Employee)."""
    base = sanitize_display_name(name)
    lowered = {t.casefold() for t in taken}
    if base.casefold() not in lowered:
        return base
    n = start
    while True:
        suffix = f" ({n})"
        candidate = base[: MAX_DISPLAY_NAME - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in lowered:
            return candidate
        n += 1


def customer_payload(client: ClientData, display_name: str | None = None) -> dict[str, Any]:
    """Customer create body. ``display_name`` overrides (e.g. a fallback from
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
    return payload
