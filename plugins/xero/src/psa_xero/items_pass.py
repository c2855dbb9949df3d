"""Xero's item list, downloaded once per listing pass instead of once per page.

Xero does not page ``GET /Items``: one call answers every item. ``list_records("item")``
hands them out ``page_size`` at a time (:mod:`.records`), so without this module each page
would download the whole list again (2,000 items at 100 a page: 20 downloads).

The first page of a pass downloads the list; the rows are kept here, in the worker's memory,
keyed by the connection, its tenant and the watermark the pass started from (``since``), and
stamped with the pass's ``start`` (Xero's clock at that download, which the cursor carries).
The next pages of the same pass -- same connection, tenant, watermark and ``start`` -- take
them from here; the pass's last page forgets them. What the pass hands out is therefore the
list as Xero had it at ``start``, and whatever changed after ``start`` is listed by the next
pass (its watermark is never later than ``start``), as before.

Nothing here is needed for correctness: the cursor stays small (the last ItemID handed out),
and a page that finds nothing here -- another worker process, a worker restarted mid-pass,
a pass left waiting longer than :data:`TTL` -- downloads the list again and continues after
that ItemID (at worst one more download). At most :data:`MAX_PASSES` lists are kept (the
least recently used goes first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from datetime import datetime

#: Lists kept at most (one per connection with an item pass under way).
MAX_PASSES = 8
#: Seconds a kept list serves the pass's next pages; older, the page downloads it again.
TTL = 3600.0

_lock = threading.Lock()
_kept: OrderedDict[tuple, tuple[datetime, float, list]] = OrderedDict()


def _key(connection, since: datetime | None) -> tuple:
    return (connection.id, connection.tenant_id, since.isoformat() if since else None)


def recall(connection, since: datetime | None, start: datetime | None) -> list | None:
    """The rows the pass that started at ``start`` from watermark ``since`` downloaded, or None
    (the page downloads them)."""
    if start is None:  # a new pass: always a fresh download
        return None
    with _lock:
        kept = _kept.get(_key(connection, since))
        if kept is None or kept[0] != start or time.monotonic() - kept[1] > TTL:
            return None
        _kept.move_to_end(_key(connection, since))
        return kept[2]


def keep(connection, since: datetime | None, start: datetime, rows: list) -> None:
    """Keep the rows a page just downloaded for the pass's next pages (replacing whatever an
    earlier pass from the same watermark kept)."""
    with _lock:
        key = _key(connection, since)
        _kept[key] = (start, time.monotonic(), rows)
        _kept.move_to_end(key)
        while len(_kept) > MAX_PASSES:
            _kept.popitem(last=False)


def forget(connection, since: datetime | None) -> None:
    """The pass ended: drop its rows."""
    with _lock:
        _kept.pop(_key(connection, since), None)
