"""2. Seeded organisations and reference data; Contacts; 4. Xero-shaped errors."""

from __future__ import annotations

import httpx

from psa_xero.sandbox import NZ_TENANT_ID, UK_TENANT_ID, US_TENANT_ID

from .conftest import Xero, invoice_body


def test_three_seeded_organisations(server, mint):
    token = mint()["access_token"]
    seen = {}
    for tenant in (UK_TENANT_ID, US_TENANT_ID, NZ_TENANT_ID):
        org = Xero(server.url, token, tenant).get("Organisation").json()["Organisations"][0]
        assert org["OrganisationID"] == tenant and org["ShortCode"].startswith("!")
        seen[org["Version"]] = org["BaseCurrency"]
    assert seen == {"UK": "GBP", "US": "USD", "NZ": "NZD"}


def test_uk_reference_data(xero):
    accounts = xero.get("Accounts").json()["Accounts"]
    codes = {a["Code"]: a for a in accounts}
    assert codes["250"]["Status"] == "ARCHIVED" and codes["200"]["Class"] == "REVENUE"
    revenue = xero.get("Accounts", params={"where": 'Status=="ACTIVE" AND Class=="REVENUE"'})
    assert sorted(a["Code"] for a in revenue.json()["Accounts"]) == ["200", "210", "260"]
    rates = {r["TaxType"]: r for r in xero.get("TaxRates").json()["TaxRates"]}
    assert rates["OUTPUT2"]["EffectiveRate"] == 20.0 and "VAT" in rates["OUTPUT2"]["Name"]
    assert rates["INPUT2"]["CanApplyToRevenue"] is False
    tracking = xero.get("TrackingCategories").json()["TrackingCategories"]
    region = next(c for c in tracking if c["Name"] == "Region")
    assert [o["Name"] for o in region["Options"]] == ["North", "South"]
    archived = xero.get("TrackingCategories", params={"includeArchived": "true"}).json()
    region = next(c for c in archived["TrackingCategories"] if c["Name"] == "Region")
    assert "West" in [o["Name"] for o in region["Options"]]
    items = xero.get("Items").json()["Items"]
    assert {i["Code"] for i in items} == {"CONSULT", "SUPPORT"}
    contacts = xero.get("Contacts").json()["Contacts"]
    assert "Oldco Holdings" not in [c["Name"] for c in contacts]
    everyone = xero.get("Contacts", params={"includeArchived": "true"}).json()["Contacts"]
    assert "Oldco Holdings" in [c["Name"] for c in everyone]


def test_items_create_and_duplicate_code(xero):
    resp = xero.put("Items", {"Items": [{"Code": "NEW", "Name": "New item",
                                         "SalesDetails": {"UnitPrice": 12.5,
                                                          "AccountCode": "200"}}]})
    assert resp.status_code == 200, resp.text
    dup = xero.put("Items", {"Items": [{"Code": "NEW"}]})
    assert dup.status_code == 400
    assert dup.json()["Elements"][0]["ValidationErrors"][0]["Message"] == \
        "Price List Item with Code 'NEW' already exists"


def test_contacts_create_update_get_list(xero):
    resp = xero.put("Contacts", {"Contacts": [{"Name": "Zeta Ltd", "ContactNumber": "PSA-C-9",
                                               "EmailAddress": "ap@zeta.example"}]})
    assert resp.status_code == 200, resp.text
    contact = resp.json()["Contacts"][0]
    upd = xero.post(f"Contacts/{contact['ContactID']}",
                    {"Contacts": [{"EmailAddress": "new@zeta.example"}]})
    assert upd.json()["Contacts"][0]["EmailAddress"] == "new@zeta.example"
    got = xero.get(f"Contacts/{contact['ContactID']}").json()["Contacts"][0]
    assert got["ContactNumber"] == "PSA-C-9"
    found = xero.get("Contacts", params={"searchTerm": "zeta"}).json()["Contacts"]
    assert [c["ContactID"] for c in found] == [contact["ContactID"]]
    page = xero.get("Contacts", params={"page": 1, "pageSize": 2}).json()
    assert page["pagination"]["itemCount"] == 3 and len(page["Contacts"]) == 2


def test_contact_name_already_used(xero):
    resp = xero.put("Contacts", {"Contacts": [{"Name": "Acme Widgets Ltd"}]})
    assert resp.status_code == 400
    assert resp.json()["Elements"][0]["ValidationErrors"][0]["Message"] == (
        "The contact name Acme Widgets Ltd is already assigned to another contact. "
        "The contact name must be unique across all active contacts.")
    bad_email = xero.put("Contacts", {"Contacts": [{"Name": "X", "EmailAddress": "nope"}]})
    assert bad_email.json()["Elements"][0]["ValidationErrors"][0]["Message"] == \
        "Email address must be valid."


def _line_error(resp) -> list[str]:
    assert resp.status_code == 400, resp.text
    return [e["Message"] for e in resp.json()["Elements"][0]["ValidationErrors"]]


