"""Pure mappers from host snapshots to Xero Accounting API JSON payloads (no I/O).

Payload dicts hold :class:`decimal.Decimal` amounts; serialize them with :func:`dumps`, which
writes each as a JSON number with its exact digits (see ``_common``).
"""

from ._common import dumps, money, quantity, xero_date
from .contact import contact_payload, contacts_request, fallback_contact_name, split_person_name
from .credit_note import allocation_request, credit_note_payload, credit_notes_request
from .invoice import ResolvedRefs, invoice_payload, invoices_request, line_item
from .payment import payment_payload, payments_request

__all__ = [
    "ResolvedRefs",
    "allocation_request",
    "contact_payload",
    "contacts_request",
    "credit_note_payload",
    "credit_notes_request",
    "dumps",
    "fallback_contact_name",
    "invoice_payload",
    "invoices_request",
    "line_item",
    "money",
    "payment_payload",
    "payments_request",
    "quantity",
    "split_person_name",
    "xero_date",
]
