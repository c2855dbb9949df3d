"""``list_sync_fields``: which Xero fields two-way sync can map, per object.

Predefined pairs (on by default; the admin may switch off any but the name):

========== ============================== =========================
object     Xero field                     host field
========== ============================== =========================
customer   ``Name``                       ``name``
customer   ``EmailAddress``               ``billing_email``
customer   ``FirstName`` + ``LastName``   ``billing_contact_name``
item       ``Name``                       ``name``
item       ``Code``                       ``sku``
item       ``SalesDetails.UnitPrice``     ``unit_price``
item       ``Description``                ``description``
item       ``SalesDetails.AccountCode``   ``income_account``
invoice    ``DueDate``                    ``due_date``
========== ============================== =========================

Extras offered under "Add a mapping": a contact's ``TaxNumber`` (suggested host field
``tax_number``) and an invoice's ``Reference`` (suggested ``reference``). Their values travel
under those keys in ``extra`` (inbound) and ``fields`` (outbound).

**No invoice memo.** A Xero sales invoice (ACCREC) has no note-to-customer field: only line
descriptions and the 255-character ``Reference``. The plugin therefore declares no ``memo``
pair: an invoice imported from Xero has an empty memo, and an invoice pushed to Xero keeps
today's Reference (``"<project> / <memo>"``) unless the admin maps ``Reference`` (or the host
sets :attr:`InvoiceData.reference`), see :func:`psa_xero.mappers.invoice.invoice_reference`.

The list depends on nothing in the organisation, so it never calls Xero.
"""

from __future__ import annotations

from hookspecs import SyncField

#: key of the extra Contact field (the value travels under it in ``extra`` / ``fields``)
TAX_NUMBER = "TaxNumber"
#: key of the extra Invoice field
REFERENCE = "Reference"

_FIELDS: dict[str, tuple[SyncField, ...]] = {
    "customer": (
        SyncField("Name", "Contact name", "customer", "name"),
        SyncField("EmailAddress", "Email", "customer", "billing_email"),
        SyncField("FirstName+LastName", "Primary person (first and last name)", "customer",
                  "billing_contact_name"),
        SyncField(TAX_NUMBER, "Tax number (VAT / GST / ABN)", "customer", "tax_number",
                  predefined=False),
    ),
    "item": (
        SyncField("Name", "Item name", "item", "name"),
        SyncField("Code", "Item code", "item", "sku"),
        SyncField("SalesDetails.UnitPrice", "Sale price", "item", "unit_price"),
        SyncField("Description", "Sales description", "item", "description"),
        SyncField("SalesDetails.AccountCode", "Sales account", "item", "income_account"),
    ),
    "invoice": (
        SyncField("DueDate", "Due date", "invoice", "due_date"),
        SyncField(REFERENCE, "Reference", "invoice", "reference", predefined=False),
    ),
}


def list_sync_fields(connection, object: str) -> list[SyncField]:  # noqa: A002 (hook's name)
    """The pairs above for ``object`` (``[]`` for an object the plugin does not know)."""
    return list(_FIELDS.get(object, ()))
