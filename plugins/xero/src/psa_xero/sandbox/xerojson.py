"""Xero's JSON conventions: Microsoft-style dates, ISO *String siblings, money rounding.

Entities are kept in the store as plain JSON-able dicts in Xero's shape, except that calendar
dates are held as ``YYYY-MM-DD`` and timestamps as ISO UTC strings. ``render`` turns a stored
entity into what Xero sends on the wire.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

# Calendar-date fields (the spec marks them ``x-is-msdate``); Date/DueDate also get a *String.
DATE_FIELDS = ("Date", "DueDate", "FullyPaidOnDate", "ExpectedPaymentDate", "PlannedPaymentDate",
               "PeriodLockDate", "EndOfYearLockDate")
STRING_SIBLINGS = ("Date", "DueDate")
# Timestamp fields: rendered as /Date(ms+0000)/ with an ISO ``<name>String`` sibling where the
# spec has one.
TIMESTAMP_FIELDS = ("UpdatedDateUTC", "CreatedDateUTC")
TIMESTAMP_SIBLINGS = ("UpdatedDateUTC",)

_MSDATE = re.compile(r"^/Date\((-?\d+)([+-]\d{4})?\)/$")
_DATETIME_CALL = re.compile(r"^DateTime\((\d{4}),\s*(\d{1,2}),\s*(\d{1,2})\)$")

TWO = Decimal("0.01")
FOUR = Decimal("0.0001")


def money(value) -> Decimal:
    """Round to cents, half up (Xero's rounding for amounts)."""
    return Decimal(str(value)).quantize(TWO, rounding=ROUND_HALF_UP)


def num(value: Decimal | float | int) -> float:
    """A Decimal as the JSON number Xero sends."""
    return float(value)


def utc_iso(moment: datetime) -> str:
    """A stored timestamp: naive-UTC ISO with milliseconds."""
    moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment.isoformat(timespec="milliseconds")


def parse_stored_ts(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=timezone.utc)


def ms_date(day: str) -> str:
    """``2026-03-10`` -> ``/Date(1773100800000+0000)/`` (anything unparseable is kept)."""
    try:
        moment = datetime.combine(date.fromisoformat(parse_date(day)), datetime.min.time(),
                                  timezone.utc)
    except (TypeError, ValueError):
        return day
    return f"/Date({int(moment.timestamp() * 1000)}+0000)/"


def ms_timestamp(value: str, with_zone: bool = True) -> str:
    moment = parse_stored_ts(value)
    ms = int(moment.timestamp() * 1000)
    return f"/Date({ms}+0000)/" if with_zone else f"/Date({ms})/"


def parse_date(value) -> str | None:
    """Accept what clients send for a date: ISO date/datetime or /Date(ms)/; return YYYY-MM-DD.

    Raises ValueError on anything else.
    """
    if value in (None, ""):
        return None
    if isinstance(value, (int, float)):
        raise ValueError(value)
    text = str(value).strip()
    match = _MSDATE.match(text)
    if match:
        moment = datetime.fromtimestamp(int(match.group(1)) / 1000, timezone.utc)
        return moment.date().isoformat()
    match = _DATETIME_CALL.match(text)
    if match:
        return date(*(int(g) for g in match.groups())).isoformat()
    return datetime.fromisoformat(text.replace("Z", "+00:00")).date().isoformat() \
        if "T" in text else date.fromisoformat(text).isoformat()


def parse_http_datetime(value: str) -> datetime:
    """If-Modified-Since: ISO 8601 (with or without zone; naive means UTC) or RFC 1123."""
    from email.utils import parsedate_to_datetime

    text = value.strip()
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        moment = parsedate_to_datetime(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def render(entity, parent_key: str | None = None):
    """Deep-copy a stored entity into Xero's wire format."""
    if isinstance(entity, list):
        return [render(item) for item in entity]
    if not isinstance(entity, dict):
        return entity
    out: dict = {}
    for key, value in entity.items():
        if key.startswith("_"):
            continue  # internal bookkeeping
        if key in DATE_FIELDS and isinstance(value, str) and value and not value.startswith("/"):
            out[key] = ms_date(value)
            if key in STRING_SIBLINGS and out[key] != value:
                out[f"{key}String"] = f"{parse_date(value)}T00:00:00"
        elif key in TIMESTAMP_FIELDS and isinstance(value, str) and value:
            out[key] = ms_timestamp(value)
            if key in TIMESTAMP_SIBLINGS:
                out[f"{key}String"] = value.split(".")[0] + "Z"
        else:
            out[key] = render(value, key)
    return out