def test_invalid_and_archived_account_codes(xero):
    archived = xero.put("Invoices", {"Invoices": [invoice_body(LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "250"}])]})
    assert any("250" in m and "archived" in m for m in _line_error(archived))
    bank = xero.put("Invoices", {"Invoices": [invoice_body(LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "090"}])]})
    assert _line_error(bank) == ["Account code '090' is not a valid code for this document."]
    unknown = xero.put("Invoices", {"Invoices": [invoice_body(Status="DRAFT", LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 10, "AccountCode": "476"}])]})
    assert unknown.status_code == 200
    assert unknown.json()["Invoices"][0]["Warnings"][0]["Message"] == (
        "Account code '476' has been removed as it does not match a recognised account.")


def test_contact_must_be_identified(xero):
    resp = xero.put("Invoices", {"Invoices": [invoice_body(Contact={})]})
    assert _line_error(resp) == [
        "The Contact must contain at least 1 of the following elements to identify the "
        "contact: Name, ContactID, ContactNumber"]


def test_lock_dates(xero, control):
    inv = xero.invoice(Date="2026-01-15", DueDate="2026-02-15")
    resp = control.post("/lock-dates", json={"tenant_id": UK_TENANT_ID,
                                             "PeriodLockDate": "2026-01-31"})
    assert resp.json()["PeriodLockDate"] == "2026-01-31"
    org = xero.get("Organisation").json()["Organisations"][0]
    assert org["PeriodLockDate"].startswith("/Date(")
    blocked = xero.put("Invoices", {"Invoices": [invoice_body(Date="2026-01-20")]})
    assert _line_error(blocked) == [
        "The document date cannot be before the period lock date, currently set at 31-Jan-2026"]
    edit = xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    assert edit.status_code == 400
    assert xero.put("Invoices", {"Invoices": [invoice_body(Date="2026-02-01")]}).status_code == 200
    control.post("/lock-dates", json={"tenant_id": UK_TENANT_ID, "PeriodLockDate": None,
                                      "EndOfYearLockDate": "2025-12-31"})
    old = xero.put("Invoices", {"Invoices": [invoice_body(Date="2025-12-01")]})
    assert "end of year lock date" in _line_error(old)[0]


def test_auth_error_shapes(server, xero):
    none = httpx.get(f"{server.url}/api.xro/2.0/Invoices",
                     headers={"xero-tenant-id": UK_TENANT_ID})
    assert none.status_code == 401 and none.json()["Title"] == "Unauthorized"
    garbage = Xero(server.url, "not-a-token").get("Invoices")
    assert garbage.status_code == 401
    forbidden = xero.get("Invoices", tenant="00000000-0000-0000-0000-000000000000")
    body = forbidden.json()
    assert forbidden.status_code == 403
    assert {"Type", "Title", "Status", "Detail", "Instance", "Extensions"} <= set(body)
    assert xero.get("Nope").status_code == 404
    assert "Xero-Correlation-Id" in xero.get("Organisation").headers


def test_xml_unless_json_is_accepted(server, xero, sb):
    from xml.etree import ElementTree as ET

    resp = httpx.get(f"{server.url}/api.xro/2.0/Organisation",
                     headers={"Authorization": f"Bearer {xero.token}",
                              "xero-tenant-id": UK_TENANT_ID})
    assert resp.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(resp.content)
    assert root.tag == "Response"
    assert root.find("Organisations/Organisation/ShortCode").text.startswith("!")
    error = httpx.put(f"{server.url}/api.xro/2.0/Contacts", json={"Contacts": [{"Name": ""}]},
                      headers={"Authorization": f"Bearer {xero.token}",
                               "xero-tenant-id": UK_TENANT_ID, "Accept": "application/xml"})
    assert ET.fromstring(error.content).tag == "ApiException"
    assert any(ex["mimetype"] == "text/xml" for ex in sb.exchanges)
    sb.exchanges.clear()  # the OpenAPI documents describe JSON only: XML is off-spec by design


def test_every_api_answer_carries_a_correlation_id(server, xero, mint, control):
    """Refusals too (401, 403, 429, 404): the id is what Xero support asks for."""
    read_only = Xero(server.url, mint(scope="accounting.contacts.read")["access_token"])
    control.post("/limits", json={"minute": 1})
    answers = {
        "401 no token": httpx.get(f"{server.url}/api.xro/2.0/Invoices",
                                  headers={"xero-tenant-id": UK_TENANT_ID}),
        "401 bad token": Xero(server.url, "not-a-token").get("Invoices"),
        "403 tenant": xero.get("Invoices", tenant="00000000-0000-0000-0000-000000000000"),
        "403 scope": read_only.get("Invoices"),
        "200": xero.get("Organisation"),
        "429": xero.get("Organisation"),
        "404": xero.get("Nope"),
        "401 connections": httpx.get(f"{server.url}/connections"),
    }
    assert {k: a.status_code for k, a in answers.items()} == {
        "401 no token": 401, "401 bad token": 401, "403 tenant": 403, "403 scope": 403,
        "200": 200, "429": 429, "404": 404, "401 connections": 401}
    ids = [a.headers.get("Xero-Correlation-Id") for a in answers.values()]
    assert all(ids) and len(set(ids)) == len(ids), ids
