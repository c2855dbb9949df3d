"""Invoices in: one page of :class:`~host.contract.records.InboundInvoice` -> host invoices.

Each invoice is applied whole or not at all (with its lines and payments, in the page's
transaction; a record that cannot be mapped changes nothing but its link):

* **Host-created invoices** (a synced invoice record of this connection has its external id)
  are never imported again (no echo). Their edits in the ledger keep today's behaviour (the
  invoice's sync record says "differs", through ``fetch_changes`` / ``reconcile``), unless the
  invoice setting's conflict policy is "Use QuickBooks/Xero data": then the ledger's edit is
  applied to the host invoice (lines, totals, dates) and the history lists what was overwritten.
* **New invoices**: drafts, and invoices voided before they came in, are skipped; the admin's
  filters apply. The customer must be linked (customers' import, or a link the admin made),
  the currency one the host knows, every line's tax code mapped (the plugin's ``tax_rate``
  mapping, else the organization's only active tax rate with the line's percentage), and the
  lines must add up (lines = subtotal, subtotal + tax = total, the host's own tax within 0.01 a
  line); otherwise the invoice **waits** with the reason, the numbers and a fix. Items map back
  to service types through the plugin's ``service_type`` mapping or the items' links (an unknown
  item gives a line without service type, never a failure). The host invoice is ``sent``,
  marked with its source, numbered as in the ledger when that number is free (else
  ``<number>-<provider key>``, and the history says so), and gets a synced invoice record so
  payments and edits route as for pushed invoices. Its payments are recorded once each.
* **Edits of imported invoices** follow the conflict rules on memo, due date, reference, the
  lines and the total; a void or delete in the ledger voids the host invoice (one with
  payments cannot be voided: it waits and says why).
"""

from __future__ import annotations

import sqlalchemy as sa

from host.contract.records import InboundInvoice
from host.extensions import db
from host.models import Client, Invoice, ServiceType, SyncLink, SyncRecord
from host.models.mixins import utcnow
from host.models.sync_record import new_idempotency_key
from host.services import imported_invoices, validation
from host.services.errors import DomainError
from host.services.invoicing import void_invoice
from host.services.totals import cents
from host.sync.inbound import record_for_external, record_payments
from host.sync.twoway import conflicts, filters
from host.sync.twoway.importing import importing
from host.sync.twoway.invoice_lines import (
    RETRY_FIX, UNREADABLE_FIX, Waiting, host_lines, lines_digest, resolve_currency,
    resolve_customer, resolve_lines)
from host.sync.twoway.run import ImportRun, bounded

FIELDS = ("memo", "due_date", "reference")


def apply_page(run: ImportRun, records) -> None:
    """Apply a page of invoices (no commit)."""
    run.begin_page()
    run.prefetch("invoice", [r.external_id for r in records])
    run.prefetch("customer", [r.customer_external_id for r in records], kinds=("client",))
    run.prefetch("item", [line.item_external_id for r in records for line in r.lines],
                 kinds=(run.mapping_kind("service_type"),))
    _preload(run, records)
    with importing():  # no echo: nothing written here is pushed back
        for record in records:
            apply_one(run, record)
    run.write_counts()


#: :meth:`ImportRun.index` names of this module's page caches
PUSHED = "invoice sync records"  # {ledger invoice id: its SyncRecord, None: has none}
LOADED = "invoice host records"  # the host records _preload put in the session


def _preload(run: ImportRun, records) -> None:
    """In one query each: the page's invoices' sync records, and the host invoices, clients
    and service types they and their links or mappings name (loaded into the session, kept
    referenced by the run for the page, so ``db.session.get`` needs no query)."""
    ids = sorted({str(r.external_id)[:100] for r in records})
    found: dict[str, SyncRecord] = {}
    for row in db.session.scalars(sa.select(SyncRecord).where(
            SyncRecord.connection_id == run.connection.id, SyncRecord.object_type == "invoice",
            SyncRecord.external_id.in_(ids)).order_by(SyncRecord.id.desc())):
        found[row.external_id] = row  # the oldest last: the one record_for_external finds
    pushed = run.index(PUSHED, dict)
    for external_id in ids:
        pushed.setdefault(external_id, found.get(external_id))
    client_ids, service_type_ids = set(), set()
    item_kind = run.mapping_kind("service_type")
    for record in records:
        customer = str(record.customer_external_id)[:100]
        link = run.link(customer, object="customer")
        client_ids.add(link.host_id if link is not None else None)
        client_ids.add(run.host_id_for("client", str(record.customer_external_id)))
        for line in record.lines:
            if line.item_external_id:
                service_type_ids.add(run.host_id_for(item_kind, line.item_external_id))
                link = run.link(str(line.item_external_id)[:100], object="item")
                service_type_ids.add(link.host_id if link is not None else None)
    invoice_ids = {row.object_id for row in found.values()}
    loaded = run.index(LOADED, list)
    for model, wanted in ((Client, client_ids), (ServiceType, service_type_ids),
                          (Invoice, invoice_ids)):
        wanted = sorted(i for i in wanted if i)
        if wanted:
            loaded.extend(db.session.scalars(sa.select(model).where(model.id.in_(wanted))))


