"""What changed in QuickBooks: payments received and the state of pushed invoices.

``fetch`` (after a webhook) reads the Payments and Invoices the events name; ``reconcile``
(periodically, and "Reconcile now") asks Change Data Capture what changed since the last pass
(reference 6). Both turn QuickBooks objects into the host's :class:`ChangeSet`:

* A **Payment** becomes one :class:`PaymentRecord` whose allocations are its lines linked to
  invoices (``Line[].LinkedTxn`` with ``TxnType`` ``Invoice``, reference 3.10): one payment
  covering several invoices updates each of them. An unapplied payment (no invoice line) is
  not money received against an invoice and is left out (reference 13).
* A credit memo applied to invoices is booked by QuickBooks as a Payment whose lines link the
  invoices *and* the credit memo (reference 3.11). The credit part is reported separately as
  ``kind="credit"`` (external id ``<payment id>:cm<credit memo id>``) and only the cash part as
  a payment; the credit is spread over the payment's invoice lines in their order. A credit
  memo the host pushed itself is not reported again (the host already has the credit note).
* A Payment deleted or voided in QuickBooks comes back with ``voided=True``: the host reverses
  what it recorded for it.
* A Payment the host pushed itself (``on_payment``, remembered as refs kind
  ``payment_out``; also recognised by the ``PSA payment`` / ``PSA credit note`` note the plugin
  writes, in case the webhook arrives before the push's result is stored) is never reported
  back: no echo.
* An **Invoice** becomes an :class:`InvoiceState`: ``deleted`` (gone), ``voided`` (QuickBooks
  zeroes the amounts and prefixes ``Voided`` to ``PrivateNote``, reference 2.1), ``paid``
  (balance 0) or ``open``; ``differs`` when its total or sales lines no longer match what the
  plugin pushed (a fingerprint remembered by :func:`remember_pushed`).

Reconcile's cursor is the ``time`` of the CDC answer (QuickBooks' own clock). CDC looks back at
most 30 days: the first pass looks back 29.5 days (the connection's pushed invoices are younger
than that), and a cursor older than CDC can reach (a connection left waiting for reconnection
for weeks) is caught up with queries on ``MetaData.LastUpdatedTime`` (deletions older than the
CDC window cannot be seen that way). CDC answers at most 1,000 objects; a full answer is
followed from the last change it holds. Each pass starts a minute before the cursor (the
clocks of Intuit's servers differ), yet reports each version of an object once: the versions a
pass saw in its last minute are remembered with the cursor it returned (refs kind
``reconciled``, host_id ``<entity>:<Id>``, ``<SyncToken>:<LastUpdatedTime>@<cursor>``), and
the pass that continues from that cursor leaves them out (a pass repeated from an older
cursor, because the host did not keep the newer one, reports them again).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from hookspecs import ChangeSet, InvoiceState, PaymentAllocation, PaymentRecord, WebhookEvent

from .api import QboClient, quote

log = logging.getLogger(__name__)

ENTITIES = ("Payment", "Invoice")
#: ``WebhookEvent.entity`` (the host's vocabulary) -> the QuickBooks entity ``fetch`` reads.
EVENT_ENTITIES = {"payment": "Payment", "invoice": "Invoice"}
#: refs kind of payments pushed by ``on_payment`` (host_id = host payment id).
PAYMENT_OUT = "payment_out"
#: refs kind of credit memos pushed by ``on_credit_note`` (host_id = host credit note id).
CREDIT_MEMO = "credit_memo"
#: refs kind of the fingerprint of a pushed invoice (host_id = QuickBooks Invoice Id).
FINGERPRINT = "invoice_fingerprint"
#: ``PrivateNote`` prefixes of payments the plugin writes (mappers/payment.py, and the Payment
#: of 0 that applies a pushed credit memo, push.py).
OWN_NOTES = ("PSA payment ", "PSA credit note ")
CDC_CAP = 1000
CDC_MAX_PAGES = 20
#: CDC refuses ``changedSince`` older than 30 days; stay well inside it.
CDC_LOOKBACK = timedelta(days=29, hours=12)
#: Each pass starts a little before the previous answer's time (clocks of Intuit's servers
#: differ); what the previous pass saw in that minute is remembered and not reported again.
OVERLAP = timedelta(minutes=1)
#: refs kind of the versions a reconcile pass saw within OVERLAP of its cursor.
RECONCILED = "reconciled"
ID_CHUNK = 50
CENT = Decimal("0.01")


# -- small readers --------------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0)).quantize(CENT)
    except InvalidOperation:
        return Decimal("0.00")


def _number(value: Any) -> str:
    try:
        return format(Decimal(str(value)).normalize(), "f") if value not in (None, "") else ""
    except InvalidOperation:
        return str(value)


def _ref(value: Any) -> str:
    return str(value.get("value") or "") if isinstance(value, dict) else str(value or "")


def parse_time(value: Any) -> datetime | None:
    """A QuickBooks date-time (``2026-03-02T10:04:11.512-08:00``, ``...Z``) in UTC, or None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text[:10])
        except ValueError:
            return None
    if moment.tzinfo is None:  # QuickBooks reports in the company's zone; Pacific by default
        moment = moment.replace(tzinfo=timezone(timedelta(hours=-8)))
    return moment.astimezone(timezone.utc)


