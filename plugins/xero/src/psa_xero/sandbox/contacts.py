"""Contacts: validation, create/update, and how documents find (or create) their contact."""

from __future__ import annotations

import re

from . import errors as E
from .state import new_id

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WRITABLE = ("Name", "ContactNumber", "AccountNumber", "ContactStatus", "FirstName", "LastName",
            "CompanyNumber", "EmailAddress", "ContactPersons", "BankAccountDetails", "TaxNumber",
            "AccountsReceivableTaxType", "AccountsPayableTaxType", "Addresses", "Phones",
            "SalesDefaultLineAmountType", "PurchasesDefaultLineAmountType", "DefaultCurrency",
            "SalesDefaultAccountCode", "PurchasesDefaultAccountCode", "PaymentTerms",
            "TaxNumberType")


def find_by_name(org: dict, name: str, exclude_id: str | None = None) -> dict | None:
    wanted = name.strip().lower()
    for contact in org["contacts"].values():
        if (contact["ContactStatus"] == "ACTIVE" and contact["Name"].strip().lower() == wanted
                and contact["ContactID"] != exclude_id):
            return contact
    return None


def find_by_number(org: dict, number: str) -> dict | None:
    return next((c for c in org["contacts"].values() if c.get("ContactNumber") == number), None)


def lookup(org: dict, key: str) -> dict | None:
    """``/Contacts/{ContactID}`` also takes a ContactNumber."""
    return org["contacts"].get(key.lower()) or find_by_number(org, key)


def validate(org: dict, data: dict, existing: dict | None) -> list[str]:
    problems = []
    name = data.get("Name", existing["Name"] if existing else None)
    if name is None or not str(name).strip():
        problems.append(E.MSG_CONTACT_NAME_EMPTY)
    else:
        status = data.get("ContactStatus", existing["ContactStatus"] if existing else "ACTIVE")
        clash = find_by_name(org, str(name), exclude_id=existing and existing["ContactID"])
        if clash and status == "ACTIVE":
            problems.append(E.MSG_CONTACT_NAME_TAKEN.format(name=name))
    for field, limit in (("Name", 255), ("ContactNumber", 50), ("AccountNumber", 50),
                         ("EmailAddress", 255), ("TaxNumber", 50)):
        if data.get(field) and len(str(data[field])) > limit:
            problems.append(f"{field} must not be more than {limit} characters long.")
    email = data.get("EmailAddress")
    if email and not _EMAIL.match(str(email)):
        problems.append(E.MSG_EMAIL_INVALID)
    number = data.get("AccountNumber")
    if number:
        other = next((c for c in org["contacts"].values() if c.get("AccountNumber") == number
                      and (not existing or c["ContactID"] != existing["ContactID"])), None)
        if other:
            problems.append("The Account Number already exists. Please enter a different "
                            "Account Number.")
    if data.get("ContactStatus") not in (None, "ACTIVE", "ARCHIVED", "GDPRREQUEST"):
        problems.append("ContactStatus is not valid.")
    return problems


def apply(org: dict, data: dict, existing: dict | None, now_iso: str) -> tuple[dict, bool]:
    """Create or update; returns (contact, created). Call :func:`validate` first."""
    created = existing is None
    contact = existing or {
        "ContactID": new_id(), "ContactStatus": "ACTIVE", "ContactPersons": [],
        "Addresses": [], "Phones": [], "IsSupplier": False, "IsCustomer": False,
        "HasAttachments": False, "HasValidationErrors": False,
    }
    for field in WRITABLE:
        if field in data:
            contact[field] = data[field]
    contact["Name"] = str(contact["Name"]).strip()
    contact["UpdatedDateUTC"] = now_iso
    org["contacts"][contact["ContactID"]] = contact
    return contact, created


def resolve_for_document(org: dict, ref: dict | None, now_iso: str):
    """Find the document's contact: ContactID, then ContactNumber, then Name (find or create).

    Returns (contact, error_message, created).
    """
    ref = ref or {}
    contact_id = ref.get("ContactID")
    if contact_id:
        contact = org["contacts"].get(str(contact_id).lower())
        if not contact:
            return None, E.MSG_DOC_NOT_FOUND.replace("document", "contact"), False
        if contact["ContactStatus"] == "ARCHIVED":
            return None, E.MSG_ARCHIVED_CONTACT, False
        return contact, None, False
    number = ref.get("ContactNumber")
    if number:
        contact = find_by_number(org, number)
        if contact:
            return contact, None, False
    name = ref.get("Name")
    if name and str(name).strip():
        contact = find_by_name(org, str(name))
        if contact:
            return contact, None, False
        data = {k: v for k, v in ref.items() if k in WRITABLE}
        problems = validate(org, data, None)
        if problems:
            return None, problems[0], False
        contact, _ = apply(org, data, None, now_iso)
        return contact, None, True
    return None, E.MSG_CONTACT_IDENTIFY, False


def summary(contact: dict) -> dict:
    """The contact as embedded in invoices and credit notes."""
    out = {"ContactID": contact["ContactID"], "Name": contact["Name"],
           "ContactStatus": contact["ContactStatus"], "ContactPersons": contact.get(
               "ContactPersons", []), "Addresses": contact.get("Addresses", []),
           "Phones": contact.get("Phones", []), "HasValidationErrors": False,
           "UpdatedDateUTC": contact.get("UpdatedDateUTC")}
    for field in ("ContactNumber", "EmailAddress", "FirstName", "LastName"):
        if contact.get(field):
            out[field] = contact[field]
    return out
