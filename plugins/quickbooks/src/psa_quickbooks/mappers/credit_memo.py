"""CreditMemo payload (reference 3.11): same lines as an invoice, never emailed."""

from __future__ import annotations

from typing import Any

from hookspecs import CreditNoteData

from ._common import ResolvedRefs, header


def credit_memo_payload(credit: CreditNoteData, refs: ResolvedRefs) -> dict[str, Any]:
    payload = header(
        refs=refs,
        number_=credit.number,
        issue_date=credit.issue_date,
        currency=credit.currency,
        doc_lines=credit.lines,
    )
    payload["EmailStatus"] = "NotSet"  # never queued for email; no BillEmail sent
    if credit.reason:
        payload["CustomerMemo"] = {"value": credit.reason[:1000]}
    note = f"PSA credit note {credit.number} against invoice {credit.invoice_number}"
    if credit.invoice_external is not None:
        note += f" (QuickBooks invoice {credit.invoice_external.external_id})"
    payload["PrivateNote"] = note[:4000]
    return payload