def _pushed(run: ImportRun, external_id: str) -> SyncRecord | None:
    """The sync record of the ledger invoice ``external_id`` (the page's cache, else a query)."""
    pushed = run.index(PUSHED, dict)
    if external_id not in pushed:
        pushed[external_id] = record_for_external(run.connection.id, external_id)
    return pushed[external_id]


def apply_one(run: ImportRun, record: InboundInvoice) -> None:
    run.seen()
    external_id = str(record.external_id)[:100]
    pushed = _pushed(run, external_id)
    invoice = db.session.get(Invoice, pushed.object_id) if pushed is not None else None
    host_created = invoice is not None and invoice.source == "host"
    if host_created and run.setting.conflict != "provider":
        return  # the host's own invoice: today's behaviour (fetch_changes says "differs")
    row = run.open_link(record, label=_label(record))
    if host_created:
        row.origin = "host"
    if record.problem:
        run.wait(row, record, "The ledger's invoice could not be read: "
                 f"{bounded(record.problem, 500)[0]}", UNREADABLE_FIX)
        return
    try:  # every check runs before the first write: a waiting invoice changes nothing
        if invoice is not None:
            _follow(run, row, invoice, pushed, record)
        else:
            _import(run, row, record)
    except Waiting as wait:
        run.wait(row, record, wait.reason, wait.fix)
    except DomainError as exc:
        run.wait(row, record, f"The invoice cannot be stored: {exc.message}", RETRY_FIX)


def _label(record: InboundInvoice) -> str:
    number = bounded(record.number, 60)[0]
    return f"Invoice {number}" if number else f"Invoice {bounded(record.external_id, 60)[0]}"


def _org(run: ImportRun):
    return run.connection.business_unit.organization


# -- fingerprints ------------------------------------------------------------------------------


def _provider_values(run: ImportRun, record: InboundInvoice, lines: list[dict]) -> dict:
    values = {k: v for k, v in run.provider_values(record).items() if k in FIELDS}
    if values.get("due_date") in (None, ""):
        values.pop("due_date", None)
    elif "due_date" in values:
        try:
            values["due_date"] = validation.day(values["due_date"], "due_date")
        except DomainError as exc:
            raise Waiting(f"The ledger's due date is not usable: {exc.message}") from None
    if record.issue_date is None or not validation.DATE_MIN <= record.issue_date <= \
            validation.DATE_MAX:
        raise Waiting(f"The ledger's invoice date {record.issue_date} is not usable.")
    values["lines"] = lines_digest(lines)
    values["total"] = cents(record.total)
    return values


def _host_values(invoice: Invoice, names) -> dict:
    values = {name: getattr(invoice, name) for name in names if name in FIELDS}
    values["lines"] = lines_digest(host_lines(invoice))
    values["total"] = invoice.total
    return values


# -- new invoices ------------------------------------------------------------------------------


def _import(run: ImportRun, row: SyncLink, record: InboundInvoice) -> None:
    reason = filters.excluded(run.setting.filters, record)
    if reason:
        run.skip(row, reason)
        return
    if record.status == "draft":
        run.skip(row, "A draft in the ledger: imported once it is issued.")
        return
    if record.status in ("voided", "deleted"):
        run.skip(row, f"{record.status.capitalize()} in the ledger before it came in.")
        return
    client = resolve_customer(run, record)
    currency = resolve_currency(record)
    lines = resolve_lines(run, record)
    values = _provider_values(run, record, lines)
    org = _org(run)
    key = run.connection.provider_key
    wanted = bounded(record.number, 100)[0] or str(record.external_id)
    number, renumbered = imported_invoices.free_number(org.id, wanted, key)
    invoice = imported_invoices.create_imported_invoice(
        business_unit=run.connection.business_unit, client=client, number=number,
        currency=currency, issue_date=record.issue_date,
        due_date=values.get("due_date", record.due_date),
        memo=bounded(values.get("memo", ""), validation.MEMO_MAX_LENGTH)[0],
        reference=bounded(values.get("reference", ""), 100)[0],
        source=key, source_connection_id=run.connection.id, lines=lines)
    sync_record = SyncRecord(
        connection_id=run.connection.id, object_type="invoice", object_id=invoice.id,
        operation="create", idempotency_key=new_idempotency_key(), status="synced",
        external_id=str(record.external_id)[:100], number=bounded(record.number, 100)[0],
        version=(str(record.version)[:100] or None), synced_at=utcnow())
    db.session.add(sync_record)
    run.index(PUSHED, dict)[sync_record.external_id] = sync_record
    sync_record.log("synced", f"Imported from {run.connection.provider_key} as "
                    f"{invoice.number}.")
    db.session.flush()
    notes = [f"Imported as invoice {invoice.number} for {client.name}."]
    if renumbered:
        notes.append(f"The ledger's number {wanted!r} is taken in the host (or too long): "
                     f"numbered {invoice.number}.")
    _payments(run, record, notes)
    # the ledger's values: a host value that differs only by the host's rounding is no edit
    run.created(row, invoice.id, record, conflicts.fingerprint(values), " ".join(notes))


