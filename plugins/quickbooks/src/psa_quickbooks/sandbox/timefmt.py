"""Time formatting the QBO way: server times in Pacific offset (``-08:00``), dates ``yyyy-MM-dd``."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

PACIFIC = timezone(timedelta(hours=-8))


def qbo_time(epoch: float, millis: bool = False) -> str:
    """``2026-03-02T10:04:11-08:00`` (``millis`` adds ``.512``)."""
    dt = datetime.fromtimestamp(epoch, PACIFIC)
    if millis:
        return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}" + "-08:00"
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + "-08:00"


def utc_time(epoch: float, digits: int = 3) -> str:
    dt = datetime.fromtimestamp(epoch, timezone.utc)
    frac = f"{dt.microsecond:06d}"[:digits]
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + frac + "Z"


def qbo_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, PACIFIC).date().isoformat()


def parse_datetime(value: str) -> datetime | None:
    """Parse a QBO date or date-time; naive values are taken as Pacific. None if unparseable."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        try:
            d = date.fromisoformat(text[:10])
        except ValueError:
            return None
        dt = datetime(d.year, d.month, d.day)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=PACIFIC)
    return dt


def parse_date(value) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None
