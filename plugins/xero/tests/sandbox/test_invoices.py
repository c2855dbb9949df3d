"""3. Invoices: PUT/POST, arrays, summarizeErrors, statuses and transitions, numbers, totals and
tax, Email, OnlineInvoice, paging, where/order/IDs/InvoiceNumbers/Statuses/If-Modified-Since,
Idempotency-Key, dates."""

from __future__ import annotations

import re

import httpx
import pytest

from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID
from psa_xero.sandbox.seed import sid

from .conftest import invoice_body


def test_create_computes_exclusive_totals_and_assigns_number(xero):
    inv = xero.invoice(LineItems=[
        {"Description": "Consulting", "Quantity": 10, "UnitAmount": 150, "AccountCode": "210",
         "TaxType": "OUTPUT2", "Tracking": [{"Name": "Region", "Option": "North"}]},
        {"Description": "Setup", "Quantity": 1, "UnitAmount": 250, "DiscountRate": 10,
         "AccountCode": "200", "TaxType": "OUTPUT2"}])
    assert re.fullmatch(r"INV-\d{4}", inv["InvoiceNumber"])
    assert (inv["SubTotal"], inv["TotalTax"], inv["Total"]) == (1725.0, 345.0, 2070.0)
    assert inv["TotalDiscount"] == 25.0 and inv["AmountDue"] == 2070.0
    assert inv["Status"] == "AUTHORISED" and inv["StatusAttributeString"] == "OK"
    line = inv["LineItems"][0]
    assert line["LineAmount"] == 1500.0 and line["TaxAmount"] == 300.0
    assert line["Tracking"][0]["TrackingOptionID"] == sid(UK_TENANT_ID, "tracking:Region:North")
    assert inv["Contact"]["Name"] == "Acme Widgets Ltd"


def test_inclusive_and_notax(xero):
    inc = xero.invoice(LineAmountTypes="Inclusive", LineItems=[
        {"Description": "x", "Quantity": 1, "UnitAmount": 120, "AccountCode": "200",
         "TaxType": "OUTPUT2"}])
    assert (inc["SubTotal"], inc["TotalTax"], inc["Total"]) == (100.0, 20.0, 120.0)
    none = xero.invoice(LineAmountTypes="NoTax", LineItems=[
        {"Description": "x", "Quantity": 2, "UnitAmount": 50, "AccountCode": "200"}])
    assert (none["TotalTax"], none["Total"]) == (0.0, 100.0)


def test_us_sales_tax(server, mint):
    from .conftest import Xero

    us = Xero(server.url, mint()["access_token"], tenant=US_TENANT_ID)
    inv = us.invoice(Contact={"ContactID": sid(US_TENANT_ID, "contact:globex")}, LineItems=[
        {"Description": "Advisory", "Quantity": 1, "UnitAmount": 1000, "AccountCode": "4010",
         "TaxType": "TAX001"}])
    assert inv["TotalTax"] == 88.75 and inv["CurrencyCode"] == "USD"


def test_dates_in_ms_format_with_string_siblings(xero):
    inv = xero.invoice()
    assert inv["Date"] == "/Date(1773100800000+0000)/"
    assert inv["DateString"] == "2026-03-10T00:00:00"
    assert inv["DueDateString"] == "2026-04-09T00:00:00"
    assert re.fullmatch(r"/Date\(\d+\+0000\)/", inv["UpdatedDateUTC"])
    assert inv["UpdatedDateUTCString"].endswith("Z")


