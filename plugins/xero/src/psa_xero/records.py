"""``list_records``: Xero's contacts, items and invoices, page by page, then what changed.

One Xero call per page (items: per pass), nothing else (the host's limiter keeps the calls within Xero's 60 a
minute and 5 at a time):

* **Contacts** -- ``GET /Contacts?page=N&pageSize=S&includeArchived=true&order=ContactID``
  (archived contacts come back ``active=False`` so the host can follow them). Xero sets
  ``IsCustomer`` only once a contact has a sales document, so a contact created in Xero for
  a new client would never qualify if that flag were required. Users expect "every contact
  that could be billed": every contact is listed **except supplier-only ones**
  (``IsSupplier`` without ``IsCustomer``: someone who only sends bills).
* **Items** -- ``GET /Items`` (with ``If-Modified-Since`` once there is a watermark). Xero
  does not page items: one call returns all of them, so the plugin sorts them by ItemID and
  hands out ``page_size`` at a time, the cursor keeping the last ItemID given (``after``).
  The list is downloaded once per pass: its next pages take it from the worker's memory
  (:mod:`.items_pass`; a worker restarted mid-pass downloads it once more). Xero cannot
  archive an item: an accountant who stops selling one unticks "I sell this" (``IsSold:
  false``), so such an item is listed with ``active=False``; an item deleted in Xero is no
  longer listed at all (the host keeps its link).
* **Invoices** -- ``GET /Invoices?where=Type=="ACCREC"&page=N&pageSize=S&order=InvoiceID``:
  sales invoices only, with their lines, payments and credit notes (paged answers include
  line items). Drafts are listed as ``"draft"`` (the host does not import them).

``pageSize`` is the host's ``page_size`` capped at Xero's 1000 (its default is 100).

**The cursor** is JSON the host stores untouched: ``{"page": N, "since": W, "start": T,
"upto": U}`` (items: ``"after"``, the last ItemID handed out, instead of ``page``).

* ``cursor=None``: the full listing starts at page 1, ordered by id: an edit made in Xero
  while the listing runs does not move a record between pages, and a record created meanwhile
  is picked up by the next pass. ``start`` is Xero's own clock (the first answer's
  ``DateTimeUTC``), so a clock that differs from the host's loses nothing.
* After the last page (a page shorter than ``pageSize``), ``more`` is False and the cursor
  becomes the watermark ``since``: the latest ``UpdatedDateUTC`` the pass listed that is not
  after its ``start`` (``upto``, carried page to page), and never earlier than ``start - 5 s``
  (a small overlap for writes Xero was committing as the pass began; the host applies a
  record seen twice only once). So the next pass does not list again what this one listed,
  and a record changed after ``start`` -- perhaps on a page already read -- is listed by the
  next pass.
* With a watermark, the same paging runs with ``If-Modified-Since: since`` (records created or
  changed after it, to the millisecond); at its end the watermark moves on the same way. A
  ``304 Not Modified`` answer keeps the watermark.

A cursor the plugin cannot read (edited, from another version) starts the full listing again:
the host matches records it already has, so nothing is duplicated.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from hookspecs import ProviderDown, RecordPage

from . import items_pass
from .api import XeroClient, parse_xero_datetime
from .mappers import inbound

#: Xero's largest ``pageSize``
MAX_PAGE_SIZE = 1000
#: how far each incremental pass looks back before the previous pass's start
OVERLAP = timedelta(seconds=5)

#: per object: collection, id field, fixed query, mapper, which rows are listed
_OBJECTS = {
    "customer": ("Contacts", "ContactID", {"includeArchived": "true"}, inbound.customer,
                 lambda row: not inbound.is_supplier_only(row)),
    "item": ("Items", "ItemID", {}, inbound.item, lambda row: isinstance(row, dict)),
    "invoice": ("Invoices", "InvoiceID", {"where": 'Type=="ACCREC"'}, inbound.invoice,
                lambda row: isinstance(row, dict) and row.get("Type", "ACCREC") == "ACCREC"),
}
_PAGED = ("Contacts", "Invoices")


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(timezone.utc).isoformat() if moment else None


def parse_cursor(cursor: str | None) -> dict:
    """``{"page": int >= 1, "since": datetime | None, "start": datetime | None,
    "after": str, "upto": datetime | None}``."""
    fresh = {"page": 1, "since": None, "start": None, "after": "", "upto": None}
    if not cursor:
        return fresh
    try:
        data = json.loads(cursor)
        page = int(data.get("page") or 1)
    except (ValueError, TypeError, AttributeError):
        return fresh
    since = parse_xero_datetime(data.get("since")) if isinstance(data.get("since"), str) else None
    start = parse_xero_datetime(data.get("start")) if isinstance(data.get("start"), str) else None
    upto = parse_xero_datetime(data.get("upto")) if isinstance(data.get("upto"), str) else None
    after = data.get("after") if isinstance(data.get("after"), str) else ""
    return {"page": max(1, min(page, 10**6)), "since": since, "start": start,
            "after": after[:64], "upto": upto}


def format_cursor(page: int, since: datetime | None, start: datetime | None,
                  after: str = "", upto: datetime | None = None) -> str:
    data = {"page": page, "since": _iso(since), "start": _iso(start)}
    if after:
        data["after"] = after
    if upto:
        data["upto"] = _iso(upto)
    return json.dumps(data, separators=(",", ":"))


def _latest(records, start: datetime, upto: datetime | None) -> datetime | None:
    """The latest ``updated_at`` of ``records`` not after ``start``, or ``upto`` if later."""
    moments = [r.updated_at for r in records if r.updated_at and r.updated_at <= start]
    if upto:
        moments.append(upto)
    return max(moments) if moments else None


def watermark(start: datetime, upto: datetime | None) -> datetime:
    """Where the next pass starts: ``upto`` (the latest change this pass listed, not after its
    start), never earlier than ``start - OVERLAP``."""
    floor = start - OVERLAP
    return max(floor, upto) if upto else floor


def list_records(connection, object: str, cursor: str | None,  # noqa: A002 (hook's name)
                 page_size: int) -> RecordPage:
    """One page of ``object`` (see the module docstring)."""
    if object not in _OBJECTS:
        return RecordPage(records=(), cursor=cursor or "", more=False)
    collection, id_field, fixed, mapper, listed = _OBJECTS[object]
    state = parse_cursor(cursor)
    paged = collection in _PAGED
    size = max(1, min(int(page_size or 100), MAX_PAGE_SIZE))
    params = dict(fixed)
    if paged:
        params.update(page=state["page"], pageSize=size, order=id_field)
    else:
        kept = items_pass.recall(connection, state["since"], state["start"])
        if kept is not None:  # a later page of this pass: the list it downloaded
            return _slice(connection, kept, mapper, state, state["start"], size, fresh=False)
    data = XeroClient(connection).get(
        collection, params=params, modified_since=state["since"], precise=True,
        action=f"listing the {collection.lower()} in Xero")
    if data is None:  # 304 Not Modified: nothing changed since the watermark
        return RecordPage(records=(), cursor=format_cursor(1, state["since"], None), more=False)
    if not isinstance(data, dict):
        raise ProviderDown(f"Xero answered the {collection.lower()} listing with something "
                           "that is not a listing.", detail=str(data)[:300])
    start = state["start"] or parse_xero_datetime(data.get("DateTimeUTC")) \
        or datetime.now(timezone.utc)
    rows = data.get(collection) if isinstance(data.get(collection), list) else []
    if not paged:
        return _slice(connection, rows, mapper, state, start, size, fresh=True)
    records = tuple(mapper(row) for row in rows if listed(row))
    more = len(rows) >= size
    pagination = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
    if more and isinstance(pagination.get("pageCount"), int):
        more = state["page"] < pagination["pageCount"]
    upto = _latest(records, start, state["upto"])
    if more:
        return RecordPage(records=records, more=True, cursor=format_cursor(
            state["page"] + 1, state["since"], start, upto=upto))
    return RecordPage(records=records, cursor=format_cursor(1, watermark(start, upto), None),
                      more=False)


def _slice(connection, rows: list, mapper, state: dict, start: datetime, size: int, *,
           fresh: bool) -> RecordPage:
    """One page of an unpaged listing (items): the ``size`` rows after ``state["after"]`` in
    ItemID order. Rows ``fresh`` from Xero are kept for the pass's next pages
    (:mod:`.items_pass`)."""
    keyed = sorted(((str(row.get("ItemID") or "").lower(), row) for row in rows
                    if isinstance(row, dict)), key=lambda pair: pair[0])
    after = state["after"].lower()
    rest = [(key, row) for key, row in keyed if key > after]
    page, more = rest[:size], len(rest) > size
    records = tuple(mapper(row) for _, row in page)
    upto = _latest(records, start, state["upto"])
    if more:
        if fresh:
            items_pass.keep(connection, state["since"], start, rows)
        return RecordPage(records=records, more=True, cursor=format_cursor(
            1, state["since"], start, after=page[-1][0], upto=upto))
    items_pass.forget(connection, state["since"])
    return RecordPage(records=records, cursor=format_cursor(1, watermark(start, upto), None))
