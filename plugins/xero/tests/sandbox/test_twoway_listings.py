"""What two-way sync reads: contacts, items and invoices changed since a moment
(``If-Modified-Since``), archived contacts on request, page sizes up to Xero's 1000, and
invoice lines naming their item. Every exchange is checked against the OpenAPI documents."""

from __future__ import annotations

import httpx

from psa_xero.sandbox import UK_TENANT_ID
from psa_xero.sandbox.seed import sid


def _advance(server, seconds: int = 60) -> None:
    httpx.post(f"{server.url}/_sandbox/clock/advance", json={"seconds": seconds}).raise_for_status()


def _now(xero) -> str:
    """Xero's clock, as the answer's ``DateTimeUTC`` gives it, in If-Modified-Since form."""
    from datetime import datetime, timezone

    ms = int(xero.get("Organisation").json()["DateTimeUTC"][6:-2])
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_only_what_changed_since_comes_back(server, xero):
    _advance(server)
    since = _now(xero)
    _advance(server)
    made = xero.put("Contacts", {"Contacts": [{"Name": "Changed Since Ltd"}]}).json()
    xero.post("Items", {"Items": [{"Code": "CONSULT", "Name": "Consulting (new rate)"}]})
    contacts = xero.get("Contacts", headers={"If-Modified-Since": since},
                        params={"page": 1}).json()["Contacts"]
    items = xero.get("Items", headers={"If-Modified-Since": since}).json()["Items"]
    assert [c["ContactID"] for c in contacts] == [made["Contacts"][0]["ContactID"]]
    assert [(i["Code"], i["Name"]) for i in items] == [("CONSULT", "Consulting (new rate)")]


def test_archived_contacts_come_back_only_when_asked(xero):
    made = xero.put("Contacts", {"Contacts": [{"Name": "Gone Quiet Ltd"}]}).json()
    contact_id = made["Contacts"][0]["ContactID"]
    xero.post(f"Contacts/{contact_id}", {"Contacts": [{"ContactStatus": "ARCHIVED"}]})
    plain = {c["ContactID"] for c in xero.get("Contacts").json()["Contacts"]}
    every = {c["ContactID"]: c["ContactStatus"] for c in xero.get(
        "Contacts", params={"includeArchived": "true"}).json()["Contacts"]}
    assert contact_id not in plain and every[contact_id] == "ARCHIVED"


def test_page_size_is_capped_at_1000(xero):
    data = xero.get("Contacts", params={"page": 1, "pageSize": 5000}).json()
    assert data["pagination"]["pageSize"] == 1000


def test_invoice_lines_name_their_item(xero, sb):
    made = xero.put("Invoices", {"Invoices": [{
        "Type": "ACCREC", "Contact": {"ContactID": sid(UK_TENANT_ID, "contact:acme")},
        "Date": "2026-03-10", "DueDate": "2026-04-09", "Status": "AUTHORISED",
        "LineItems": [{"ItemCode": "CONSULT", "Description": "Consulting", "Quantity": 2,
                       "UnitAmount": 150, "AccountCode": "210", "TaxType": "OUTPUT2"}]}]})
    invoice_id = made.json()["Invoices"][0]["InvoiceID"]
    listed = xero.get("Invoices", params={"page": 1, "IDs": invoice_id}).json()["Invoices"][0]
    assert listed["LineItems"][0]["Item"] == {
        "ItemID": sid(UK_TENANT_ID, "item:CONSULT"), "Name": "Consulting hour",
        "Code": "CONSULT"}
