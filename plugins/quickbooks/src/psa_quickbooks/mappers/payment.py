"""Payment payload applied to one invoice (reference 3.10, sample S6)."""

from __future__ import annotations

from typing import Any

from hookspecs import MappingError, PaymentData

from ._common import money, ref, ymd


def payment_payload(
    payment: PaymentData, customer_id: str, *, multicurrency: bool = False
) -> dict[str, Any]:
    if payment.invoice_external is None or not payment.invoice_external.external_id:
        raise MappingError(
            f"Invoice {payment.invoice_number} is not in QuickBooks yet, so the payment cannot be applied.",
            fix="Push the invoice to QuickBooks first, then retry the payment.",
        )
    amount = money(payment.amount)
    payload: dict[str, Any] = {
        "CustomerRef": ref(customer_id),
        "TotalAmt": amount,
        "TxnDate": ymd(payment.date),
    }
    if multicurrency and payment.currency:
        payload["CurrencyRef"] = ref(payment.currency.upper())
    if payment.reference:
        payload["PaymentRefNum"] = payment.reference[:21]
    payload["PrivateNote"] = f"PSA payment {payment.id} for invoice {payment.invoice_number}"
    payload["Line"] = [
        {
            "Amount": amount,
            "LinkedTxn": [{"TxnId": payment.invoice_external.external_id, "TxnType": "Invoice"}],
        }
    ]
    return payload
