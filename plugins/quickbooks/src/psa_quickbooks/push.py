"""Outbound documents: invoices (create, update, void, email) and credit memos.

One push, in order: read the company (numbering, tax model, classes, currencies), decide the
currency and QuickBooks' exchange rate (:mod:`.currency`: a currency QuickBooks cannot book
stops here), resolve the customer (:mod:`.customers`), the line items (:mod:`.items`), tax
codes (:mod:`.taxes`) and classes (:mod:`.classes`), build the payload with the pure mappers
(US companies with sales tax on also get the PSA's tax amount as ``TxnTaxDetail.TotalTax``,
:func:`.taxes.us_tax_detail`, so QuickBooks' total equals the PSA's), then create it exactly once
(:mod:`.idempotency`) or, for an invoice pushed before, update that same invoice with its
current ``SyncToken``. Auto-send uses QuickBooks' ``/send`` when the setting is on (or the
admin chose "Push now, and email it": ``InvoiceData.send_email``) and the client has a billing
email; otherwise the result's note says why it was not emailed. The invoice custom fields the
admin mapped (``InvoiceData.fields``) go to ``CustomField``.
After every invoice or credit memo push, what QuickBooks answered it booked is compared with
the PSA document (:mod:`.booked`): each difference the admin did not choose goes back as
``SyncResult.differences`` (shown on the invoice's sync panel), the exchange rate used in the
note.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from hookspecs import (
    ConflictError,
    CreditNoteData,
    InvoiceData,
    NotFoundError,
    SyncResult,
    ValidationError,
)

from . import booked, changes, currency, customers
from . import company as company_mod
from .api import QboClient, request_id
from .classes import ClassPlan, Classes
from .currency import Booking
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
        use_classes=bool(settings.get("use_classes", True)),
        auto_send=bool(settings.get("auto_send")),
    )


@dataclass(frozen=True)
class Prepared:
    """One document's references, and what it needs for the comparison after the push."""

    refs: ResolvedRefs
    items: ItemResolver
    classes: Classes
    plan: ClassPlan
    currency: Booking


def prepare(ctx: Context, connection, doc, label: str, idempotency_key: str,
            notes: list[str]) -> Prepared:
    """Currency first (a document QuickBooks cannot book in its currency writes nothing), then
    the customer, items, tax codes and classes."""
    booking = currency.booking(ctx.qbo, ctx.company, doc.currency, doc.issue_date, label)
    customer = customers.resolve(ctx.qbo, connection, doc.client, idempotency_key,
                                 ctx.currency(doc.currency))
    notes.append(customer.note)
    items = ItemResolver(ctx.qbo, connection, idempotency_key)
    item_ids = items.resolve(doc.lines)
    notes.extend(items.notes)
    classes = Classes(ctx.qbo, connection)
    plan = classes.plan(ctx.company, doc.lines, enabled=ctx.use_classes, label=label)
    refs = ResolvedRefs(
        customer_id=customer.id,
        item_ids=item_ids,
        tax_codes=TaxCodes(ctx.qbo, connection).resolve(doc.lines) if ctx.non_us else {},
        class_ids=plan.line_ids,
        class_id=plan.document_id,
        non_us=ctx.non_us,
        custom_numbers=ctx.company.custom_numbers,
        multicurrency=ctx.company.multicurrency,
        exchange_rate=booking.rate,
    )
    return Prepared(refs=refs, items=items, classes=classes, plan=plan, currency=booking)


def _compare(ctx: Context, connection, doc, saved: dict, prepared: Prepared,
             notes: list[str]) -> tuple[str, ...]:
    """What QuickBooks booked against the PSA document (:mod:`.booked`); the rate used goes in
    the note."""
    accounts = booked.account_names(prepared.items.items, prepared.items.accounts)
    described = booked.describe(saved, ctx.company, prepared.items.items, accounts,
                                prepared.classes, prepared.plan)
    if described.exchange_rate is not None:
        source = prepared.currency.source if prepared.currency.rate is not None and \
            described.exchange_rate == prepared.currency.rate else "kept by QuickBooks"
        notes.append(replace(described, rate_source=source).rate_text)
    return booked.differences(
        doc, described, booked.intents(doc, connection, accounts, prepared.plan),
        non_us=ctx.non_us, using_sales_tax=ctx.company.using_sales_tax, plan=prepared.plan)


def _result(connection, entity: str, obj: dict, notes: list[str], emailed: bool = False,
            differences: tuple[str, ...] = ()) -> SyncResult:
    return SyncResult(
        external_id=str(obj["Id"]),
        number=obj.get("DocNumber") or None,
        deep_link=deep_link(connection, entity, str(obj["Id"])),
        version=str(obj.get("SyncToken", "")) or None,
        note=" ".join(n for n in notes if n) or None,
        emailed=emailed,
        differences=differences,
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
    notes: list[str] = []
    prepared = prepare(ctx, connection, invoice, f"invoice {invoice.number}", idempotency_key,
                       notes)
    payload = invoice_payload(invoice, prepared.refs)
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
    differences = _compare(ctx, connection, invoice, saved, prepared, notes)
    saved, emailed, note = _auto_send(ctx, connection, invoice, saved, idempotency_key)
    notes.append(note)
    return _result(connection, "Invoice", saved, notes, emailed, differences)


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


def _auto_send(ctx: Context, connection, invoice: InvoiceData, saved: dict, idempotency_key: str):
    """Email the invoice from QuickBooks when the admin asked for it on this push
    (``InvoiceData.send_email`` True), or, when they did not choose (None), when the
    connection's auto-send setting is on."""
    wanted = ctx.auto_send if invoice.send_email is None else bool(invoice.send_email)
    if not wanted:
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
    notes: list[str] = []
    prepared = prepare(ctx, connection, credit, f"credit note {credit.number}",
                       idempotency_key, notes)
    payload = credit_memo_payload(credit, prepared.refs)
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
    differences = _compare(ctx, connection, credit, saved, prepared, notes)
    notes.append(_apply_credit(ctx, connection, credit, saved, prepared.refs.customer_id,
                               idempotency_key))
    return _result(connection, "CreditMemo", saved, notes, differences=differences)


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
