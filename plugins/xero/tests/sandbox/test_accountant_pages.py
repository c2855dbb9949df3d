"""The accountant's pages: contacts, items and sales invoices created and edited in the
sandbox's own UI, each write visible through the API (OpenAPI-checked) and firing Xero's
webhook like an API write."""

from __future__ import annotations

import re
import time

import httpx

from psa_xero.sandbox import UK_TENANT_ID
from psa_xero.sandbox.seed import sid

from .conftest import WEBHOOK_KEY

ORG = f"/orgs/{UK_TENANT_ID}"
ACME = sid(UK_TENANT_ID, "contact:acme")


def _events(receiver, count: int) -> list[dict]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(receiver.events()) < count:
        time.sleep(0.02)
    return [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in receiver.events()]


def _post(server, path: str, data: dict) -> httpx.Response:
    return httpx.post(f"{server.url}{ORG}{path}", data=data, follow_redirects=True)


def test_contact_created_then_archived_on_the_page(server, xero, control, receiver):
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    resp = _post(server, "/contacts/new", {"Name": "Fresh Prints Ltd",
                                           "EmailAddress": "ap@fresh.example",
                                           "FirstName": "Ada", "LastName": "Byron",
                                           "TaxNumber": "GB123456789"})
    assert resp.status_code == 200 and "Contact Fresh Prints Ltd created." in resp.text
    found = xero.get("Contacts", params={"searchTerm": "fresh prints"}).json()["Contacts"]
    assert [(c["Name"], c["EmailAddress"], c["TaxNumber"]) for c in found] == [
        ("Fresh Prints Ltd", "ap@fresh.example", "GB123456789")]
    contact_id = found[0]["ContactID"]
    resp = _post(server, f"/contacts/{contact_id}", {"Name": "Fresh Prints Ltd",
                                                     "archived": "1"})
    assert "saved" in resp.text
    listed = xero.get("Contacts", params={"includeArchived": "true",
                                          "IDs": contact_id}).json()["Contacts"]
    assert listed[0]["ContactStatus"] == "ARCHIVED"
    assert _events(receiver, 2) == [("CONTACT", "CREATE", contact_id),
                                    ("CONTACT", "UPDATE", contact_id)]


def test_contact_page_shows_xeros_refusal_and_keeps_what_was_typed(server):
    resp = _post(server, "/contacts/new", {"Name": "Acme Widgets Ltd",
                                           "EmailAddress": "new@acme.example"})
    assert resp.status_code == 200
    assert "already assigned to another contact" in resp.text
    assert 'value="new@acme.example"' in resp.text


def test_item_created_edited_and_deleted_on_the_page(server, xero):
    resp = _post(server, "/items", {"Code": "AUDIT", "Name": "Security audit",
                                    "Description": "<b>On site</b>", "UnitPrice": "1250.50",
                                    "AccountCode": "210", "TaxType": "OUTPUT2"})
    assert "Item AUDIT created." in resp.text
    item = next(i for i in xero.get("Items").json()["Items"] if i["Code"] == "AUDIT")
    assert (item["Name"], item["Description"], item["SalesDetails"]["UnitPrice"],
            item["SalesDetails"]["AccountCode"]) == ("Security audit", "<b>On site</b>",
                                                     1250.5, "210")
    resp = _post(server, f"/items/{item['ItemID']}", {"Code": "AUDIT", "Name": "Audit",
                                                     "UnitPrice": "99"})
    again = xero.get(f"Items/{item['ItemID']}").json()["Items"][0]
    assert (again["Name"], again["SalesDetails"]["UnitPrice"]) == ("Audit", 99.0)
    assert _post(server, "/items", {"Code": "AUDIT", "Name": "Twin"}).text.count(
        "Price List Item with Code &#39;AUDIT&#39; already exists") == 1
    assert "must be a number" in _post(server, "/items", {"Code": "X1", "UnitPrice": "abc"}).text
    _post(server, f"/items/{item['ItemID']}", {"delete": "1"})
    assert all(i["Code"] != "AUDIT" for i in xero.get("Items").json()["Items"])


def test_invoice_created_approved_and_voided_on_the_page(server, xero, control, receiver):
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    resp = _post(server, "/invoices/new", {
        "ContactID": ACME, "Date": "2026-03-02", "DueDate": "2026-04-01",
        "Reference": "PO-7781", "LineAmountTypes": "Exclusive",
        "ItemCode-0": "CONSULT", "Description-0": "Consulting", "Quantity-0": "3",
        "UnitAmount-0": "150", "AccountCode-0": "210", "TaxType-0": "OUTPUT2",
        "Description-1": "Travel", "Quantity-1": "1", "UnitAmount-1": "40",
        "AccountCode-1": "200", "TaxType-1": "ZERORATEDOUTPUT", "draft": "1"})
    assert resp.status_code == 200 and "(DRAFT)" in resp.text
    invoice_id = re.search(r'data-invoice-id="([0-9a-f-]+)"', resp.text).group(1)
    _post(server, f"/invoices/{invoice_id}/approve", {})
    got = xero.get(f"Invoices/{invoice_id}").json()["Invoices"][0]
    assert (got["Status"], got["Reference"], got["SubTotal"], got["TotalTax"], got["Total"]) \
        == ("AUTHORISED", "PO-7781", 490.0, 90.0, 580.0)
    assert got["LineItems"][0]["Item"]["ItemID"] == sid(UK_TENANT_ID, "item:CONSULT")
    assert "Item" not in got["LineItems"][1]
    assert "voided" in _post(server, f"/invoices/{invoice_id}/void", {}).text
    assert xero.get(f"Invoices/{invoice_id}").json()["Invoices"][0]["Status"] == "VOIDED"
    assert _events(receiver, 3) == [("INVOICE", "CREATE", invoice_id),
                                    ("INVOICE", "UPDATE", invoice_id),
                                    ("INVOICE", "UPDATE", invoice_id)]


def test_invoice_edited_on_the_page_keeps_its_number(server, xero):
    inv = xero.invoice(Status="DRAFT")
    page = httpx.get(f"{server.url}{ORG}/invoices/{inv['InvoiceID']}/edit")
    assert 'value="Consulting"' in page.text
    _post(server, f"/invoices/{inv['InvoiceID']}/edit", {
        "ContactID": ACME, "Date": "2026-03-10", "DueDate": "2026-04-09",
        "Reference": "edited", "LineAmountTypes": "Inclusive", "Description-0": "Consulting",
        "Quantity-0": "1", "UnitAmount-0": "120", "AccountCode-0": "210",
        "TaxType-0": "OUTPUT2"})
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert (got["InvoiceNumber"], got["Reference"], got["LineAmountTypes"], got["SubTotal"],
            got["TotalTax"], got["Total"]) == (inv["InvoiceNumber"], "edited", "Inclusive",
                                               100.0, 20.0, 120.0)


def test_unknown_records_are_404_on_the_pages(server):
    for path in ("/contacts/00000000-0000-0000-0000-000000000000",
                 "/items/00000000-0000-0000-0000-000000000000",
                 "/invoices/00000000-0000-0000-0000-000000000000/edit"):
        assert httpx.get(f"{server.url}{ORG}{path}").status_code == 404
