"""Demo documents added by ``POST /_sandbox/seed`` (the reset state has reference data only)."""

from __future__ import annotations

from . import documents
from .seed import UK_TENANT_ID, US_TENANT_ID, sid


def _invoice(contact_id: str, status: str, lines: list[dict], reference: str) -> dict:
    return {"Type": "ACCREC", "Contact": {"ContactID": contact_id}, "Status": status,
            "LineAmountTypes": "Exclusive", "Reference": reference, "LineItems": lines}


def seed_demo_documents(sandbox) -> dict:
    """Two UK invoices (AUTHORISED, DRAFT), a UK credit note and a US invoice."""
    state = sandbox.state
    uk, us = state.orgs[UK_TENANT_ID], state.orgs[US_TENANT_ID]
    acme = sid(UK_TENANT_ID, "contact:acme")
    made = []
    for org, data, kind in (
        (uk, _invoice(acme, "AUTHORISED", [
            {"Description": "Consulting, January", "Quantity": 8, "UnitAmount": 150,
             "AccountCode": "210", "TaxType": "OUTPUT2",
             "Tracking": [{"Name": "Region", "Option": "North"}]}], "Demo project"), "invoice"),
        (uk, _invoice(sid(UK_TENANT_ID, "contact:bluebird"), "DRAFT", [
            {"Description": "Support retainer", "Quantity": 1, "UnitAmount": 500,
             "AccountCode": "200", "TaxType": "OUTPUT2"}], "Retainer"), "invoice"),
        (uk, {"Type": "ACCRECCREDIT", "Contact": {"ContactID": acme}, "Status": "AUTHORISED",
              "LineItems": [{"Description": "Goodwill credit", "Quantity": 1, "UnitAmount": 50,
                             "AccountCode": "210", "TaxType": "OUTPUT2"}]}, "credit_note"),
        (us, _invoice(sid(US_TENANT_ID, "contact:globex"), "AUTHORISED", [
            {"Description": "Advisory hours", "Quantity": 5, "UnitAmount": 200,
             "AccountCode": "4010", "TaxType": "TAX001"}], "Q1 advisory"), "invoice"),
    ):
        doc, _, _ = documents.save_document(state, org, data, kind, None)
        made.append(documents.doc_id(kind, doc))
    return {"documents": made}