def format_time(moment: datetime) -> str:
    """``changedSince`` / query literal: seconds precision with an explicit offset."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat()


def _updated(row: dict) -> datetime | None:
    return parse_time((row.get("MetaData") or {}).get("LastUpdatedTime"))


def _txn_date(row: dict, fallback: date | None = None) -> date:
    text = row.get("TxnDate")
    if isinstance(text, str):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            pass  # an unreadable TxnDate: fall back to when QuickBooks last changed the row
    updated = _updated(row)
    if updated is not None:
        return updated.date()
    return fallback or datetime.now(timezone.utc).date()


def is_deleted(row: dict) -> bool:
    return str(row.get("status") or "").lower() == "deleted"


def is_voided(row: dict) -> bool:
    return (str(row.get("TxnStatus") or "").lower() == "voided"
            or str(row.get("PrivateNote") or "").startswith("Voided"))


# -- fingerprints ("edited in QuickBooks") --------------------------------------------------------


def fingerprint(invoice: dict) -> str:
    """A short hash of what the host cares about in an invoice: its total and its sales lines
    (amount, item, quantity, unit price, description). Payments, emails and SyncToken bumps do
    not change it."""
    parts = [str(_money(invoice.get("TotalAmt")))]
    for line in invoice.get("Line") or []:
        if not isinstance(line, dict) or line.get("DetailType") != "SalesItemLineDetail":
            continue
        detail = line.get("SalesItemLineDetail") or {}
        parts.append("|".join((str(_money(line.get("Amount"))), _ref(detail.get("ItemRef")),
                               _number(detail.get("Qty")), _number(detail.get("UnitPrice")),
                               str(line.get("Description") or "").strip())))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def remember_pushed(connection, invoice: dict) -> None:
    """Remember what was pushed (call with QuickBooks' response after each create/update)."""
    if invoice.get("Id"):
        connection.refs.remember(FINGERPRINT, str(invoice["Id"]), fingerprint(invoice))


def invoice_state(connection, row: dict) -> InvoiceState:
    ident = str(row.get("Id"))
    if is_deleted(row):
        return InvoiceState(external_id=ident, status="deleted")
    version = str(row["SyncToken"]) if row.get("SyncToken") is not None else None
    total, balance = _money(row.get("TotalAmt")), _money(row.get("Balance"))
    if is_voided(row):
        return InvoiceState(external_id=ident, status="voided", amount_due=Decimal("0.00"),
                            total=Decimal("0.00"), version=version)
    status = "paid" if total > 0 and balance <= 0 else "open"
    pushed = connection.refs.get(FINGERPRINT, ident)
    differs = bool(pushed) and pushed != fingerprint(row)
    return InvoiceState(external_id=ident, status=status, amount_due=balance, total=total,
                        differs=differs, version=version)


# -- payments -------------------------------------------------------------------------------------


def is_own_payment(connection, row: dict) -> bool:
    """Pushed by this integration (``on_payment``): remembered, or carrying our note."""
    if connection.refs.host_id_for(PAYMENT_OUT, str(row.get("Id"))) is not None:
        return True
    return str(row.get("PrivateNote") or "").startswith(OWN_NOTES)


def payment_records(connection, row: dict, when: date | None = None) -> list[PaymentRecord]:
    """The host's view of one QuickBooks Payment (none, one payment, plus credit parts)."""
    ident = str(row.get("Id"))
    if is_own_payment(connection, row):
        return []
    if is_deleted(row) or is_voided(row):
        return [PaymentRecord(external_id=ident, date=_txn_date(row, when), allocations=(),
                              voided=True)]
    invoices: list[list] = []  # [invoice id, amount still to split]
    credits: list[tuple[str, Decimal]] = []
    for line in row.get("Line") or []:
        if not isinstance(line, dict):
            continue
        amount = _money(line.get("Amount"))
        for link in line.get("LinkedTxn") or []:
            kind, txn = link.get("TxnType"), str(link.get("TxnId") or "")
            if not txn or amount <= 0:
                continue
            if kind == "Invoice":
                invoices.append([txn, amount])
            elif kind == "CreditMemo":
                credits.append((txn, amount))
    if not invoices:
        return []  # unapplied money, or credits applied to nothing the host knows
    day = _txn_date(row, when)
    currency = _ref(row.get("CurrencyRef"))
    reference = str(row.get("PaymentRefNum") or "")
    out: list[PaymentRecord] = []
    for memo_id, credit in credits:
        shares: dict[str, Decimal] = {}
        for entry in invoices:
            if credit <= 0:
                break
            part = min(credit, entry[1])
            if part > 0:
                shares[entry[0]] = shares.get(entry[0], Decimal("0")) + part
                entry[1] -= part
                credit -= part
        if connection.refs.host_id_for(CREDIT_MEMO, memo_id) is not None:
            continue  # a credit note the host pushed: it already reduced the invoice there
        if shares:
            out.append(PaymentRecord(
                external_id=f"{ident}:cm{memo_id}", date=day, currency=currency, kind="credit",
                allocations=tuple(PaymentAllocation(i, a) for i, a in shares.items()),
                reference=reference))
    cash: dict[str, Decimal] = {}
    for invoice_id, rest in invoices:
        if rest > 0:
            cash[invoice_id] = cash.get(invoice_id, Decimal("0")) + rest
    if cash:
        out.insert(0, PaymentRecord(
            external_id=ident, date=day, currency=currency, reference=reference,
            allocations=tuple(PaymentAllocation(i, a) for i, a in cash.items())))
    return out


def change_set(connection, payments: Iterable[dict], invoices: Iterable[dict],
               cursor: str | None = None, when: date | None = None) -> ChangeSet:
    records: list[PaymentRecord] = []
    for row in payments:
        records.extend(payment_records(connection, row, when))
    states = [invoice_state(connection, row) for row in invoices]
    return ChangeSet(payments=tuple(records), invoices=tuple(states), cursor=cursor)


# -- fetch (webhook) ------------------------------------------------------------------------------


def by_ids(qbo: QboClient, entity: str, ids: list[str]) -> dict[str, dict]:
    """Read several objects in few calls (``Id IN (...)``); absent ids are not in the result."""
    found: dict[str, dict] = {}
    for start in range(0, len(ids), ID_CHUNK):
        chunk = ids[start:start + ID_CHUNK]
        where = "Id IN (" + ", ".join(quote(i) for i in chunk) + ")"
        for row in qbo.query(f"SELECT * FROM {entity} WHERE {where} MAXRESULTS {ID_CHUNK}"):
            found[str(row.get("Id"))] = row
    return found


def fetch(connection, events: list[WebhookEvent]) -> ChangeSet:
    """Read the Payments and Invoices the ``payment`` and ``invoice`` events name and report
    them (other entities cost no call).

    An object the events name that QuickBooks no longer has (deleted since) is reported as
    deleted (an invoice) or voided (a payment).
    """
    wanted: dict[str, dict[str, datetime | None]] = {name: {} for name in ENTITIES}
    for event in events:
        entity = EVENT_ENTITIES.get(event.entity)
        if entity and event.entity_id:
            seen = wanted[entity].get(event.entity_id)
            wanted[entity][event.entity_id] = max(
                (t for t in (seen, event.occurred_at) if t is not None), default=None)
    if not any(wanted.values()):
        return ChangeSet()
    qbo = QboClient(connection)
    rows: dict[str, list[dict]] = {}
    for entity, ids in wanted.items():
        found = by_ids(qbo, entity, sorted(ids)) if ids else {}
        rows[entity] = [found.get(i) or {"Id": i, "status": "Deleted", "MetaData": {
            "LastUpdatedTime": ids[i].isoformat() if ids[i] else None}} for i in sorted(ids)]
    return change_set(connection, rows["Payment"], rows["Invoice"])


# -- reconcile (CDC) ------------------------------------------------------------------------------


@dataclass
class _Pass:
    rows: dict[str, dict[str, dict]]
    times: list[datetime]

    def keep(self, entity: str, row: dict) -> None:
        ident = str(row.get("Id"))
        old = self.rows[entity].get(ident)
        if old is None:
            self.rows[entity][ident] = row
            return
        new_t, old_t = _updated(row), _updated(old)
        if old_t is None or (new_t is not None and (new_t > old_t or (
                new_t == old_t and is_deleted(row)))):
            self.rows[entity][ident] = row


def _cdc(qbo: QboClient, work: _Pass, entity: str, since: datetime) -> None:
    """Every change of ``entity`` since ``since``, following full (capped) answers."""
    first: datetime | None = None
    for _ in range(CDC_MAX_PAGES):
        found, time = qbo.cdc([entity], format_time(since))
        answered = parse_time(time) or datetime.now(timezone.utc)
        first = first or answered
        batch = found.get(entity) or []
        for row in batch:
            work.keep(entity, row)
        if len(batch) < CDC_CAP:
            work.times.append(first)
            return
        latest = max((t for t in (_updated(r) for r in batch) if t is not None), default=None)
        if latest is None or latest <= since:
            log.warning("QuickBooks CDC returned %d %s changes at one instant; some may be "
                        "skipped", len(batch), entity)
            work.times.append(first)
            return
        since = latest
    # still more: the next pass goes on from where this one stopped
    work.times.append(since)


def reconcile(connection, cursor: str | None) -> ChangeSet:
    """Everything that changed since ``cursor`` (the previous pass's CDC time)."""
    qbo = QboClient(connection)
    now = datetime.now(timezone.utc)
    floor = now - CDC_LOOKBACK
    work = _Pass(rows={name: {} for name in ENTITIES}, times=[])
    previous = parse_time(cursor) if cursor else None
    start = previous - OVERLAP if previous else floor
    if start < floor:
        # older than CDC can look back: queries find every object changed since then
        for entity in ENTITIES:
            for row in qbo.query_all(
                    entity, where=f"MetaData.LastUpdatedTime >= {quote(format_time(start))}"):
                work.keep(entity, row)
        start = floor
    for entity in ENTITIES:
        _cdc(qbo, work, entity, start)
    new_cursor = min(work.times) if work.times else now
    seen = _seen_before(connection, work, str(cursor), previous) if previous else []
    _remember_seen(connection, work, new_cursor)  # the dropped too: the next pass sees them
    for entity, ident in seen:
        del work.rows[entity][ident]
    return change_set(connection, work.rows["Payment"].values(), work.rows["Invoice"].values(),
                      cursor=new_cursor.isoformat())


def _version(row: dict) -> str:
    """One version of an object: its SyncToken (a deleted object's stub has none: its status)
    and ``LastUpdatedTime`` (seconds only, so two edits in one second differ by SyncToken)."""
    stamp = str((row.get("MetaData") or {}).get("LastUpdatedTime") or "")
    return f"{row.get('SyncToken') or row.get('status') or ''}:{stamp}" if stamp else ""


def _seen_before(connection, work: _Pass, cursor: str,
                 previous: datetime) -> list[tuple[str, str]]:
    """(entity, Id) of the versions the pass that returned ``cursor`` already had (the
    overlap): this pass leaves them out."""
    return [(entity, ident) for entity, rows in work.rows.items()
            for ident, row in rows.items()
            if (_updated(row) or previous) <= previous and _version(row)
            and connection.refs.get(RECONCILED, f"{entity}:{ident}") ==
            f"{_version(row)}@{cursor}"]


def _remember_seen(connection, work: _Pass, cursor: datetime) -> None:
    """Remember the versions this pass reports that the next pass's overlap reads again."""
    for entity, rows in work.rows.items():
        for ident, row in rows.items():
            moment = _updated(row)
            if moment is not None and moment >= cursor - OVERLAP and _version(row):
                connection.refs.remember(RECONCILED, f"{entity}:{ident}",
                                         f"{_version(row)}@{cursor.isoformat()}")


__all__ = ["by_ids", "fetch", "fingerprint", "invoice_state", "payment_records", "reconcile",
           "remember_pushed"]
