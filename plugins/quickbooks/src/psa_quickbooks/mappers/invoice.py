"""Invoice payload (reference 3.1-3.3, section 12, samples S1/S3)."""

from __future__ import annotations

from typing import Any

from hookspecs import InvoiceData

from ._common import ResolvedRefs, header, ymd


def invoice_payload(invoice: InvoiceData, refs: ResolvedRefs) -> dict[str, Any]:
    """Invoice create body. ``DocNumber`` only with custom transaction numbers; ``CurrencyRef``
    only with multicurrency; ``GlobalTaxCalculation`` only for non-US companies. TotalAmt and tax
    are left for QBO to compute (for US companies with sales tax on, :mod:`..push` adds the PSA's
    tax amount as ``TxnTaxDetail``). ``EmailStatus`` is ``NotSet`` (sending is a separate call)."""
    payload = header(
        refs=refs,
        number_=invoice.number,
        issue_date=invoice.issue_date,
        currency=invoice.currency,
        doc_lines=invoice.lines,
    )
    payload["DueDate"] = ymd(invoice.due_date)
    if invoice.client.billing_email:
        payload["BillEmail"] = {"Address": invoice.client.billing_email[:100]}
    payload["EmailStatus"] = "NotSet"
    if invoice.memo:
        payload["CustomerMemo"] = {"value": invoice.memo[:1000]}
    note = f"PSA invoice {invoice.number}"
    if invoice.business_unit_name:
        note += f" (business unit {invoice.business_unit_name})"
    if invoice.project_name:
        note += f"; project {invoice.project_name}"
    payload["PrivateNote"] = note[:4000]
    return payload
