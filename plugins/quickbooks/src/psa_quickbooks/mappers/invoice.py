"""Invoice payload (reference 3.1-3.3, section 12, samples S1/S3)."""

from __future__ import annotations

from typing import Any

from hookspecs import InvoiceData, MappingError

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
    custom = custom_fields(invoice)
    if custom:
        payload["CustomField"] = custom
    return payload


#: ``InvoiceData.fields`` keys of invoice custom fields: ``CustomField:<DefinitionId>``.
CUSTOM_FIELD = "CustomField:"
#: QuickBooks keeps at most 31 characters in a custom field.
MAX_CUSTOM_VALUE = 31


def custom_fields(invoice: InvoiceData) -> list[dict[str, str]]:
    """The invoice custom fields the admin mapped (``fields`` keys ``CustomField:<N>``), as
    QuickBooks' ``CustomField`` list. Empty values are left out: QuickBooks keeps its own. A
    value longer than QuickBooks keeps stops the push rather than being cut."""
    out = []
    for key, value in sorted((invoice.fields or {}).items()):
        if not key.startswith(CUSTOM_FIELD) or not str(value or "").strip():
            continue
        ident = key[len(CUSTOM_FIELD):]
        value = str(value).strip()
        if len(value) > MAX_CUSTOM_VALUE:
            raise MappingError(
                f"QuickBooks keeps at most {MAX_CUSTOM_VALUE} characters in custom field "
                f"{ident}, and invoice {invoice.number} has {len(value)} ({value[:40]!r}).",
                fix="Shorten the value in the PSA, or map that host field to no custom field "
                    "on the integration's Manage page, then retry.")
        out.append({"DefinitionId": ident, "Type": "StringType", "StringValue": value})
    return out
