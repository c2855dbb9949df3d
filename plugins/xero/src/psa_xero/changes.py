"""Inbound: payments, credits and invoice states of pushed invoices (``fetch_changes``,
``reconcile``).

What Xero tells us, and how it becomes a :class:`ChangeSet`
    Xero has no PAYMENT webhook: a payment, a deleted payment or a credit-note allocation shows
    up as an ``INVOICE``/``UPDATE`` of the invoice (reference 4.2). So both passes read the
    invoices themselves (``GET /Invoices?IDs=...``, batched) and report, for each invoice this
    connection pushed (``refs`` kind ``invoice``, written by the push) and only ACCREC ones:

    * every ``Payments[]`` entry as a :class:`PaymentRecord` (a Xero payment pays one invoice;
      the payments of a batch payment are separate payments with their own ids), once per
      PaymentID whatever the number of deliveries (the host dedupes on the id);
    * every credit note allocated to it (``CreditNotes[]``) as a ``kind="credit"`` record with
      the CreditNoteID, so credited amounts count as settled; overpayments and prepayments
      applied to it (``Overpayments[]``/``Prepayments[]``) as payments. A credit note whose
      allocation was removed in Xero comes back ``voided`` once it is allocated to none of our
      invoices (refs ``invoice_credits`` remembers up to 8 credit notes per invoice);
    * its state: ``PAID`` -> paid, ``VOIDED`` -> voided, ``DELETED`` (or gone: 404) -> deleted,
      otherwise open, with Xero's Total and AmountDue, and ``differs`` when Xero's copy no
      longer has the amounts and lines that were pushed (see :func:`fingerprint`);
    * deleted payments: a deleted Xero payment disappears from the invoice, so ``GET /Payments``
      with ``Status=="DELETED"`` (and If-Modified-Since) finds them; each comes back with
      ``voided=True`` and the host reverses it. After a webhook this query is made only when an
      invoice's AmountPaid fell since it was last read (refs ``invoice_paid``); reconcile always
      reads the payments changed since its cursor, deleted ones included.

    Payments and credit notes the host pushed itself are never reported (no echo): they are
    known by ``refs`` (``payment_out``, ``credit_note``) or by the ``[PSA payment #id]`` marker
    :mod:`psa_xero.payments_out` puts in the payment's Reference (which also covers the moment
    between Xero's answer and the host writing its sync record).

Reconcile
    ``If-Modified-Since`` = the previous cursor (less a two-minute overlap), over
    ``GET /Invoices?where=Type=="ACCREC"&createdByMyApp=true`` (paged), plus ``GET /Payments``
    and ``GET /CreditNotes`` modified since then (Xero does not bump an invoice's
    UpdatedDateUTC for every change, reference 12.12), whose invoices are read by id. The new
    cursor is Xero's own clock (the answer's ``DateTimeUTC``) at the start of the pass, so a
    sandbox or server clock that differs from ours loses nothing. The first pass (no cursor)
    looks back over every ACCREC invoice this app created in the organisation.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable

from hookspecs import ChangeSet, InvoiceState, PaymentAllocation, PaymentRecord, WebhookEvent

from .api import XeroClient, parse_xero_date, parse_xero_datetime

INVOICE_REF = "invoice"              # host invoice id -> InvoiceID (written by push)
CREDIT_NOTE_REF = "credit_note"      # host credit note id -> CreditNoteID (written by push)
PAYMENT_OUT_REF = "payment_out"      # host payment id -> PaymentID (payments_out)
FINGERPRINT_REF = "invoice_fingerprint"  # InvoiceID -> fingerprint of what was pushed
PAID_REF = "invoice_paid"            # InvoiceID -> AmountPaid when last read
CREDITS_REF = "invoice_credits"      # InvoiceID -> credit notes (made in Xero) allocated to it
#: ids kept per invoice in CREDITS_REF (22 characters each in a 200-character value)
CREDITS_KEPT = 8
#: ``[PSA payment #42]``: put in the Reference of payments the host pushed.
MARKER = re.compile(r"\[PSA payment #(\d+)\]")
ID_BATCH = 40
#: Deleted payments are looked up this far before the earliest event (clock skew, delays).
EVENT_LOOKBACK = timedelta(minutes=15)
#: Each reconcile pass re-reads this much before its cursor (records saved while the last
#: pass ran). Re-reported payments are harmless: the host records each PaymentID once.
CURSOR_OVERLAP = timedelta(minutes=2)
STATES = {"PAID": "paid", "VOIDED": "voided", "DELETED": "deleted"}


def marker(host_payment_id: int | str) -> str:
    return f"[PSA payment #{host_payment_id}]"


# -- the "Xero copy differs" fingerprint ----------------------------------------------------------


def _dec(value: Any, places: int) -> str:
    try:
        number = Decimal(str(value if value not in (None, "") else 0))
    except (InvalidOperation, ValueError):
        return str(value)
    return str(number.quantize(Decimal(1).scaleb(-places)))


def fingerprint(document: dict) -> str:
    """A short hash of what makes an invoice's money: currency, contact, amount type, Total and
    each line (description, quantity, unit amount, discount, line amount, account, tax type,
    item, tracking options). Payments, status, dates, reference and sent flags are left out:
    they change without the invoice being edited."""
    parts = [str(document.get("CurrencyCode") or ""),
             str((document.get("Contact") or {}).get("ContactID") or "").lower(),
             str(document.get("LineAmountTypes") or ""), _dec(document.get("Total"), 2)]
    for line in document.get("LineItems") or []:
        tracking = sorted(f"{t.get('Name', '')}={t.get('Option', '')}"
                          for t in line.get("Tracking") or [])
        parts.append("|".join([
            str(line.get("Description") or "").strip(), _dec(line.get("Quantity"), 4),
            _dec(line.get("UnitAmount"), 4), _dec(line.get("DiscountRate"), 2),
            _dec(line.get("LineAmount"), 2), str(line.get("AccountCode") or ""),
            str(line.get("TaxType") or ""), str(line.get("ItemCode") or ""), ",".join(tracking)]))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


def remember_fingerprint(connection, document: dict) -> None:
    """Call after pushing an invoice with the invoice Xero answered: later passes compare
    Xero's copy with it (``InvoiceState.differs``)."""
    if document.get("InvoiceID"):
        connection.refs.remember(FINGERPRINT_REF, str(document["InvoiceID"]).lower(),
                                 fingerprint(document))


