"""Provider timestamps read as aware UTC datetimes (host.integrations.timestamps)."""

from datetime import datetime, timezone

import pytest

from host.integrations.timestamps import utc_datetime


@pytest.mark.parametrize("text, expected", [
    ("2026-03-10T09:15:42.517", datetime(2026, 3, 10, 9, 15, 42, 517000)),       # Xero: no zone
    ("2026-03-10T09:15:42.123456789Z", datetime(2026, 3, 10, 9, 15, 42, 123456)),  # nanoseconds
    ("2019-12-07T18:46:19.5165400", datetime(2019, 12, 7, 18, 46, 19, 516540)),    # .NET ticks
    ("2026-03-10T02:15:42-07:00", datetime(2026, 3, 10, 9, 15, 42)),               # offset
    ("2026-03-10T09:15:42z", datetime(2026, 3, 10, 9, 15, 42)),
])
def test_variants_are_read_in_utc(text, expected):
    assert utc_datetime(text) == expected.replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("text", ["", "  ", "yesterday", "2026-13-01T00:00:00Z"])
def test_unreadable_text_raises_value_error(text):
    with pytest.raises(ValueError):
        utc_datetime(text)
