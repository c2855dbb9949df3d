"""Outbound payments (``on_payment``): a payment recorded in the PSA becomes a Xero Payment.

``PUT /Payments`` against the pushed invoice, into the bank account chosen in the settings
(``bank_account_code``), with the amount, date and reference, and an ``Idempotency-Key`` from
the sync record's key. The Reference carries the marker ``[PSA payment #<id>]`` after the
user's own reference; with it:

* a retry finds its own payment on the invoice and adopts it instead of paying twice, also
  after Xero's six-minute idempotency window (a lost answer retried much later);
* :mod:`psa_xero.changes` never reports the payment back as new (no echo), even in the moment
  between Xero's answer and the host writing its sync record.

The Xero PaymentID is remembered (refs ``payment_out``: host payment id -> PaymentID). Before
writing, the invoice is read: voided, deleted, already paid or owing less than the payment in
Xero are said plainly instead of as Xero's generic refusal.
"""

from __future__ import annotations

from decimal import Decimal

from hookspecs import ConflictError, NotFoundError, PaymentData, SyncResult, ValidationError

from .api import XeroClient, body_key, parse_xero_datetime
from .changes import PAYMENT_OUT_REF, marker
from .mappers import payments_request
from .mappers.payment import REFERENCE_MAX

BANK_ACCOUNT_SETTING = "bank_account_code"


def _reference(payment: PaymentData) -> str:
    tag = marker(payment.id)
    own = payment.reference.strip()
    room = REFERENCE_MAX - len(tag) - 1
    return f"{own[:room]} {tag}" if own else tag


def _result(connection, xero: XeroClient, doc: dict, invoice_id: str, note: str = "") -> SyncResult:
    from .push import invoice_link, short_code

    moment = parse_xero_datetime(doc.get("UpdatedDateUTC"))
    try:
        link = invoice_link(connection, short_code(connection, xero), invoice_id)
    except Exception:  # noqa: BLE001 - a deep link is a convenience, never a failure
        link = None
    return SyncResult(external_id=str(doc["PaymentID"]), number=None, deep_link=link,
                      version=moment.isoformat() if moment else None, note=note or None)


def _own_payment(invoice: dict, payment: PaymentData) -> dict | None:
    tag = marker(payment.id)
    return next((p for p in invoice.get("Payments") or []
                 if tag in str(p.get("Reference") or "")
                 and str(p.get("Status") or "AUTHORISED").upper() != "DELETED"), None)


def _money(value) -> Decimal:
    return Decimal(str(value if value not in (None, "") else 0)).quantize(Decimal("0.01"))


def push(connection, payment: PaymentData, idempotency_key: str) -> SyncResult:
    """``on_payment``: book ``payment`` in Xero once (see the module docstring)."""
    xero = XeroClient(connection)
    number = payment.invoice_number
    invoice_id = payment.invoice_external.external_id if payment.invoice_external else ""
    known = connection.refs.get(PAYMENT_OUT_REF, payment.id)
    if known:
        doc = xero.payment(known)
        if doc is not None and str(doc.get("Status") or "").upper() != "DELETED":
            return _result(connection, xero, doc, invoice_id)
        if doc is not None:
            raise ConflictError(
                f"The payment of {payment.amount} on invoice {number} was booked in Xero "
                "before and has since been deleted there.",
                fix="If the payment is real, record it again in Xero; if it was a mistake, "
                    "reverse it in the PSA.")
    body = payments_request(payment, str(connection.settings.get(BANK_ACCOUNT_SETTING) or ""))
    body["Payments"][0]["Reference"] = _reference(payment)
    invoice = xero.invoice(invoice_id)
    if invoice is None:
        raise NotFoundError(
            f"Invoice {number} is no longer in Xero, so the payment cannot be booked there.",
            fix=f"Check invoice {number} in Xero (it was deleted there); record the payment in "
                "Xero by hand if it should be booked.")
    mine = _own_payment(invoice, payment)
    if mine is not None:  # an earlier attempt got through (its answer was lost)
        connection.refs.remember(PAYMENT_OUT_REF, payment.id, str(mine["PaymentID"]))
        doc = xero.payment(str(mine["PaymentID"])) or mine
        return _result(connection, xero, doc, invoice_id)
    status = str(invoice.get("Status") or "").upper()
    amount = _money(payment.amount)
    if status in ("VOIDED", "DELETED"):
        raise ValidationError(
            f"Invoice {number} is {status.lower()} in Xero, so the payment of {amount} cannot "
            "be booked there.",
            fix=f"Check invoice {number} in Xero. If the customer did pay, record the payment "
                "in Xero against the right invoice; otherwise reverse it in the PSA.",
            code=status)
    if status == "PAID":
        raise ValidationError(
            f"Invoice {number} is already fully paid in Xero, so the payment of {amount} would "
            "pay it twice.",
            fix="The payment was probably recorded in Xero too. Check the invoice's payments in "
                "Xero and reverse the duplicate in the PSA.", code="PAID")
    if status and status != "AUTHORISED":
        raise ValidationError(
            f"Invoice {number} is {status.lower()} in Xero; Xero takes payments only on "
            "approved (Awaiting Payment) invoices.",
            fix=f"Approve invoice {number} in Xero, then retry.", code=status)
    due = _money(invoice.get("AmountDue"))
    if invoice.get("AmountDue") is not None and amount > due:
        raise ValidationError(
            f"The payment of {amount} is more than the {due} still due on invoice {number} in "
            "Xero.",
            fix="Check the payments and credit notes on the invoice in Xero; record the "
                "difference in Xero by hand or correct the payment in the PSA.",
            code="AmountDue")
    doc = xero.put("Payments", body, key=body_key(idempotency_key, "payment", body),
                   action=f"recording the payment of {amount} on invoice {number} in Xero")
    connection.refs.remember(PAYMENT_OUT_REF, payment.id, str(doc["PaymentID"]))
    return _result(connection, xero, doc, invoice_id)


__all__ = ["BANK_ACCOUNT_SETTING", "push"]
