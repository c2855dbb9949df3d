"""The accountant's pages (create/edit customers, products, invoices; void) and invoice custom
fields: each write is an API write (query, CDC, webhooks)."""
import json
import re

import httpx

from psa_quickbooks.sandbox.customfields import MAX_VALUE


def _saved_id(response) -> str:
    """The id in the page's "Customer 7 saved." message after the redirect."""
    assert response.status_code == 302, response.text
    message = httpx.URL(response.headers["location"]).params["message"]
    return re.search(r"(\d+) saved", message).group(1)


def test_customer_created_and_edited_on_the_page_shows_in_cdc_and_webhooks(qbo, receiver):
    qbo.control("POST", "webhooks/apps", json={"url": receiver.url, "verifier_token": "vt"})
    realm = qbo.realm
    r = qbo.http.post(f"/company/{realm}/customers/new", data={
        "display_name": "Hooli <b>Inc</b>", "email": "ap@hooli.example", "given_name": "Gavin",
        "family_name": "Belson", "tax_id": "12-3456789"})
    ident = _saved_id(r)
    row = qbo.rows(f"SELECT * FROM Customer WHERE Id = '{ident}'")[0]
    assert row["DisplayName"] == "Hooli <b>Inc</b>"
    assert row["PrimaryEmailAddr"]["Address"] == "ap@hooli.example"
    page = qbo.http.get(f"/company/{realm}/customers").text
    assert "Hooli &lt;b&gt;Inc&lt;/b&gt;" in page  # escaped
    r = qbo.http.post(f"/company/{realm}/customers/{ident}/edit", data={
        "display_name": "Hooli", "email": "billing@hooli.example"})  # active unticked
    assert r.status_code == 302
    row = qbo.get(f"customer/{ident}").json()["Customer"]
    assert row["Active"] is False and row["SyncToken"] == "1"
    changed = qbo.get("cdc", entities="Customer", changedSince="2000-01-01")
    assert changed.status_code == 400  # beyond 30 days
    cdc = qbo.get("cdc", entities="Customer", changedSince=row["MetaData"]["CreateTime"]).json()
    rows = cdc["CDCResponse"][0]["QueryResponse"][0]["Customer"]
    assert ident in [c["Id"] for c in rows] and rows[-1]["SyncToken"] == "1"
    qbo.control("POST", "webhooks/flush")
    events = [(e["name"], e["id"], e["operation"]) for _, body in receiver.wait(1)
              for n in json.loads(body)["eventNotifications"]
              for e in n["dataChangeEvent"]["entities"]]
    assert ("Customer", ident, "Create") in events and ("Customer", ident, "Update") in events


def test_duplicate_customer_name_is_refused_on_the_page(qbo):
    r = qbo.http.post(f"/company/{qbo.realm}/customers/new", data={"display_name": "Acme Ltd"})
    assert r.status_code == 400 and 'id="error"' in r.text


def test_product_with_sku_price_and_account(qbo):
    r = qbo.http.post(f"/company/{qbo.realm}/products/new", data={
        "name": "Backup", "sku": "BK-1", "type": "Service", "unit_price": "49.50",
        "description": "Nightly backup", "income_account": "2"})
    assert r.status_code == 302, r.text
    row = qbo.rows("SELECT *, Sku FROM Item WHERE Name = 'Backup'")[0]
    assert (row["Sku"], row["UnitPrice"], row["IncomeAccountRef"]["value"]) == ("BK-1", 49.5, "2")
    bad = qbo.http.post(f"/company/{qbo.realm}/products/new", data={
        "name": "Other", "unit_price": "lots", "income_account": "2"})
    assert bad.status_code == 400 and "not a number" in bad.text


