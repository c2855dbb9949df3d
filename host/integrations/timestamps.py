"""Provider timestamps as aware UTC datetimes (shared by provider plugins).

Providers write times in ISO 8601 with variations: a ``Z`` or ``z`` suffix, an offset, no zone
at all (Xero's ``eventDateUtc``: UTC by name), seven or nine fraction digits (.NET ticks,
CloudEvents nanoseconds). :func:`utc_datetime` reads all of them.
"""

from __future__ import annotations

from datetime import datetime, timezone


def utc_datetime(text: str) -> datetime:
    """``text`` as an aware datetime in UTC; a time without a zone is taken as UTC.
    Fractions beyond microseconds are cut. Raises ``ValueError`` when unreadable."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("empty timestamp")
    value = text.strip()
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