def test_given_number_must_be_unique_on_put_and_post_updates(xero):
    first = xero.invoice(InvoiceNumber="PSA-1042")
    dup = xero.put("Invoices", {"Invoices": [invoice_body(InvoiceNumber="PSA-1042")]})
    assert dup.status_code == 400
    body = dup.json()
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    assert body["Elements"][0]["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]
    # POST with the same number updates the existing invoice
    upd = xero.post("Invoices", {"Invoices": [{"InvoiceNumber": "PSA-1042", "Reference": "R2"}]})
    assert upd.status_code == 200, upd.text
    assert upd.json()["Invoices"][0]["InvoiceID"] == first["InvoiceID"]
    assert upd.json()["Invoices"][0]["Reference"] == "R2"


def test_summarize_errors_false_returns_200_per_element(xero):
    resp = xero.put("Invoices", {"Invoices": [
        invoice_body(), invoice_body(LineItems=[{"Description": "x", "Quantity": 1,
                                                 "UnitAmount": 5, "AccountCode": "210",
                                                 "TaxType": "GST on Income"}])]},
        params={"summarizeErrors": "false"})
    assert resp.status_code == 200
    ok, bad = resp.json()["Invoices"]
    assert ok["StatusAttributeString"] == "OK" and ok["InvoiceID"]
    assert bad["StatusAttributeString"] == "ERROR" and bad["HasErrors"] is True
    assert bad["ValidationErrors"][0]["Message"] == (
        "The TaxType code GST on Income does not exist or cannot be used for this type of "
        "transaction.")
    assert bad["LineItems"][0]["ValidationErrors"]


def test_summarize_errors_default_400_keeps_valid_elements(xero):
    resp = xero.put("Invoices", {"Invoices": [
        invoice_body(Reference="good"), invoice_body(Contact={})]})
    assert resp.status_code == 400
    assert len(resp.json()["Elements"]) == 1
    found = xero.get("Invoices", params={"where": 'Reference=="good"'}).json()["Invoices"]
    assert len(found) == 1  # Xero saves the valid element anyway


@pytest.mark.parametrize("start,target,allowed", [
    ("DRAFT", "SUBMITTED", True), ("DRAFT", "AUTHORISED", True), ("DRAFT", "DELETED", True),
    ("SUBMITTED", "AUTHORISED", True), ("SUBMITTED", "DELETED", True),
    ("AUTHORISED", "VOIDED", True), ("AUTHORISED", "DRAFT", False),
    ("AUTHORISED", "DELETED", False), ("DRAFT", "VOIDED", False), ("DRAFT", "PAID", False),
])
def test_status_transitions(xero, start, target, allowed):
    inv = xero.invoice(Status=start)
    resp = xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"Status": target}]})
    if allowed:
        assert resp.status_code == 200, resp.text
        assert resp.json()["Invoices"][0]["Status"] == target
    else:
        assert resp.status_code == 400
        assert resp.json()["Elements"][0]["ValidationErrors"][0]["Message"] == \
            "Invoice not of valid status for modification"


@pytest.mark.parametrize("status", ["PAID", "VOIDED", "DELETED"])
def test_cannot_create_with_terminal_status(xero, status):
    resp = xero.put("Invoices", {"Invoices": [invoice_body(Status=status)]})
    assert resp.status_code == 400


def test_voided_is_terminal_and_keeps_number(xero):
    inv = xero.invoice(InvoiceNumber="V-1")
    xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"Status": "VOIDED"}]})
    again = xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"Reference": "x"}]})
    assert again.status_code == 400
    assert xero.put("Invoices", {"Invoices": [invoice_body(InvoiceNumber="V-1")]}).status_code == 400


def test_update_replaces_lines_and_keeps_line_ids(xero):
    inv = xero.invoice(Status="DRAFT")
    line = inv["LineItems"][0]
    resp = xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"LineItems": [
        dict(LineItemID=line["LineItemID"], Description="Changed", Quantity=2, UnitAmount=10,
             AccountCode="210", TaxType="OUTPUT2")]}]})
    out = resp.json()["Invoices"][0]
    assert out["LineItems"][0]["LineItemID"] == line["LineItemID"]
    assert out["Total"] == 24.0


def test_contact_by_name_finds_or_creates(xero):
    found = xero.invoice(Contact={"Name": "Acme Widgets Ltd"})
    assert found["Contact"]["ContactID"] == sid(UK_TENANT_ID, "contact:acme")
    created = xero.invoice(Contact={"Name": "Brand New Client"})
    listed = xero.get("Contacts", params={"where": 'Name=="Brand New Client"'}).json()
    assert listed["Contacts"][0]["ContactID"] == created["Contact"]["ContactID"]