def test_invoice_created_edited_and_voided_on_the_pages(qbo):
    realm = qbo.realm
    r = qbo.http.post(f"/company/{realm}/invoices/new", data={
        "customer": "1", "txn_date": "2026-11-02", "due_date": "2026-12-02",
        "memo": "Thanks", "custom_1": "PO-7",
        "line-1-item": "2", "line-1-description": "Consulting", "line-1-qty": "10",
        "line-1-rate": "150", "line-1-tax": "on",
        "line-2-item": "3", "line-2-qty": "1", "line-2-rate": "80"})
    assert r.status_code == 302, r.text
    ident = r.headers["location"].rstrip("/").split("/")[-1]
    inv = qbo.get(f"invoice/{ident}").json()["Invoice"]
    assert inv["TotalAmt"] == 1700.0  # 1500 + 8 % of 1500 + 80
    assert inv["CustomField"] == [{"DefinitionId": "1", "Name": "PO Number",
                                   "Type": "StringType", "StringValue": "PO-7"}]
    assert inv["CustomerMemo"]["value"] == "Thanks"
    r = qbo.http.post(f"/company/{realm}/invoices/{ident}/edit", data={
        "customer": "1", "custom_1": "PO-8", "custom_2": "Crew A",
        "line-1-item": "2", "line-1-qty": "2", "line-1-rate": "150"})
    assert r.status_code == 302, r.text
    inv = qbo.get(f"invoice/{ident}").json()["Invoice"]
    assert inv["TotalAmt"] == 300.0 and inv["SyncToken"] == "1"
    assert [f["StringValue"] for f in inv["CustomField"]] == ["PO-8", "Crew A"]
    assert "PO-8" in qbo.http.get(f"/company/{realm}/invoices/{ident}").text
    r = qbo.http.post(f"/company/{realm}/invoices/{ident}/void")
    assert r.status_code == 302
    inv = qbo.get(f"invoice/{ident}").json()["Invoice"]
    assert inv["TotalAmt"] == 0 and inv["PrivateNote"].startswith("Voided")


def test_custom_fields_through_the_api(qbo):
    prefs = qbo.get("preferences").json()["Preferences"]["SalesFormsPrefs"]["CustomField"]
    flags = {f["Name"]: f["BooleanValue"] for f in prefs[0]["CustomField"]}
    assert flags["SalesFormsPrefs.UseSalesCustom1"] is True
    assert flags["SalesFormsPrefs.UseSalesCustom3"] is False
    body = {"CustomerRef": {"value": "1"}, "CustomField": [
        {"DefinitionId": "1", "Type": "StringType", "StringValue": "PO-1"},
        {"DefinitionId": "3", "Type": "StringType", "StringValue": "undefined slot"}],
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 10,
                  "SalesItemLineDetail": {"ItemRef": {"value": "3"}}}]}
    inv = qbo.create("Invoice", body)
    assert [(f["DefinitionId"], f["StringValue"]) for f in inv["CustomField"]] == [("1", "PO-1")]
    too_long = dict(body, CustomField=[{"DefinitionId": "1", "Type": "StringType",
                                        "StringValue": "x" * (MAX_VALUE + 1)}])
    assert qbo.post("invoice", too_long).status_code == 400
    cleared = qbo.post("invoice", {"Id": inv["Id"], "SyncToken": inv["SyncToken"], "sparse": True,
                                   "CustomField": [{"DefinitionId": "1", "StringValue": ""}]})
    assert cleared.json()["Invoice"]["CustomField"] == []


def test_bulk_create_through_the_control_api_is_an_api_write(qbo):
    r = qbo.http.post(f"/_sandbox/companies/{qbo.realm}/entities/Item", json=[
        {"Name": f"Bulk {n}", "Sku": f"B-{n}", "Type": "Service",
         "IncomeAccountRef": {"value": "2"}} for n in range(3)])
    assert r.status_code == 200, r.text
    ids = r.json()["ids"]
    rows = qbo.rows("SELECT *, Sku FROM Item WHERE Name LIKE 'Bulk%'")
    assert sorted(row["Id"] for row in rows) == sorted(ids)
    bad = qbo.http.post(f"/_sandbox/companies/{qbo.realm}/entities/Item", json=[{"Name": "x"}])
    assert bad.status_code == 400  # Type is required, as through the API