def differs(connection, document: dict) -> bool:
    """Xero's copy no longer has what was pushed (False when it cannot tell: no fingerprint
    remembered, or a summary without line items)."""
    if "LineItems" not in document:
        return False
    pushed = connection.refs.get(FINGERPRINT_REF, str(document.get("InvoiceID", "")).lower())
    return bool(pushed) and pushed != fingerprint(document)


# -- helpers -----------------------------------------------------------------------------------


def _amount(value: Any) -> Decimal:
    try:
        return Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return Decimal("0.00")


def _day(entry: dict) -> date:
    return parse_xero_date(entry.get("Date"), entry.get("DateString")) or \
        datetime.now(timezone.utc).date()


def _pack_ids(ids: list[str]) -> str:
    """Up to CREDITS_KEPT Xero ids in one refs value (UUIDs as 22 base64 characters)."""
    out = []
    for value in ids[:CREDITS_KEPT]:
        try:
            out.append(base64.urlsafe_b64encode(uuid.UUID(value).bytes).decode().rstrip("="))
        except ValueError:
            continue  # not a Xero id: nothing to watch
    return ",".join(out)


def _unpack_ids(value: str | None) -> list[str]:
    out = []
    for part in (value or "").split(","):
        try:
            out.append(str(uuid.UUID(bytes=base64.urlsafe_b64decode(part + "=="))))
        except (ValueError, TypeError):
            continue
    return out


