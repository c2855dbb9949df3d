"""Xero ``Payment`` payloads from the host's :class:`PaymentData` (reference 4.1)."""

from __future__ import annotations

from hookspecs import MappingError, PaymentData

from ._common import money, xero_date

REFERENCE_MAX = 255


def payment_payload(payment: PaymentData, bank_account_code: str) -> dict:
    """One ``Payment`` against the pushed invoice, into the bank account chosen in settings."""
    if not bank_account_code:
        raise MappingError(
            "No Xero bank account is set for payments.",
            fix="Choose the bank account for payments in the Xero integration settings, "
                "then retry.")
    if payment.invoice_external is None or not payment.invoice_external.external_id:
        raise MappingError(
            f"Invoice {payment.invoice_number} is not in Xero, so the payment cannot be booked.",
            fix=f"Push invoice {payment.invoice_number} to Xero first, then retry.")
    value = money(payment.amount, "payment amount")
    if value <= 0:
        raise MappingError(f"The payment amount {value} is not positive.",
                           fix="Correct the payment in the PSA, then retry.")
    body: dict = {
        "Invoice": {"InvoiceID": payment.invoice_external.external_id},
        "Account": {"Code": bank_account_code},
        "Date": xero_date(payment.date),
        "Amount": value,
    }
    if payment.reference.strip():
        body["Reference"] = payment.reference.strip()[:REFERENCE_MAX]
    return body


def payments_request(payment: PaymentData, bank_account_code: str) -> dict:
    """The body of ``PUT /Payments``."""
    return {"Payments": [payment_payload(payment, bank_account_code)]}
