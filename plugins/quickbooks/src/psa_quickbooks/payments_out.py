"""``on_payment``: a payment recorded in the host, booked in QuickBooks against the invoice.

QuickBooks books money received as a Payment whose line links the invoice (reference 3.10,
sample S6); its customer must be the invoice's, so it is read from the QuickBooks invoice (the
invoice may have been pushed to a customer the plugin matched or created). The write goes
through :func:`psa_quickbooks.idempotency.create_once`: a retry after a lost response gets the
first Payment back (``requestid``), never a second one. The Payment's Id is remembered as refs
kind ``payment_out`` (host_id = the host payment id), and its note starts ``PSA payment``, so
:mod:`psa_quickbooks.changes` never reports it back as money received in QuickBooks (no echo).
"""

from __future__ import annotations

from decimal import Decimal

from hookspecs import NotFoundError, PaymentData, SyncResult, ValidationError

from . import links
from .api import QboClient
from .changes import PAYMENT_OUT, is_deleted, is_voided
from .idempotency import create_once
from .mappers.payment import payment_payload


def _result(connection, payment: dict, note: str | None = None) -> SyncResult:
    ident = str(payment["Id"])
    return SyncResult(
        external_id=ident,
        number=str(payment.get("PaymentRefNum") or "") or None,
        deep_link=links.deep_link(connection, "Payment", ident),
        version=str(payment["SyncToken"]) if payment.get("SyncToken") is not None else None,
        note=note,
    )


def _invoice(qbo: QboClient, payment: PaymentData) -> dict:
    ident = payment.invoice_external.external_id
    label = payment.invoice_external.number or payment.invoice_number
    try:
        invoice = qbo.read("Invoice", ident)
    except NotFoundError as exc:
        raise NotFoundError(
            f"Invoice {label} no longer exists in QuickBooks (it was deleted there), so the "
            f"payment of {payment.amount} cannot be applied to it.",
            fix="Record the payment in QuickBooks by hand against the right invoice, or push "
                "the invoice again, then retry.", code=exc.code, detail=exc.detail) from exc
    if is_voided(invoice) or is_deleted(invoice):
        raise ValidationError(
            f"Invoice {label} was voided in QuickBooks, so the payment of {payment.amount} "
            "cannot be applied to it.",
            fix="Check the invoice in QuickBooks. If the void was a mistake, re-create the "
                "invoice there and push again; otherwise reverse the payment in the PSA.")
    return invoice


def push(connection, payment: PaymentData, idempotency_key: str) -> SyncResult:
    """Create (once) the QuickBooks Payment for ``payment`` and link it to the invoice."""
    qbo = QboClient(connection)
    known = connection.refs.get(PAYMENT_OUT, payment.id)
    if known:
        try:
            existing = qbo.read("Payment", known)
        except NotFoundError:
            existing = None
        if existing is not None and not is_voided(existing):
            return _result(connection, existing, "Already recorded in QuickBooks.")
    if payment.invoice_external is None or not payment.invoice_external.external_id:
        payment_payload(payment, "")  # raises the mapper's MappingError ("push it first")
    invoice = _invoice(qbo, payment)
    customer_id = str((invoice.get("CustomerRef") or {}).get("value") or "")
    invoice_currency = str((invoice.get("CurrencyRef") or {}).get("value") or "").upper()
    if payment.currency and invoice_currency and payment.currency.upper() != invoice_currency:
        raise ValidationError(
            f"The payment is in {payment.currency.upper()} but QuickBooks invoice "
            f"{invoice.get('DocNumber') or invoice['Id']} is in {invoice_currency}.",
            fix="Record the payment in the invoice's currency, then retry.")
    prefs = qbo.preferences()
    multicurrency = bool((prefs.get("CurrencyPrefs") or {}).get("MultiCurrencyEnabled"))
    payload = payment_payload(payment, customer_id, multicurrency=multicurrency)
    label = invoice.get("DocNumber") or payment.invoice_number
    try:
        saved, stale = create_once(qbo, connection, "Payment", payment.id, payload,
                                   idempotency_key,
                                   action=f"recording the payment for invoice {label}")
    except ValidationError as exc:
        balance = Decimal(str(invoice.get("Balance") or 0))
        if Decimal(payment.amount) > balance:
            raise ValidationError(
                f"QuickBooks refused the payment of {payment.amount}: invoice {label} has only "
                f"{balance:.2f} open in QuickBooks.",
                fix="The invoice was probably paid in QuickBooks already (that payment then "
                    "shows in the PSA by itself). Check the invoice's payments in QuickBooks; "
                    "if this payment is a duplicate, reverse it in the PSA.",
                code=exc.code, detail=exc.detail) from exc
        raise
    connection.refs.remember(PAYMENT_OUT, payment.id, str(saved["Id"]))
    if stale:  # an earlier attempt landed with other data (the admin fixed something)
        saved = qbo.update("Payment", dict(payload, Id=str(saved["Id"]),
                                           SyncToken=str(saved["SyncToken"])),
                           request_id=None, sparse=True,
                           action=f"updating the payment for invoice {label}")
    return _result(connection, saved)


__all__ = ["push"]