def _batches(ids: list[str], size: int = ID_BATCH) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _unique(values: Iterable[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.lower() not in seen:
            seen[value.lower()] = None
    return list(seen)


@dataclass
class _Collector:
    """Builds one ChangeSet: payment records merged by (kind, id), states by invoice."""

    connection: Any
    payments: dict[tuple[str, str, bool], dict] = field(default_factory=dict)
    states: dict[str, InvoiceState] = field(default_factory=dict)
    #: an invoice's AmountPaid fell since it was last read: a payment on it was deleted
    paid_fell: bool = False
    #: credit notes no longer allocated to an invoice they were seen on: CreditNoteID -> invoice
    credits_gone: dict[str, str] = field(default_factory=dict)
    #: memory (refs) to write once the whole pass has succeeded: a pass that fails half-way
    #: (throttled, Xero down) is retried and must see the same "before" again
    _memory: dict[tuple[str, str], str] = field(default_factory=dict)
    _ours: dict[str, bool] = field(default_factory=dict)

    def ours(self, invoice_id: str) -> bool:
        key = str(invoice_id).lower()
        if key not in self._ours:
            refs = self.connection.refs
            self._ours[key] = (refs.host_id_for(INVOICE_REF, key) is not None
                               or refs.host_id_for(INVOICE_REF, str(invoice_id)) is not None)
        return self._ours[key]

    def pushed_by_host(self, kind: str, external_id: str, reference: str = "") -> bool:
        refs = self.connection.refs
        if kind == "credit":
            return refs.host_id_for(CREDIT_NOTE_REF, external_id) is not None
        return bool(MARKER.search(reference or "")) or \
            refs.host_id_for(PAYMENT_OUT_REF, external_id) is not None

    def add(self, kind: str, external_id: str, invoice_id: str, amount: Decimal, day: date,
            currency: str = "", reference: str = "", voided: bool = False) -> None:
        if not external_id or (amount <= 0 and not voided):
            return
        if self.pushed_by_host(kind, external_id, reference):
            return
        slot = self.payments.setdefault((kind, external_id.lower(), voided), {
            "external_id": external_id, "date": day, "allocations": {}, "currency": currency,
            "reference": reference})
        allocations = slot["allocations"]
        allocations[invoice_id] = allocations.get(invoice_id, Decimal("0.00")) + amount
        slot["date"] = max(slot["date"], day)

    def add_invoice(self, doc: dict) -> None:
        invoice_id = str(doc.get("InvoiceID") or "")
        if not invoice_id or doc.get("Type") != "ACCREC" or not self.ours(invoice_id):
            return
        currency = str(doc.get("CurrencyCode") or "")
        for payment in doc.get("Payments") or []:
            deleted = str(payment.get("Status") or "").upper() == "DELETED"
            self.add("payment", str(payment.get("PaymentID") or ""), invoice_id,
                     _amount(payment.get("Amount")), _day(payment), currency,
                     str(payment.get("Reference") or ""), voided=deleted)
        credited = []
        for credit in doc.get("CreditNotes") or []:
            note_id = str(credit.get("CreditNoteID") or "")
            if note_id and not self.pushed_by_host("credit", note_id):
                credited.append(note_id)
            self.add("credit", note_id, invoice_id, _amount(credit.get("AppliedAmount")),
                     _day(credit), currency, str(credit.get("CreditNoteNumber") or ""))
        self._watch_credits(invoice_id, credited)
        for key, id_field in (("Overpayments", "OverpaymentID"), ("Prepayments", "PrepaymentID")):
            for entry in doc.get(key) or []:
                self.add("payment", str(entry.get(id_field) or ""), invoice_id,
                         _amount(entry.get("AppliedAmount")), _day(entry), currency,
                         str(entry.get("Reference") or ""))
        self._watch_paid(invoice_id, _amount(doc.get("AmountPaid")))
        status = str(doc.get("Status") or "").upper()
        state = STATES.get(status, "open")
        self.states[invoice_id.lower()] = InvoiceState(
            external_id=invoice_id, status=state,
            amount_due=_amount(doc.get("AmountDue")) if doc.get("AmountDue") is not None else None,
            total=_amount(doc.get("Total")) if doc.get("Total") is not None else None,
            differs=state in ("open", "paid") and differs(self.connection, doc))

    def _watch_paid(self, invoice_id: str, paid: Decimal) -> None:
        refs, key = self.connection.refs, invoice_id.lower()
        before = refs.get(PAID_REF, key)
        if before is not None and _amount(before) > paid:
            self.paid_fell = True
        if before is None or _amount(before) != paid:
            self._memory[(PAID_REF, key)] = str(paid)

    def _watch_credits(self, invoice_id: str, note_ids: list[str]) -> None:
        refs, key = self.connection.refs, invoice_id.lower()
        stored = refs.get(CREDITS_REF, key)
        before = _unpack_ids(stored)
        now = sorted({n.lower() for n in note_ids})
        for gone in set(before) - set(now):
            self.credits_gone[gone] = invoice_id
        packed = _pack_ids(now)
        if (stored or "") != packed:
            self._memory[(CREDITS_REF, key)] = packed

    def add_gone(self, invoice_id: str) -> None:
        """An invoice of ours that Xero no longer has at all."""
        if self.ours(invoice_id):
            self.states[invoice_id.lower()] = InvoiceState(external_id=invoice_id,
                                                           status="deleted")

    def add_deleted_payment(self, payment: dict) -> None:
        invoice = payment.get("Invoice") or {}
        invoice_id = str(invoice.get("InvoiceID") or "")
        if not invoice_id or str(payment.get("Status") or "").upper() != "DELETED":
            return
        if invoice.get("Type") not in (None, "", "ACCREC") or not self.ours(invoice_id):
            return
        self.add("payment", str(payment.get("PaymentID") or ""), invoice_id,
                 _amount(payment.get("Amount")), _day(payment),
                 str(invoice.get("CurrencyCode") or ""), str(payment.get("Reference") or ""),
                 voided=True)

    def change_set(self, cursor: str | None = None) -> ChangeSet:
        """The ChangeSet; call last: it also writes the pass's memory."""
        for (kind, key), value in self._memory.items():
            self.connection.refs.remember(kind, key, value)
        self._memory.clear()
        records = []
        for (kind, _, voided), slot in self.payments.items():
            records.append(PaymentRecord(
                external_id=slot["external_id"], date=slot["date"],
                allocations=tuple(PaymentAllocation(inv, amount)
                                  for inv, amount in slot["allocations"].items()),
                currency=slot["currency"], kind=kind, voided=voided,
                reference=slot["reference"]))
        # a payment deleted in Xero is reported voided only (never also as a live payment)
        voided_ids = {r.external_id.lower() for r in records if r.voided}
        records = [r for r in records if r.voided or r.external_id.lower() not in voided_ids]
        return ChangeSet(payments=tuple(records), invoices=tuple(self.states.values()),
                         cursor=cursor)


# -- reading -----------------------------------------------------------------------------------


def _server_time(data: Any) -> datetime | None:
    if isinstance(data, dict):
        return parse_xero_datetime(data.get("DateTimeUTC"))
    return None


def _list(xero: XeroClient, collection: str, params: dict | None = None,
          since: datetime | None = None, paged: bool = True) -> tuple[list[dict], datetime | None]:
    """Every row of a listing and Xero's clock at the first answer (None on 304)."""
    rows: list[dict] = []
    clock = None
    page = 1
    while True:
        query = dict(params or {})
        if paged:
            query.update(page=page, pageSize=100)
        data = xero.get(collection, params=query, modified_since=since,
                        action=f"reading {collection.lower()} changed in Xero")
        clock = clock or _server_time(data)
        batch = list((data or {}).get(collection) or [])
        rows.extend(batch)
        if not paged or len(batch) < 100:
            return rows, clock
        pagination = (data or {}).get("pagination") or {}
        if pagination.get("pageCount") and page >= int(pagination["pageCount"]):
            return rows, clock
        page += 1


def _read_invoices(xero: XeroClient, collector: _Collector, ids: list[str],
                   have: set[str] | None = None) -> None:
    """Read invoices by id (batched) into ``collector``; ids of ours Xero no longer has at all
    are read one by one and reported deleted when Xero answers 404."""
    have = have if have is not None else set()
    wanted = [i for i in _unique(ids) if i.lower() not in have]
    for batch in _batches(wanted):
        # paged: Xero leaves line items (and so the fingerprint) out of unpaged listings
        rows, _ = _list(xero, "Invoices", {"IDs": ",".join(batch)})
        for doc in rows:
            have.add(str(doc.get("InvoiceID", "")).lower())
            collector.add_invoice(doc)
    for invoice_id in wanted:
        if invoice_id.lower() not in have and collector.ours(invoice_id):
            doc = xero.invoice(invoice_id)
            if doc is None:
                collector.add_gone(invoice_id)
            else:
                have.add(invoice_id.lower())
                collector.add_invoice(doc)


def _credit_note_invoices(collector: _Collector, notes: Iterable[dict]) -> list[str]:
    """Invoice ids of ours that credit notes (made in Xero) are allocated to."""
    out = []
    for note in notes:
        if note.get("Type") not in (None, "ACCRECCREDIT"):
            continue
        for allocation in note.get("Allocations") or []:
            invoice_id = str((allocation.get("Invoice") or {}).get("InvoiceID") or "")
            if invoice_id and collector.ours(invoice_id):
                out.append(invoice_id)
    return out


def _removed_credits(xero: XeroClient, collector: _Collector) -> None:
    """Credit notes whose allocation to one of our invoices was removed in Xero: reported
    voided (the host reverses the credit) when the credit note is no longer allocated to any
    invoice of ours, or was voided or deleted. One still allocated to another of our invoices
    is left as it is: the host's records cannot express a partly removed credit."""
    for note_id, invoice_id in collector.credits_gone.items():
        note = xero.credit_note(note_id)
        live = [] if note is None or str(note.get("Status") or "").upper() in (
            "VOIDED", "DELETED") else [
            a for a in note.get("Allocations") or []
            if not a.get("IsDeleted") and collector.ours(
                str((a.get("Invoice") or {}).get("InvoiceID") or ""))]
        if not live:
            collector.add("credit", str((note or {}).get("CreditNoteID") or note_id), invoice_id,
                          Decimal("0.00"), _day(note or {}), voided=True)


def _deleted_payments(xero: XeroClient, collector: _Collector, since: datetime | None) -> None:
    rows, _ = _list(xero, "Payments", {"where": 'Status=="DELETED"'}, since=since)
    for payment in rows:
        collector.add_deleted_payment(payment)


# -- the hooks ---------------------------------------------------------------------------------


def fetch(connection, events: list[WebhookEvent]) -> ChangeSet:
    """``fetch_changes``: read what the events point at (see the module docstring).

    Events about invoices this connection did not push (bills, invoices typed in Xero) cost no
    call. Deleted payments are looked up only when an invoice's AmountPaid fell since it was
    last read (refs ``invoice_paid``); the reconcile pass looks them up whatever the memory
    says, so a change set the host could not apply is caught up there.
    """
    collector = _Collector(connection)
    xero = XeroClient(connection)
    invoice_ids = [e.entity_id for e in events
                   if e.entity == "invoice" and collector.ours(e.entity_id)]
    note_ids = _unique(e.entity_id for e in events if e.entity == "credit_note")
    notes = []
    for note_id in note_ids:
        if connection.refs.host_id_for(CREDIT_NOTE_REF, note_id) is not None:
            continue  # pushed by the host: its allocation is the host's own
        note = xero.credit_note(note_id)
        if note is not None:
            notes.append(note)
    invoice_ids += _credit_note_invoices(collector, notes)
    _read_invoices(xero, collector, invoice_ids)
    _removed_credits(xero, collector)
    if collector.paid_fell:
        moments = [e.occurred_at for e in events if e.occurred_at is not None]
        since = (min(moments) - EVENT_LOOKBACK) if moments else \
            datetime.now(timezone.utc) - timedelta(days=1)
        _deleted_payments(xero, collector, since)
    return collector.change_set()


def parse_cursor(cursor: str | None) -> datetime | None:
    if not cursor:
        return None
    moment = parse_xero_datetime(cursor)
    return moment


def format_cursor(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def reconcile(connection, cursor: str | None) -> ChangeSet:
    """``reconcile``: everything of ours changed in Xero since ``cursor`` (see the module
    docstring); returns the next cursor."""
    collector = _Collector(connection)
    xero = XeroClient(connection)
    previous = parse_cursor(cursor)
    since = previous - CURSOR_OVERLAP if previous else None
    invoices, clock = _list(xero, "Invoices", {"where": 'Type=="ACCREC"',
                                               "createdByMyApp": "true"}, since=since)
    have: set[str] = set()
    extra: list[str] = []
    for doc in invoices:
        have.add(str(doc.get("InvoiceID", "")).lower())
        collector.add_invoice(doc)
    if since is None:
        # First pass: the listing above holds every live payment and credit on our invoices;
        # only deleted payments (gone from their invoice) need their own query.
        _deleted_payments(xero, collector, None)
    else:
        payments, payments_clock = _list(xero, "Payments", None, since=since)
        clock = clock or payments_clock
        for payment in payments:
            if str(payment.get("Status") or "").upper() == "DELETED":
                collector.add_deleted_payment(payment)
            else:
                extra.append(str((payment.get("Invoice") or {}).get("InvoiceID") or ""))
        notes, notes_clock = _list(xero, "CreditNotes", {"where": 'Type=="ACCRECCREDIT"'},
                                   since=since)
        clock = clock or notes_clock
        extra += _credit_note_invoices(collector, notes)
    _read_invoices(xero, collector, [i for i in extra if i and collector.ours(i)], have)
    _removed_credits(xero, collector)
    if clock is None:  # Xero answered 304 everywhere: nothing changed, keep the cursor
        return collector.change_set(cursor=cursor or format_cursor(datetime.now(timezone.utc)))
    return collector.change_set(cursor=format_cursor(clock))


__all__ = ["fetch", "fingerprint", "marker", "reconcile", "remember_fingerprint"]
