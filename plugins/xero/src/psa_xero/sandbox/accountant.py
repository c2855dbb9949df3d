"""What an accountant does in Xero's own web app: create and edit contacts, items and sales
invoices, approve and void invoices.

The sandbox's pages (:mod:`psa_xero.sandbox.pages`) and the contract suite's provider state
(``tests/xero_state.py``) both write the store through these functions, with the same rules as
the Accounting API (:mod:`.contacts`, :mod:`.items`, :mod:`.documents`), and get back the
webhook events Xero raises for the write: ``CONTACT`` and ``INVOICE`` ``CREATE``/``UPDATE``,
like an API write. Xero has no webhooks for items. Call them holding ``state.lock``; each
raises :class:`~psa_xero.sandbox.documents.Invalid` with Xero's messages (nothing written).
"""

from __future__ import annotations

from . import contacts, documents, items

#: one event: (category, event type, resource id)
Event = tuple[str, str, str]
#: who the accountant's writes are made by (no app)
USER = "sandbox-ui"


def _history(state, org: dict, doc: dict, changes: str, details: str) -> None:
    org["history"].setdefault(doc["InvoiceID"], []).append({
        "Changes": changes, "DateUTC": state.now_iso(), "User": "Accountant",
        "Details": details})


def save_contact(state, org: dict, data: dict, existing: dict | None = None
                 ) -> tuple[dict, list[Event]]:
    """Create (``existing`` None) or edit a contact from Xero's field names (``Name``,
    ``EmailAddress``, ``FirstName``, ``LastName``, ``TaxNumber``, ``ContactStatus``)."""
    data = {k: v for k, v in data.items() if k in contacts.WRITABLE}
    problems = contacts.validate(org, data, existing)
    if problems:
        raise documents.Invalid(problems)
    contact, created = contacts.apply(org, data, existing, state.now_iso())
    return contact, [("CONTACT", "CREATE" if created else "UPDATE", contact["ContactID"])]


def save_item(state, org: dict, data: dict, existing: dict | None = None
              ) -> tuple[dict, list[Event]]:
    """Create or edit an item (``Code``, ``Name``, ``Description``, ``SalesDetails``)."""
    if existing is not None:
        data = {**data, "ItemID": existing["ItemID"]}
    return items.save(org, data, False, state.now_iso()), []


def delete_item(state, org: dict, item: dict) -> list[Event]:
    """Delete an item (Xero has no archived items; invoices keep their lines' codes)."""
    org["items"].pop(item["ItemID"], None)
    return []


def save_invoice(state, org: dict, data: dict, existing: dict | None = None
                 ) -> tuple[dict, list[Event]]:
    """Create or edit a sales invoice (``Contact``, ``Date``, ``DueDate``, ``Reference``,
    ``LineItems`` with ``ItemCode``/``Description``/``Quantity``/``UnitAmount``/
    ``AccountCode``/``TaxType``, ``LineAmountTypes``, ``Status``), unit amounts to 4 dp."""
    data = {"Type": "ACCREC", **data} if existing is None else dict(data)
    doc, _, contact_created = documents.save_document(state, org, data, "invoice", existing,
                                                      unitdp=4)
    events: list[Event] = []
    if contact_created:
        events.append(("CONTACT", "CREATE", doc["Contact"]["ContactID"]))
    if existing is None:
        doc["_app"] = USER
        _history(state, org, doc, "Created", f"INVOICE {doc['InvoiceNumber']} created.")
        events.append(("INVOICE", "CREATE", doc["InvoiceID"]))
    else:
        _history(state, org, doc, "Edited", f"INVOICE {doc['InvoiceNumber']} updated.")
        events.append(("INVOICE", "UPDATE", doc["InvoiceID"]))
    return doc, events


def approve_invoice(state, org: dict, doc: dict) -> tuple[dict, list[Event]]:
    """Approve a draft or submitted invoice (AUTHORISED: awaiting payment)."""
    return save_invoice(state, org, {"Status": "AUTHORISED"}, doc)


def void_invoice(state, org: dict, doc: dict) -> tuple[dict, list[Event]]:
    """Void an approved invoice (refused while it has payments or credits, as Xero does);
    a draft is deleted instead, as Xero's Delete does."""
    status = "DELETED" if doc["Status"] in ("DRAFT", "SUBMITTED") else "VOIDED"
    return save_invoice(state, org, {"Status": status}, doc)
