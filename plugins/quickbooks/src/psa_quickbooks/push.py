"""Outbound documents: invoices (create, update, void, email) and credit memos.

One push, in order: read the company (numbering, tax model, classes), resolve the customer
(:mod:`.customers`), the line items (:mod:`.items`), tax codes (:mod:`.taxes`) and classes
(:mod:`.classes`), build the payload with the pure mappers (US companies with sales tax on
also get the PSA's tax amount as ``TxnTaxDetail.TotalTax``, :func:`.taxes.us_tax_detail`, so
QuickBooks' total equals the PSA's), then create it exactly once
(:mod:`.idempotency`) or, for an invoice pushed before, update that same invoice with its
current ``SyncToken``. Auto-send uses QuickBooks' ``/send`` when the setting is on and the
client has a billing email; otherwise the result's note says why it was not emailed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hookspecs import (
    ConflictError,
    CreditNoteData,
    InvoiceData,
    NotFoundError,
    SyncResult,
    ValidationError,
)

from . import company as company_mod
from . import changes, customers
from .api import QboClient, request_id
from .classes import Classes
from .idempotency import Attempts, create_once, write_once
from .items import ItemResolver
from .links import deep_link
from .mappers import ResolvedRefs, credit_memo_payload, invoice_payload, money
from .taxes import TaxCodes, us_tax_detail


@dataclass(frozen=True)
class Context:
    qbo: QboClient
    company: company_mod.Company
    non_us: bool
    use_classes: bool
    auto_send: bool

    def currency(self, code: str) -> str | None:
        """The document currency when the company uses multicurrency, else None."""
        return code.upper() if self.company.multicurrency and code else None


def context(connection) -> Context:
    qbo = QboClient(connection)
    company = company_mod.load(qbo)
    settings = connection.settings or {}
    non_us = settings.get("non_us")
    return Context(
        qbo=qbo,
        company=company,
        non_us=company.non_us if non_us is None else bool(non_us),
        use_classes=bool(settings.get("use_classes", True)) and company.class_per_line,
        auto_send=bool(settings.get("auto_send")),
    )


def resolve_refs(ctx: Context, connection, customer_id: str, lines, idempotency_key: str,
                 notes: list[str]) -> ResolvedRefs:
    items = ItemResolver(ctx.qbo, connection, idempotency_key)
    item_ids = items.resolve(lines)
    notes.extend(items.notes)
    return ResolvedRefs(
        customer_id=customer_id,
        item_ids=item_ids,
        tax_codes=TaxCodes(ctx.qbo, connection).resolve(lines) if ctx.non_us else {},
        class_ids=Classes(ctx.qbo, connection).resolve(lines) if ctx.use_classes else {},
        non_us=ctx.non_us,
        custom_numbers=ctx.company.custom_numbers,
        multicurrency=ctx.company.multicurrency,
    )


def _result(connection, entity: str, obj: dict, notes: list[str], emailed: bool = False) -> SyncResult:
    return SyncResult(
        external_id=str(obj["Id"]),
        number=obj.get("DocNumber") or None,
        deep_link=deep_link(connection, entity, str(obj["Id"])),
        version=str(obj.get("SyncToken", "")) or None,
        note=" ".join(n for n in notes if n) or None,
        emailed=emailed,
    )


def _read_pushed(qbo: QboClient, entity: str, ident: str, number: str) -> dict:
    try:
        return qbo.read(entity, ident)
    except NotFoundError as exc:
        label, doc = ("invoice", "invoice") if entity == "Invoice" else \
            ("credit memo", "credit note")
        raise NotFoundError(
            f"The QuickBooks {label} {ident} for {number} was deleted in QuickBooks; it is not "
            "re-created automatically.",
            fix=f"If it was deleted by mistake, void this {doc} in the PSA (nothing more is "
                f"sent for it) and issue a new one: the new {doc} is pushed as a new QuickBooks "
                f"{label}. Otherwise leave it.", code=exc.code, detail=exc.detail) from exc


def _is_voided(obj: dict) -> bool:
    return str(obj.get("PrivateNote") or "").startswith("Voided")


def _retry_if_stale(step):
    """``step(attempt)`` for attempt 1, then once more when QuickBooks answers 5010 (stale
    SyncToken: the document was edited there meanwhile); each step re-reads the document."""
    for attempt in (1, 2):
        try:
            return step(attempt)
        except ConflictError as exc:
            if exc.code != "5010" or attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _update(qbo: QboClient, connection, entity: str, ident: str, host_id, payload: dict,
            idempotency_key: str, *, number: str, notes: list[str] | None = None) -> dict:
    """Update ``ident`` to ``payload`` with its current SyncToken; a stale token (5010: edited
    in QuickBooks meanwhile) is re-read and retried once. An invoice whose amounts or lines
    were edited in QuickBooks since the last push is still replaced by the PSA's version (the
    PSA owns it), and ``notes`` says so."""
    attempts = Attempts(connection, f"{entity.lower()}-update", host_id)

    def step(attempt: int) -> dict:
        current = _read_pushed(qbo, entity, ident, number)
        if attempt == 1 and notes is not None and entity == "Invoice":
            pushed = connection.refs.get(changes.FINGERPRINT, str(ident))
            if pushed and pushed != changes.fingerprint(current):
                notes.append(f"The QuickBooks copy of {number} had been edited in QuickBooks "
                             "since the last push; the PSA's version replaced it (QuickBooks' "
                             "audit log shows the earlier edit).")
        if _is_voided(current):
            raise ValidationError(
                f"The QuickBooks {entity.lower()} {ident} for {number} is voided in QuickBooks; "
                "a voided document cannot be changed.",
                fix="Create a new invoice in the PSA for the corrected amounts.")
        full = dict(payload, Id=str(ident), SyncToken=str(current["SyncToken"]))
        return write_once(attempts, idempotency_key, full, lambda rid: qbo.update(
            entity, full, sparse=True, request_id=rid, action=f"updating {number} in QuickBooks"))

    return _retry_if_stale(step)


def invoice_sent(connection, invoice: InvoiceData, idempotency_key: str) -> SyncResult:
    ctx = context(connection)
    customer = customers.resolve(ctx.qbo, connection, invoice.client, idempotency_key,
                                 ctx.currency(invoice.currency))
    notes = [customer.note]
    refs = resolve_refs(ctx, connection, customer.id, invoice.lines, idempotency_key, notes)
    payload = invoice_payload(invoice, refs)
    existing = (invoice.external.external_id if invoice.external else None) or \
        connection.refs.get("invoice", invoice.id)
    _add_us_tax(ctx, connection, payload, invoice, updating=bool(existing))
    if existing:
        saved = _update(ctx.qbo, connection, "Invoice", existing, invoice.id, payload,
                        idempotency_key, number=f"invoice {invoice.number}", notes=notes)
    else:
        saved, stale = create_once(ctx.qbo, connection, "Invoice", invoice.id, payload,
                                   idempotency_key, action=f"creating invoice {invoice.number}")
        connection.refs.remember("invoice", invoice.id, str(saved["Id"]))
        if stale:
            saved = _update(ctx.qbo, connection, "Invoice", str(saved["Id"]), invoice.id,
                            payload, idempotency_key, number=f"invoice {invoice.number}")
    connection.refs.remember("invoice", invoice.id, str(saved["Id"]))
    changes.remember_pushed(connection, saved)  # reconciliation spots edits made in QuickBooks
    notes.append(_total_check(ctx, saved, invoice.total, invoice.tax_total))
    saved, emailed, note = _auto_send(ctx, connection, invoice, saved, idempotency_key)
    notes.append(note)
    return _result(connection, "Invoice", saved, notes, emailed)


def _add_us_tax(ctx: Context, connection, payload: dict, doc, *, updating: bool) -> None:
    """US companies: the PSA's tax amount (and mapped tax code) as ``TxnTaxDetail``, so the
    QuickBooks total equals the PSA's (:func:`.taxes.us_tax_detail`). Non-US companies get a
    tax code per line instead (:class:`.taxes.TaxCodes`)."""
    if ctx.non_us:
        return
    detail = us_tax_detail(connection, doc.lines, doc.tax_total,
                           using_sales_tax=ctx.company.using_sales_tax, updating=updating)
    if detail:
        payload["TxnTaxDetail"] = detail


def _total_check(ctx: Context, saved: dict, total: Decimal, tax_total: Decimal,
                 label: str = "invoice") -> str:
    """Say so when QuickBooks' total differs from the PSA's, so nobody finds out from the
    customer. US companies with sales tax on get the PSA's tax amount, so this is the safety
    net for the rest: non-US companies (QuickBooks computes tax per line from the mapped tax
    codes), US companies with sales tax off, or a tax amount QuickBooks did not keep."""
    booked = Decimal(str(saved.get("TotalAmt") or 0)).quantize(Decimal("0.01"))
    if abs(booked - Decimal(total)) < Decimal("0.01"):
        return ""
    tax = Decimal(str((saved.get("TxnTaxDetail") or {}).get("TotalTax") or 0))
    what = (f"QuickBooks booked a total of {booked:.2f} (tax {tax:.2f}); the PSA {label} says "
            f"{Decimal(total):.2f} (tax {Decimal(tax_total):.2f}).")
    if not ctx.non_us and not ctx.company.using_sales_tax:
        return (f"{what} Sales tax is off in this QuickBooks company, so it books no tax. "
                "Turn on sales tax in QuickBooks (Taxes > Sales tax) and push again, or book "
                "the tax there by hand.")
    if ctx.non_us:
        return (f"{what} QuickBooks computes tax from each line's tax code: map each PSA tax "
                "rate to a QuickBooks tax code of the same rate on the Manage page, then push "
                "again.")
    return f"{what} Check the tax rate mapping and QuickBooks' sales tax settings."


def _auto_send(ctx: Context, connection, invoice: InvoiceData, saved: dict, idempotency_key: str):
    if not ctx.auto_send:
        return saved, False, ""
    email = invoice.client.billing_email
    if not email:
        return saved, False, ("Pushed to QuickBooks but not emailed: the client has no billing "
                              "email. Add one to the client, or send it from QuickBooks.")
    attempts = Attempts(connection, "invoice-send", invoice.id)
    try:
        sent = write_once(attempts, idempotency_key, [saved["Id"], email], lambda rid: ctx.qbo.send(
            "Invoice", str(saved["Id"]), request_id=rid,
            action=f"emailing invoice {invoice.number} from QuickBooks"))
    except ValidationError as exc:
        return saved, False, f"Pushed to QuickBooks but not emailed: {exc.message}"
    return sent, True, ""  # the host says "Emailed to the customer" from SyncResult.emailed


def invoice_voided(connection, invoice: InvoiceData, idempotency_key: str) -> SyncResult:
    qbo = QboClient(connection)
    if invoice.external is None:
        raise NotFoundError(f"Invoice {invoice.number} was never pushed to QuickBooks.",
                            fix="Nothing to void in QuickBooks.")
    ident = invoice.external.external_id
    number = f"invoice {invoice.number}"
    attempts = Attempts(connection, "invoice-void", invoice.id)

    def step(attempt: int) -> SyncResult:
        try:
            current = _read_pushed(qbo, "Invoice", ident, number)
        except NotFoundError:
            # deleted in QuickBooks: nothing left to void there, and that is what the PSA wants
            return SyncResult(external_id=str(ident), number=invoice.external.number,
                              note="Already deleted in QuickBooks; nothing to void there.")
        if _is_voided(current):
            return _result(connection, "Invoice", current, ["Already voided in QuickBooks."])
        token = str(current["SyncToken"])
        voided = write_once(attempts, idempotency_key, [ident, token], lambda rid: qbo.void(
            "Invoice", ident, token, request_id=rid, action=f"voiding {number} in QuickBooks"))
        return _result(connection, "Invoice", voided, [])

    return _retry_if_stale(step)


def credit_note(connection, credit: CreditNoteData, idempotency_key: str) -> SyncResult:
    """A CreditMemo, never emailed (whatever the auto-send setting)."""
    ctx = context(connection)
    customer = customers.resolve(ctx.qbo, connection, credit.client, idempotency_key,
                                 ctx.currency(credit.currency))
    notes = [customer.note]
    refs = resolve_refs(ctx, connection, customer.id, credit.lines, idempotency_key, notes)
    payload = credit_memo_payload(credit, refs)
    existing = (credit.external.external_id if credit.external else None) or \
        connection.refs.get("credit_memo", credit.id)
    _add_us_tax(ctx, connection, payload, credit, updating=bool(existing))
    number = f"credit note {credit.number}"
    if existing:
        saved = _update(ctx.qbo, connection, "CreditMemo", existing, credit.id, payload,
                        idempotency_key, number=number)
    else:
        saved, stale = create_once(ctx.qbo, connection, "CreditMemo", credit.id, payload,
                                   idempotency_key, action=f"creating {number}")
        connection.refs.remember("credit_memo", credit.id, str(saved["Id"]))
        if stale:
            saved = _update(ctx.qbo, connection, "CreditMemo", str(saved["Id"]), credit.id,
                            payload, idempotency_key, number=number)
    connection.refs.remember("credit_memo", credit.id, str(saved["Id"]))
    notes.append(_total_check(ctx, saved, credit.total, credit.tax_total, "credit note"))
    notes.append(_apply_credit(ctx, connection, credit, saved, customer.id, idempotency_key))
    return _result(connection, "CreditMemo", saved, notes)


def _apply_credit(ctx: Context, connection, credit: CreditNoteData, memo: dict,
                  customer_id: str, idempotency_key: str) -> str:
    """Apply the credit memo to the invoice it credits: QuickBooks does that with a Payment of
    0 linking both (reference 3.11). Applied: the smaller of the memo and the invoice's open
    balance; the rest stays as credit on the customer's account."""
    if credit.invoice_external is None:
        return "Not applied to an invoice: the credited invoice is not in QuickBooks."
    if connection.refs.get("payment_out", f"credit_note:{credit.id}"):
        return ""
    try:
        invoice = ctx.qbo.read("Invoice", credit.invoice_external.external_id)
    except NotFoundError:
        return (f"Not applied: QuickBooks invoice {credit.invoice_external.external_id} no "
                "longer exists; the credit stays on the customer's account.")
    if str(invoice.get("CustomerRef", {}).get("value")) != str(customer_id):
        return ("Not applied: the credited invoice belongs to another QuickBooks customer; "
                "the credit stays on the customer's account.")
    balance = Decimal(str(invoice.get("Balance") or 0))
    amount = min(balance, Decimal(str(memo.get("TotalAmt") or 0)))
    if amount <= 0:
        return ("Not applied: the invoice has no open balance in QuickBooks; the credit stays "
                "on the customer's account.")
    value = money(amount)
    body = {"CustomerRef": {"value": str(customer_id)}, "TotalAmt": 0,
            "TxnDate": credit.issue_date.isoformat(),
            "PrivateNote": f"PSA credit note {credit.number} applied to invoice "
                           f"{credit.invoice_number}",
            "Line": [{"Amount": value, "LinkedTxn": [{"TxnId": str(invoice["Id"]),
                                                      "TxnType": "Invoice"}]},
                     {"Amount": value, "LinkedTxn": [{"TxnId": str(memo["Id"]),
                                                      "TxnType": "CreditMemo"}]}]}
    payment = ctx.qbo.create("Payment", body,
                             request_id=request_id(idempotency_key, "apply", str(memo["Id"])),
                             action=f"applying credit note {credit.number} to invoice "
                                    f"{credit.invoice_number}")
    connection.refs.remember("payment_out", f"credit_note:{credit.id}", str(payment["Id"]))
    rest = Decimal(str(memo.get("TotalAmt") or 0)) - amount
    if rest > 0:
        return (f"Applied {value:.2f} to invoice {credit.invoice_number}; {rest:.2f} stays as "
                "credit on the customer's account.")
    return f"Applied to invoice {credit.invoice_number} in QuickBooks."