def test_email_and_online_invoice(xero, sb):
    draft = xero.invoice(Status="DRAFT")
    assert xero.post(f"Invoices/{draft['InvoiceID']}/Email", {}).status_code == 400
    assert xero.get(f"Invoices/{draft['InvoiceID']}/OnlineInvoice").status_code == 400
    inv = xero.invoice()
    assert xero.post(f"Invoices/{inv['InvoiceID']}/Email", {}).status_code == 204
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert got["SentToContact"] is True
    assert sb.state.orgs[UK_TENANT_ID]["emails"][0]["To"] == ["accounts@acme.example"]
    url = xero.get(f"Invoices/{inv['InvoiceID']}/OnlineInvoice").json()[
        "OnlineInvoices"][0]["OnlineInvoiceUrl"]
    page = httpx.get(url)
    assert page.status_code == 200 and inv["InvoiceNumber"] in page.text


def test_get_one_and_404(xero):
    inv = xero.invoice(InvoiceNumber="PSA-7")
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert got["InvoiceNumber"] == "PSA-7" and got["LineItems"]
    missing = xero.get("Invoices/00000000-0000-0000-0000-000000000000")
    assert missing.status_code == 404 and "cannot be found" in missing.text


def test_paging_and_list_filters(xero):
    made = [xero.invoice(InvoiceNumber=f"P-{n:02d}", Status="DRAFT" if n % 2 else "AUTHORISED")
            for n in range(5)]
    page = xero.get("Invoices", params={"page": 2, "pageSize": 2, "order": "InvoiceNumber ASC"})
    data = page.json()
    assert data["pagination"] == {"page": 2, "pageSize": 2, "pageCount": 3, "itemCount": 5}
    assert [i["InvoiceNumber"] for i in data["Invoices"]] == ["P-02", "P-03"]
    ids = xero.get("Invoices", params={"IDs": f"{made[0]['InvoiceID']},{made[1]['InvoiceID']}"})
    assert len(ids.json()["Invoices"]) == 2
    nums = xero.get("Invoices", params={"InvoiceNumbers": "P-03,P-04"}).json()["Invoices"]
    assert sorted(i["InvoiceNumber"] for i in nums) == ["P-03", "P-04"]
    drafts = xero.get("Invoices", params={"Statuses": "DRAFT"}).json()["Invoices"]
    assert len(drafts) == 2
    desc = xero.get("Invoices", params={"order": "InvoiceNumber DESC"}).json()["Invoices"]
    assert desc[0]["InvoiceNumber"] == "P-04"


def test_where_syntax(xero):
    acme = sid(UK_TENANT_ID, "contact:acme")
    xero.invoice(Reference="alpha project")
    xero.invoice(Reference="beta", Status="DRAFT",
                 Contact={"ContactID": sid(UK_TENANT_ID, "contact:bluebird")})
    cases = {
        'Status=="AUTHORISED"': 1,
        f'Contact.ContactID==Guid("{acme}")': 1,
        'Status=="DRAFT" OR Reference.StartsWith("alpha")': 2,
        'Status=="AUTHORISED" AND Reference.Contains("PROJECT")': 1,
        'Status!="AUTHORISED"': 1,
        'Date>=DateTime(2026,03,10) && Date<DateTime(2026,03,11)': 2,
        'Total>1000': 2,
        'Reference==null': 0,
        'UpdatedDateUTC>=DateTime.Parse("2000-01-01T00:00:00")&&Type=="ACCREC"': 2,
        f'Contact.ContactID.ToString()=="{acme}"': 1,
    }
    for where, count in cases.items():
        resp = xero.get("Invoices", params={"where": where})
        assert resp.status_code == 200, (where, resp.text)
        assert len(resp.json()["Invoices"]) == count, where
    bad = xero.get("Invoices", params={"where": 'Status=="AUTHORISED" AND'})
    assert bad.status_code == 400 and bad.json()["Type"] == "QueryParseException"


