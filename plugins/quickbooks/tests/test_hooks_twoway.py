"""Two-way sync hooks against the sandbox over real HTTP: list_sync_fields, list_records
(listing, then change data capture), push_record, and the invoice push's per-push email choice
and custom fields. Records are made the way an accountant makes them: on the sandbox's pages."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from decimal import Decimal

import httpx

from hookspecs import ClientData, GLAccountData, ServiceTypeData
from psa_quickbooks.sandbox import US_REALM
from qbo_testkit import SALES_TAX, make_invoice


def _all_pages(hook, conn, object, page_size, cursor=None):
    """Every record of a listing, page by page, and the cursor after the last page."""
    records, pages = [], 0
    while True:
        page = hook(conn, "list_records", object=object, cursor=cursor, page_size=page_size)
        records.extend(page.records)
        cursor, pages = page.cursor, pages + 1
        assert pages < 50
        if not page.more:
            return records, cursor


def _saved_id(response) -> str:
    assert response.status_code == 302, response.text
    return re.search(r"(\d+) saved", httpx.URL(response.headers["location"]).params["message"]
                     ).group(1)


def _new_customer(qbo, **data) -> str:
    return _saved_id(qbo.http.post(f"/company/{US_REALM}/customers/new", data=data))


def _new_invoice(qbo, **data) -> str:
    r = qbo.http.post(f"/company/{US_REALM}/invoices/new", data=data)
    assert r.status_code == 302, r.text
    return r.headers["location"].rstrip("/").split("/")[-1]


# -- list_sync_fields ------------------------------------------------------------------------------


def test_hook_list_sync_fields_offers_the_companys_custom_fields(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    customer = {f.key: f for f in hook(conn, "list_sync_fields", object="customer")}
    assert customer["DisplayName"].host_field == "name" and customer["DisplayName"].predefined
    assert customer["PrimaryTaxIdentifier"].directions == ("out",)
    assert not customer["PrimaryTaxIdentifier"].predefined
    invoice = {f.key: f for f in hook(conn, "list_sync_fields", object="invoice")}
    assert invoice["CustomerMemo"].host_field == "memo"
    assert invoice["CustomField:1"].label == "PO Number (custom field 1)"
    assert invoice["CustomField:1"].host_field == "reference"  # a PO-like name suggests it
    assert invoice["CustomField:2"].host_field == "" and "CustomField:3" not in invoice
    items = {f.key: f.host_field for f in hook(conn, "list_sync_fields", object="item")}
    assert items == {"Name": "name", "Sku": "sku", "UnitPrice": "unit_price",
                     "Description": "description", "IncomeAccountRef": "income_account"}


# -- list_records ----------------------------------------------------------------------------------


def test_hook_list_records_lists_every_customer_once_then_follows_changes(qbo, qbo_connection,
                                                                          hook):
    conn = qbo_connection("us")
    records, cursor = _all_pages(hook, conn, "customer", page_size=2)
    names = sorted(r.name for r in records)
    assert names == ["Acme Ltd", "Adam's Candy Shop", "Globex Corporation", "Initech (closed)"]
    assert len({r.external_id for r in records}) == 4
    closed = next(r for r in records if r.name == "Initech (closed)")
    assert closed.active is False and closed.version == "0"
    acme = next(r for r in records if r.name == "Acme Ltd")
    assert acme.billing_email == "ap@acme.example" and acme.currency == "USD"

    qbo.control("POST", "clock/advance", json={"seconds": 600})
    ident = _new_customer(qbo, display_name="Hooli", email="ap@hooli.example",
                          given_name="Gavin", family_name="Belson")
    changed, cursor = _all_pages(hook, conn, "customer", page_size=50, cursor=cursor)
    # the pass re-reads a minute before the listing began (servers' clocks differ): the
    # seeded customers come again, the host applies them once
    assert (ident, "Hooli", "Gavin Belson") in [
        (r.external_id, r.name, r.billing_contact_name) for r in changed]
    qbo.control("POST", "clock/advance", json={"seconds": 600})
    qbo.http.post(f"/company/{US_REALM}/customers/{ident}/edit",
                  data={"display_name": "Hooli", "email": "ap@hooli.example"})  # inactive now
    changed, _ = _all_pages(hook, conn, "customer", page_size=50, cursor=cursor)
    assert [(r.external_id, r.name, r.active) for r in changed] == [(ident, "Hooli", False)]


def test_hook_list_records_pages_changes_by_the_hosts_page_size(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    _, cursor = _all_pages(hook, conn, "customer", page_size=100)
    qbo.control("POST", "clock/advance", json={"seconds": 600})
    made = [_new_customer(qbo, display_name=f"Client {n}") for n in range(5)]
    changed, _ = _all_pages(hook, conn, "customer", page_size=2, cursor=cursor)
    seen = [r.external_id for r in changed]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))


def test_hook_list_records_items_skip_categories_and_keep_sku_and_price(qbo, qbo_connection,
                                                                        hook):
    conn = qbo_connection("us")
    r = qbo.http.post(f"/company/{US_REALM}/products/new", data={
        "name": "Backup", "sku": "BK-1", "type": "Service", "unit_price": "49.50",
        "income_account": "2"})
    assert r.status_code == 302, r.text
    records, _ = _all_pages(hook, conn, "item", page_size=3)
    by_name = {i.name: i for i in records}
    assert "Professional Services" not in by_name  # a category
    assert by_name["Backup"].sku == "BK-1" and by_name["Backup"].unit_price == Decimal("49.5")
    assert by_name["Backup"].income_account == "2"
    assert by_name["Legacy Support"].active is False


def test_hook_list_records_invoice_with_tax_custom_field_and_payment(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    ident = _new_invoice(qbo, customer="1", txn_date="2026-11-02", due_date="2026-12-02",
                         memo="Thanks", custom_1="PO-7",
                         **{"line-1-item": "2", "line-1-description": "Consulting",
                            "line-1-qty": "10", "line-1-rate": "150", "line-1-tax": "on",
                            "line-2-item": "3", "line-2-qty": "1", "line-2-rate": "80"})
    r = qbo.http.post(f"/company/{US_REALM}/invoices/{ident}/payments", data={"amount": "1700"})
    assert r.status_code == 302
    records, _ = _all_pages(hook, conn, "invoice", page_size=10)
    (inv,) = [i for i in records if i.external_id == ident]
    assert not inv.problem
    assert (inv.customer_external_id, inv.currency, inv.memo) == ("1", "USD", "Thanks")
    assert inv.extra == {"CustomField:1": "PO-7"}
    assert (inv.subtotal, inv.tax_total, inv.total) == (Decimal("1580.00"), Decimal("120.00"),
                                                        Decimal("1700.00"))
    consulting, travel = inv.lines
    assert (consulting.quantity, consulting.unit_price, consulting.amount) == (
        Decimal("10"), Decimal("150"), Decimal("1500.00"))
    assert consulting.item_external_id == "2" and consulting.tax_percent == Decimal("8")
    assert consulting.tax_code and travel.tax_code == "" and travel.tax_percent is None
    assert inv.status == "paid" and inv.amount_due == Decimal("0.00")
    (payment,) = inv.payments
    assert [(a.invoice_external_id, a.amount) for a in payment.allocations] == [
        (ident, Decimal("1700.00"))]


def test_hook_list_records_voided_and_deleted_invoices(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    kept = _new_invoice(qbo, customer="1", **{"line-1-item": "3", "line-1-rate": "80"})
    gone = _new_invoice(qbo, customer="1", **{"line-1-item": "3", "line-1-rate": "90"})
    _, cursor = _all_pages(hook, conn, "invoice", page_size=10)
    qbo.control("POST", "clock/advance", json={"seconds": 600})
    qbo.http.post(f"/company/{US_REALM}/invoices/{kept}/void")
    token = qbo.tokens(US_REALM)["access_token"]
    current = qbo.entity(US_REALM, "Invoice", gone)
    deleted = qbo.http.post(f"/v3/company/{US_REALM}/invoice", params={"operation": "delete"},
                            json={"Id": gone, "SyncToken": current["SyncToken"]},
                            headers={"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"})
    assert deleted.status_code == 200, deleted.text
    changed, _ = _all_pages(hook, conn, "invoice", page_size=10, cursor=cursor)
    assert {r.external_id: r.status for r in changed} == {kept: "voided", gone: "deleted"}


def test_hook_list_records_a_watermark_beyond_30_days_lists_everything_again(qbo, qbo_connection,
                                                                             hook):
    conn = qbo_connection("us")
    old = json.dumps({"mode": "cdc", "since": "2020-01-01T00:00:00+00:00"})
    page = hook(conn, "list_records", object="customer", cursor=old, page_size=100)
    assert len(page.records) == 4 and json.loads(page.cursor)["mode"] == "cdc"


# -- push_record -----------------------------------------------------------------------------------


def test_hook_push_record_customer_created_once_then_sparse_updates(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    client = ClientData(id=71, name="Hooli", billing_contact_name="Gavin Belson",
                        billing_email="ap@hooli.example",
                        fields={"PrimaryTaxIdentifier": "12-3456789"})
    first = hook(conn, "push_record", object="customer", record=client, idempotency_key="k1")
    again = hook(conn, "push_record", object="customer", record=client, idempotency_key="k1")
    assert first.external_id == again.external_id
    hooli = [c for c in qbo.entities(US_REALM, "Customer") if c["DisplayName"] == "Hooli"]
    assert len(hooli) == 1 and hooli[0]["PrimaryTaxIdentifier"] == "12-3456789"
    assert hooli[0]["GivenName"] == "Gavin"
    edited = replace(client, billing_email="", billing_contact_name="Gavin Belson",
                     name="Hooli XYZ", fields={})  # email switched off: arrives empty
    result = hook(conn, "push_record", object="customer", record=edited, idempotency_key="k2")
    stored = qbo.entity(US_REALM, "Customer", first.external_id)
    assert stored["DisplayName"] == "Hooli XYZ" and result.version == stored["SyncToken"]
    assert stored["PrimaryEmailAddr"]["Address"] == "ap@hooli.example"  # not blanked
    assert stored["PrimaryTaxIdentifier"] == "12-3456789"


def test_hook_push_record_customer_matches_an_existing_one_by_email(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    client = ClientData(id=72, name="ACME", billing_email="ap@acme.example")
    result = hook(conn, "push_record", object="customer", record=client, idempotency_key="k")
    assert result.external_id == "1"  # Acme Ltd, found by its billing email
    assert qbo.entity(US_REALM, "Customer", "1")["DisplayName"] == "ACME"


def test_hook_push_record_item_created_with_the_default_account_then_updated(
        qbo, qbo_connection, hook, db):
    from host.models.external_ref import ConnectionMapping

    conn = qbo_connection("us")
    st = ServiceTypeData(id=81, name="Backup", sku="BK-1", unit_price=Decimal("49.50"),
                         description="Nightly backup")
    created = hook(conn, "push_record", object="item", record=st, idempotency_key="i1")
    item = qbo.entity(US_REALM, "Item", created.external_id)
    assert (item["Type"], item["Sku"], item["UnitPrice"]) == ("Service", "BK-1", 49.5)
    default_account = qbo.entity(US_REALM, "Item", "2")["IncomeAccountRef"]["value"]
    assert item["IncomeAccountRef"]["value"] == default_account
    db.session.add(ConnectionMapping(connection_id=conn.id, kind="account", host_id="40",
                                     external_id="3"))
    db.session.commit()
    moved = replace(st, unit_price=Decimal("55"), description="",
                    income_account=GLAccountData(id=40, code="4010", name="Products"))
    hook(conn, "push_record", object="item", record=moved, idempotency_key="i2")
    item = qbo.entity(US_REALM, "Item", created.external_id)
    assert (item["UnitPrice"], item["IncomeAccountRef"]["value"]) == (55, "3")
    assert item["Description"] == "Nightly backup"  # sent empty: kept
    assert len([i for i in qbo.entities(US_REALM, "Item") if i["Name"] == "Backup"]) == 1


# -- the invoice push ------------------------------------------------------------------------------


def test_hook_on_invoice_sent_emails_when_asked_and_writes_custom_fields(qbo, qbo_connection,
                                                                         hook, org):
    conn = qbo_connection("us", settings={"auto_send": False})
    invoice = replace(make_invoice(tax_rate=SALES_TAX), send_email=True,
                      fields={"CustomField:1": "PO-42", "CustomField:2": ""})
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="inv-1")
    stored = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert result.emailed and stored["EmailStatus"] == "EmailSent"
    assert [(f["DefinitionId"], f["StringValue"]) for f in stored["CustomField"]] == [
        ("1", "PO-42")]
    quiet = replace(make_invoice(id=2, number="INV-0002"), send_email=False)
    other_unit = qbo_connection("us", settings={"auto_send": True},
                                business_unit_id=org.business_unit_ids[1])
    result = hook(other_unit, "on_invoice_sent", invoice=quiet, idempotency_key="inv-2")
    assert not result.emailed
    assert qbo.entity(US_REALM, "Invoice", result.external_id)["EmailStatus"] == "NotSet"


def test_hook_test_connection_warns_about_revenue_recognition(qbo, qbo_connection, hook):
    qbo.preferences(US_REALM, {"ProductAndServicesPrefs": {"RevenueRecognitionEnabled": True},
                               "AccountingInfoPrefs": {"BookCloseDate": "2020-12-31"}})
    result = hook(qbo_connection("us"), "test_connection", write_check=False)
    checks = {c.name: c for c in result.checks}
    assert checks["Revenue recognition"].status == "warn"
    assert "service date" in checks["Revenue recognition"].fix
    assert checks["Closed books"].status == "pass"


def test_hook_list_records_more_changes_than_cdc_answers_fall_back_to_queries(qbo,
                                                                             qbo_connection,
                                                                             hook):
    conn = qbo_connection("us")
    _, cursor = _all_pages(hook, conn, "customer", page_size=1000)
    qbo.control("POST", "clock/advance", json={"seconds": 600})
    made = qbo.control("POST", f"companies/{US_REALM}/entities/Customer", json=[
        {"DisplayName": f"Changed {n:04d}"} for n in range(1001)]).json()["ids"]
    first = hook(conn, "list_records", object="customer", cursor=cursor, page_size=400)
    assert json.loads(first.cursor)["mode"] == "scan" and first.more  # CDC answered 1,000
    changed, after = _all_pages(hook, conn, "customer", page_size=400, cursor=first.cursor)
    seen = [r.external_id for r in (*first.records, *changed)]
    assert set(made) <= set(seen) and len(seen) == len(set(seen))
    assert json.loads(after)["mode"] == "cdc"


# -- requests per page -----------------------------------------------------------------------------


def _company_reads(qbo) -> int:
    """How many times the sandbox answered CompanyInfo or Preferences since the log was
    cleared."""
    return len(qbo.requests("companyinfo")) + len(qbo.requests("preferences"))


def test_hook_list_records_reads_the_company_once_per_invoice_pass(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    for rate in ("80", "90", "100", "110", "120"):
        _new_invoice(qbo, customer="1", **{"line-1-item": "3", "line-1-rate": rate})
    qbo.control("DELETE", "requests")
    records, cursor = _all_pages(hook, conn, "invoice", page_size=2)
    pages = len(qbo.requests("query"))
    assert pages >= 3 and len({r.external_id for r in records}) == len(records)
    assert all(r.currency == "USD" and not r.problem for r in records)
    assert _company_reads(qbo) == 2  # CompanyInfo + Preferences, for the whole pass
    qbo.control("POST", "clock/advance", json={"seconds": 600})
    _new_invoice(qbo, customer="1", **{"line-1-item": "3", "line-1-rate": "130"})
    changed, _ = _all_pages(hook, conn, "invoice", page_size=2, cursor=cursor)
    assert len(changed) == 1 and _company_reads(qbo) == 4  # the next pass reads it again


def test_hook_list_records_non_us_tax_codes_are_read_once_per_pass(qbo, qbo_connection, hook):
    from psa_quickbooks.sandbox import UK_REALM
    conn = qbo_connection("uk")
    token = qbo.tokens(UK_REALM)["access_token"]
    (consulting,) = [i["Id"] for i in qbo.entities(UK_REALM, "Item") if i["Name"] == "Consulting"]
    (vat,) = [c["Id"] for c in qbo.entities(UK_REALM, "TaxCode") if c["Name"] == "20.0% S"]
    for amount in ("80", "90", "100", "110", "120"):
        made = qbo.http.post(f"/v3/company/{UK_REALM}/invoice", json={
            "CustomerRef": {"value": "1"}, "Line": [{
                "DetailType": "SalesItemLineDetail", "Amount": amount,
                "SalesItemLineDetail": {"ItemRef": {"value": consulting},
                                        "TaxCodeRef": {"value": vat}}}]},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
        assert made.status_code == 200, made.text
    qbo.control("POST", "clock/advance", json={"seconds": 60})  # past the per-second limit
    qbo.control("DELETE", "requests")
    records, _ = _all_pages(hook, conn, "invoice", page_size=2)
    assert len(records) >= 5 and all(not r.problem for r in records)
    assert _company_reads(qbo) == 2
    tax_queries = [e for e in qbo.requests("query")
                   if "TaxCode" in e["query"] or "TaxRate" in e["query"]]
    assert len(tax_queries) == 2  # TaxRate and TaxCode, for the whole pass


def test_hook_list_records_a_cursor_carrying_an_unreadable_company_reads_it_again(
        qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    _new_invoice(qbo, customer="1", **{"line-1-item": "3", "line-1-rate": "80"})
    _new_invoice(qbo, customer="1", **{"line-1-item": "3", "line-1-rate": "90"})
    first = hook(conn, "list_records", object="invoice", cursor=None, page_size=1)
    state = json.loads(first.cursor)
    assert first.more and state["co"] == {"non_us": False, "home": "USD"}
    qbo.control("DELETE", "requests")
    state["co"] = {"non_us": "no", "home": ["USD"], "rates": {"3": "NaN"}}
    page = hook(conn, "list_records", object="invoice", cursor=json.dumps(state), page_size=1)
    assert page.records and page.records[0].currency == "USD"
    assert _company_reads(qbo) == 2
