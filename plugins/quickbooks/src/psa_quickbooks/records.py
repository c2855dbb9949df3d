"""``list_records``: customers, products and invoices from QuickBooks, page by page.

**Initial listing** (``cursor`` None): a query ordered by ``Id``, ``STARTPOSITION`` moving by
the page (``SELECT *, Sku FROM Item WHERE Active IN (true, false) ORDERBY Id STARTPOSITION n
MAXRESULTS m``: inactive records are listed too; ``Sku`` is asked for explicitly, reference
3.5). ``Category`` items are not listed (they cannot go on an invoice). The first page notes
QuickBooks' clock (the answer's ``time``): after the last page the cursor becomes that moment,
so the incremental passes start from when the listing began.

**Incremental passes** (``cursor`` after a listing): change data capture since the watermark
(less a minute: Intuit's servers' clocks differ; the host applies a record seen twice once),
one call answering up to 1,000 objects, handed out ``page_size`` at a time in the order of
their last change (the cursor remembers the last one handed out and the answer's ``time``, so
the next page asks again and continues after it; a record changed again meanwhile comes in the
next pass). The cursor also remembers the versions (``SyncToken`` and ``LastUpdatedTime``) a
pass listed within that minute, and the next pass, which re-reads the minute, leaves them out:
each version is listed once. A full answer (1,000: more may have changed) falls back to a query on
``MetaData.LastUpdatedTime`` paged like the initial listing (deletions are only in CDC, so a
record deleted in that window is seen by the next listing only). A watermark older than CDC's
30 days (a connection paused for weeks) restarts a full listing, and says so in the log.

**Invoices** carry their payments: the Payments named by the page's invoices' ``LinkedTxn`` are
read in one query per page (``SELECT * FROM Payment WHERE Id IN (...)``, 50 ids a query); the
host records each once. Payments this integration pushed are not reported (no echo). The
company's tax model (US ``TAX``/``NON`` or codes per line) decides how tax is read. The company
(CompanyInfo, Preferences and, outside the US, the tax codes' rates) is read **once per pass**,
on its first page with invoices, and carried by the cursor to the pass's last page
(:mod:`.records_company`): a page of invoices is one query (plus one for its payments).

The cursor is JSON (``{"mode": "list"|"cdc"|"scan", ...}``); the host stores it unread.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from decimal import Decimal

from hookspecs import RecordPage, ValidationError

from . import changes
from . import records_company
from .api import PAGE_SIZE, QboClient, quote
from .changes import CDC_CAP, CDC_LOOKBACK, OVERLAP
from .changes import format_time as _fmt
from .items import SELLABLE
from .mappers import inbound
from .records_company import PassCompany

log = logging.getLogger(__name__)

ENTITIES = {"customer": "Customer", "item": "Item", "invoice": "Invoice"}
#: Versions a cursor remembers at most (beyond, a record may be listed twice; the host applies
#: it once).
SEEN_MAX = 2000


def _now_of(qbo: QboClient) -> datetime:
    return inbound.moment(qbo.last_time) or datetime.now(timezone.utc)


def _read_cursor(cursor: str | None) -> dict:
    if cursor is None:
        return {"mode": "list", "pos": 1}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    if not isinstance(state, dict) or state.get("mode") not in ("list", "cdc", "scan"):
        raise ValidationError("The stored QuickBooks sync position cannot be read.",
                              fix="Restart the import of this object from the Manage page.")
    return state


def _select(entity: str) -> str:
    return "*, Sku" if entity == "Item" else "*"


def _where(entity: str, extra: str = "") -> str:
    parts = ["Active IN (true, false)"] if entity in ("Customer", "Item") else []
    if extra:
        parts.append(extra)
    return (" WHERE " + " AND ".join(parts)) if parts else ""


def _query_page(qbo: QboClient, entity: str, pos: int, size: int, extra: str = "") -> list[dict]:
    return qbo.query(f"SELECT {_select(entity)} FROM {entity}{_where(entity, extra)} "
                     f"ORDERBY Id STARTPOSITION {pos} MAXRESULTS {size}")


def _listed(entity: str, rows: list[dict]) -> list[dict]:
    if entity != "Item":
        return [r for r in rows if isinstance(r, dict)]
    return [r for r in rows if isinstance(r, dict) and (
        inbound.is_deleted(r) or r.get("Type", "Service") in SELLABLE)]


def _updated_key(row: dict) -> tuple[str, str]:
    moment = inbound.moment((row.get("MetaData") or {}).get("LastUpdatedTime")
                            if isinstance(row.get("MetaData"), dict) else None)
    return (_fmt(moment) if moment else "", str(row.get("Id") or ""))


# -- the hook ------------------------------------------------------------------------------------


def list_records(connection, object: str, cursor: str | None, page_size: int) -> RecordPage:
    entity = ENTITIES.get(object)
    if entity is None:
        return RecordPage(records=(), cursor=cursor or "", more=False)
    qbo = QboClient(connection)
    state = _read_cursor(cursor)
    carried = records_company.from_cursor(state.pop("co", None))
    size = max(1, min(int(page_size or PAGE_SIZE), PAGE_SIZE))
    if state["mode"] == "cdc":
        since = inbound.moment(state.get("since"))
        if since is None or since < datetime.now(timezone.utc) - CDC_LOOKBACK:
            log.warning("QuickBooks %s: the last sync was more than 30 days ago (%s), beyond "
                        "change data capture; listing every record again", entity,
                        state.get("since"))
            state, carried = {"mode": "list", "pos": 1}, None
        else:
            rows, next_state, more = _changes(qbo, entity, state, since, size)
            return _page(connection, qbo, object, rows, next_state, more, carried)
    rows, next_state, more = _listing(qbo, entity, state, size)
    return _page(connection, qbo, object, rows, next_state, more, carried)


def _listing(qbo: QboClient, entity: str, state: dict, size: int):
    """One page of the initial listing (``mode`` list) or of the fallback scan (``scan``)."""
    pos = int(state.get("pos") or 1)
    extra = ""
    if state["mode"] == "scan":
        extra = f"MetaData.LastUpdatedTime >= {quote(state['since'])}"
    rows = _query_page(qbo, entity, pos, size, extra)
    started = state.get("started") or _fmt(_now_of(qbo) - OVERLAP)
    seen = _recent(rows, _fmt(inbound.moment(started) - OVERLAP), state.get("seen"))
    if len(rows) == size:
        return rows, dict(state, pos=pos + size, started=started, seen=seen), True
    return rows, {"mode": "cdc", "since": started, "seen": seen}, False


def _changes(qbo: QboClient, entity: str, state: dict, since: datetime, size: int):
    """One page of what changed since ``since`` (change data capture), leaving out the
    versions the previous pass listed in the overlap (``seen``)."""
    found, answered = qbo.cdc([entity], _fmt(since - OVERLAP))
    until = state.get("until") or _fmt(inbound.moment(answered) or _now_of(qbo))
    rows = [r for r in found.get(entity) or [] if isinstance(r, dict)]
    if len(rows) >= CDC_CAP:  # capped: more changed than one answer holds
        return _listing(qbo, entity, {"mode": "scan", "pos": 1, "since": _fmt(since - OVERLAP),
                                      "started": until}, size)
    rows = [r for r in rows if _updated_key(r)[0] <= until]
    rows.sort(key=_updated_key)
    seen = state.get("seen") or {}
    after = tuple(state.get("after") or ("", ""))
    fresh = [r for r in rows if _updated_key(r) > after
             and seen.get(_updated_key(r)[1]) != _version(r)]
    page, rest = fresh[:size], fresh[size:]
    if rest:
        return page, {"mode": "cdc", "since": _fmt(since), "until": until, "seen": seen,
                      "after": list(_updated_key(page[-1]))}, True
    overlap = _fmt(inbound.moment(until) - OVERLAP)
    return page, {"mode": "cdc", "since": until, "seen": _recent(rows, overlap)}, False


def _version(row: dict) -> str:
    """One version of a record: its SyncToken (a deleted stub's status) and last change."""
    meta = row.get("MetaData") if isinstance(row.get("MetaData"), dict) else {}
    return f"{row.get('SyncToken') or row.get('status') or ''}:{meta.get('LastUpdatedTime') or ''}"


def _recent(rows: list[dict], floor: str, seen: dict | None = None) -> dict:
    """``seen`` plus {Id: version} of the rows changed at or after ``floor``: the next pass
    re-reads that overlap and leaves these versions out (at most :data:`SEEN_MAX`)."""
    out = dict(seen or {})
    for row in rows:
        changed, ident = _updated_key(row)
        if changed and changed >= floor and ident and len(out) < SEEN_MAX:
            out[ident] = _version(row)
    return out


def _page(connection, qbo: QboClient, object: str, rows: list[dict], state: dict,
          more: bool, carried: PassCompany | None) -> RecordPage:
    """The page's records; ``carried``: the company the pass read on an earlier page."""
    entity = ENTITIES[object]
    rows = _listed(entity, rows)
    if object == "customer":
        records = tuple(inbound.customer(r) for r in rows)
    elif object == "item":
        records = tuple(inbound.item(r) for r in rows)
    else:
        records, carried = _invoices(connection, qbo, rows, carried)
    if more and carried is not None:  # the pass goes on: its next pages need not read it
        state = dict(state, co=carried.to_cursor())
    return RecordPage(records=records, cursor=json.dumps(state, separators=(",", ":")),
                      more=more)


def _invoices(connection, qbo: QboClient, rows: list[dict],
              company: PassCompany | None) -> tuple[tuple, PassCompany | None]:
    """The page's invoices with their payments, and the company they were read with (the
    one the cursor carried, else read now)."""
    if not rows:
        return (), company
    company = company or records_company.load(qbo)
    non_us = company.tax_model(connection)
    rates: dict[str, Decimal] = company.code_rates(qbo) if non_us else {}
    wanted = sorted({inbound.text(link.get("TxnId"), 30) for row in rows
                     for link in (row.get("LinkedTxn") or [])
                     if isinstance(link, dict) and link.get("TxnType") == "Payment"
                     and inbound.text(link.get("TxnId"), 30)})
    by_invoice: dict[str, list] = {}
    if wanted:
        for payment in changes.by_ids(qbo, "Payment", wanted).values():
            for record in changes.payment_records(connection, payment):
                for allocation in record.allocations:
                    by_invoice.setdefault(allocation.invoice_external_id, []).append(record)
    return tuple(inbound.invoice(row, us=not non_us, home_currency=company.home_currency,
                                 code_rates=rates,
                                 payments=tuple(by_invoice.get(str(row.get("Id")), ())))
                 for row in rows), company