def _payments(run: ImportRun, record: InboundInvoice, notes: list) -> None:
    if not record.payments:
        return
    applied = record_payments(run.connection, record.payments)
    if applied.payments_recorded:
        notes.append(f"{applied.payments_recorded} payment(s) recorded.")


# -- known invoices ----------------------------------------------------------------------------


def _follow(run: ImportRun, row: SyncLink, invoice: Invoice, pushed: SyncRecord,
            record: InboundInvoice) -> None:
    first = row.status != "linked"
    if record.status in ("voided", "deleted"):
        _void(run, row, invoice, record)
        return
    if invoice.status == "void":
        run.unchanged(row, record)
        return
    if run.already_seen(row, record):  # nothing changed; its payments are recorded once
        notes: list[str] = []
        _payments(run, record, notes)
        if notes:
            row.log("payment", " ".join(notes))
        run.unchanged(row, record)
        return
    lines = resolve_lines(run, record)
    provider = _provider_values(run, record, lines)
    resolution = conflicts.resolve(row.fingerprint or {}, _host_values(invoice, provider),
                                   provider, run.setting.conflict, inbound=True)
    notes = []
    if "lines" in resolution.to_host or "total" in resolution.to_host:
        if invoice.has_payments or invoice.credit_notes:
            raise Waiting("The invoice's lines changed in the ledger, but it has payments or "
                          "credit notes in the host, so its lines can no longer change.",
                          "Credit or re-issue it in the host, or undo the edit in the ledger.")
        imported_invoices.replace_lines(invoice, lines)
        notes.append("Lines and totals updated from the ledger.")
    for field in FIELDS:
        if field in resolution.to_host:
            value = provider[field]
            if field == "due_date":
                invoice.due_date = max(value, invoice.issue_date)
            elif field == "memo":
                invoice.memo = bounded(value, validation.MEMO_MAX_LENGTH)[0]
            else:
                invoice.reference = bounded(value, 100)[0]
    if invoice.issue_date != record.issue_date and "lines" in resolution.to_host:
        invoice.issue_date = record.issue_date
    if record.version:
        pushed.version = str(record.version)[:100]
    _payments(run, record, notes)
    changes = [c.as_dict() for c in resolution.changes] or None
    fingerprint = dict(resolution.fingerprint)
    if first:
        run.matched(row, invoice.id, record, fingerprint, " ".join(
            [f"Linked to the host invoice {invoice.number}.", *notes]), changes)
    elif resolution.to_host or notes or resolution.changes:
        run.updated(row, record, fingerprint, " ".join(notes) or "Updated from the ledger.",
                    changes)
    else:
        row.fingerprint = fingerprint
        run.unchanged(row, record)
    if resolution.push_back:
        row.log("conflict", run.push_back(row))


def _void(run: ImportRun, row: SyncLink, invoice: Invoice, record: InboundInvoice) -> None:
    if invoice.status == "void" or row.origin == "host":
        # a host-created invoice voided in the ledger: today's behaviour (its sync record
        # says so, the host invoice is left for the admin)
        run.unchanged(row, record)
        return
    if invoice.has_payments:
        raise Waiting(f"{record.status.capitalize()} in the ledger, but the host invoice "
                      f"{invoice.number} has payments and cannot be voided.",
                      "Reverse its payments in the host (or in the ledger), then press Retry.")
    void_invoice(invoice, commit=False)
    run.updated(row, record, row.fingerprint or {},
                f"{record.status.capitalize()} in the ledger: the host invoice was voided.")


__all__ = ["apply_one", "apply_page"]
