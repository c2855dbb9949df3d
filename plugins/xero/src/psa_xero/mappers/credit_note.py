"""Xero ``CreditNote`` (ACCRECCREDIT) and allocation payloads (reference 3, S5).

Credit notes are never sent to the customer: Xero has no email endpoint for them and
``SentToContact`` is read-only, so nothing here asks for it. Lines have no discounts at Xero.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hookspecs import CreditNoteData, MappingError

from ._common import money, xero_date
from .invoice import REFERENCE_MAX, ResolvedRefs, line_item


def credit_note_reference(note: CreditNoteData) -> str:
    reference = f"Credit for {note.invoice_number}"
    if note.reason.strip():
        reference += f": {note.reason.strip()}"
    return reference[:REFERENCE_MAX]


def credit_note_payload(note: CreditNoteData, refs: ResolvedRefs) -> dict:
    """One ``CreditNote``: ACCRECCREDIT, AUTHORISED (so it can be allocated), Exclusive."""
    if not note.lines:
        raise MappingError(f"Credit note {note.number} has no lines.",
                           fix="Add at least one line to the credit note, then retry.")
    payload: dict = {
        "Type": "ACCRECCREDIT",
        "Contact": {"ContactID": refs.contact_id},
        "Date": xero_date(note.issue_date),
        "Status": "AUTHORISED",
        "CreditNoteNumber": note.number,
        "Reference": credit_note_reference(note),
        "CurrencyCode": note.currency.upper(),
        "LineAmountTypes": "Exclusive",
        "LineItems": [line_item(line, refs, allow_discount=False) for line in note.lines],
    }
    if note.external is not None:
        payload["CreditNoteID"] = note.external.external_id
    return payload


def credit_notes_request(note: CreditNoteData, refs: ResolvedRefs) -> dict:
    """The body of ``PUT /CreditNotes``."""
    return {"CreditNotes": [credit_note_payload(note, refs)]}


def allocation_request(note: CreditNoteData, *, amount: Decimal | None = None,
                       on: date | None = None, invoice_id: str | None = None) -> dict:
    """The body of ``PUT /CreditNotes/{CreditNoteID}/Allocations``: the note's total (or
    ``amount``) against the invoice it credits, dated the note's issue date (or ``on``)."""
    target = invoice_id or (note.invoice_external.external_id if note.invoice_external else None)
    if not target:
        raise MappingError(
            f"Credit note {note.number} cannot be allocated: invoice {note.invoice_number} "
            "is not in Xero.",
            fix=f"Push invoice {note.invoice_number} to Xero first, then retry.")
    value = money(note.total if amount is None else amount, "allocation amount")
    if value <= 0:
        raise MappingError(f"Credit note {note.number} has nothing to allocate ({value}).",
                           fix="Check the credit note's total, then retry.")
    return {"Allocations": [{
        "Amount": value,
        "Invoice": {"InvoiceID": target},
        "Date": xero_date(on or note.issue_date),
    }]}