def test_if_modified_since(xero, control):
    old = xero.invoice()
    control.post("/clock/advance", json={"seconds": 120})
    marker = xero.get("Organisation").json()["DateTimeUTC"]
    ms = int(re.search(r"\d+", marker).group())
    from datetime import datetime, timezone

    since = datetime.fromtimestamp(ms / 1000 - 1, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    new = xero.invoice()
    got = xero.get("Invoices", headers={"If-Modified-Since": since}).json()["Invoices"]
    assert [i["InvoiceID"] for i in got] == [new["InvoiceID"]]
    assert old["InvoiceID"] not in [i["InvoiceID"] for i in got]


def test_idempotency_key_replays_and_rejects_other_body(xero):
    key = {"Idempotency-Key": "psa-sync-1-invoice-1042"}
    first = xero.put("Invoices", {"Invoices": [invoice_body()]}, headers=key)
    second = xero.put("Invoices", {"Invoices": [invoice_body()]}, headers=key)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert len(xero.get("Invoices").json()["Invoices"]) == 1
    other = xero.put("Invoices", {"Invoices": [invoice_body(Reference="changed")]}, headers=key)
    assert other.status_code == 400
    assert "different request" in other.json()["Elements"][0]["ValidationErrors"][0]["Message"]


def test_idempotency_window_expires(xero, control):
    key = {"Idempotency-Key": "k-expire"}
    xero.put("Invoices", {"Invoices": [invoice_body()]}, headers=key)
    control.post("/clock/advance", json={"seconds": 361})
    xero.http.headers.clear()
    tokens = httpx.post(f"{xero.base}/_sandbox/tokens", json={}).json()
    xero.token = tokens["access_token"]
    xero.put("Invoices", {"Invoices": [invoice_body()]}, headers=key)
    assert len(xero.get("Invoices").json()["Invoices"]) == 2


def test_history_records(xero):
    inv = xero.invoice()
    added = xero.put(f"Invoices/{inv['InvoiceID']}/History",
                     {"HistoryRecords": [{"Details": "Synced from PSA #1042"}]})
    assert added.status_code == 200, added.text
    history = xero.get(f"Invoices/{inv['InvoiceID']}/History").json()["HistoryRecords"]
    assert [h["Changes"] for h in history] == ["Created", "Note"]


def test_unit_amounts_are_shown_to_the_requests_unitdp(xero):
    """Stored to 4 dp (created with unitdp=4); every answer rounds to 2 dp unless unitdp=4."""
    body = invoice_body(LineItems=[{"Description": "Fine-grained", "Quantity": 3,
                                    "UnitAmount": 12.3456, "AccountCode": "200",
                                    "TaxType": "OUTPUT2"}])
    created = xero.put("Invoices", {"Invoices": [body]}, params={"unitdp": 4}).json()["Invoices"][0]
    assert created["LineItems"][0]["UnitAmount"] == 12.3456
    assert created["LineItems"][0]["LineAmount"] == 37.04  # 3 x 12.3456, to the cent
    ident = created["InvoiceID"]
    plain = xero.get(f"Invoices/{ident}").json()["Invoices"][0]["LineItems"][0]
    assert plain["UnitAmount"] == 12.35 and plain["LineAmount"] == 37.04
    listed = xero.get("Invoices", params={"IDs": ident}).json()["Invoices"][0]["LineItems"][0]
    assert listed["UnitAmount"] == 12.35
    four = xero.get(f"Invoices/{ident}", params={"unitdp": 4}).json()["Invoices"][0]
    assert four["LineItems"][0]["UnitAmount"] == 12.3456
    note = xero.put("CreditNotes", {"CreditNotes": [dict(body, Type="ACCRECCREDIT")]},
                    params={"unitdp": 4}).json()["CreditNotes"][0]
    shown = xero.get(f"CreditNotes/{note['CreditNoteID']}").json()["CreditNotes"][0]
    assert shown["LineItems"][0]["UnitAmount"] == 12.35


def test_item_unit_prices_follow_unitdp(xero):
    item = {"Code": "FINE-1", "Name": "Fine", "SalesDetails": {"UnitPrice": 9.8765,
                                                               "AccountCode": "200"}}
    created = xero.put("Items", {"Items": [item]}, params={"unitdp": 4}).json()["Items"][0]
    assert created["SalesDetails"]["UnitPrice"] == 9.8765
    plain = xero.get(f"Items/{created['ItemID']}").json()["Items"][0]
    assert plain["SalesDetails"]["UnitPrice"] == 9.88
