"""Two-way sync hooks against the sandbox: ``list_sync_fields``, ``list_records`` (paging by id,
then If-Modified-Since) and ``push_record``, with records made by the accountant in Xero
through the provider state (the sandbox's own pages' rules)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal as D

import httpx

from host.contract.records import HOST_FIELDS, InboundCustomer, InboundInvoice, InboundItem
from host.integrations.provider_state import supports_two_way
from hookspecs import ClientData, GLAccountData, ServiceTypeData
from psa_xero.sandbox import UK_TENANT_ID
from psa_xero.sandbox.seed import sid


def _all(hook, connection, object: str, page_size: int = 100, cursor=None):
    """Every page of one listing: (records, pages, last cursor)."""
    records, pages = [], 0
    while True:
        page = hook(connection, "list_records", object=object, cursor=cursor,
                    page_size=page_size)
        records += page.records
        pages += 1
        cursor = page.cursor
        if not page.more:
            return records, pages, cursor


def _advance(xero_server, seconds: int = 60) -> None:
    httpx.post(f"{xero_server.url}/_sandbox/clock/advance",
               json={"seconds": seconds}).raise_for_status()


def test_the_provider_state_plays_the_accountant(provider_state):
    assert supports_two_way(provider_state)
    contact = provider_state.create_record("customer", {"name": "Nimbus Ltd",
                                                        "email": "ap@nimbus.example"})
    provider_state.edit_record("customer", contact, {"email": "billing@nimbus.example"})
    assert provider_state.held_record("customer", contact)["email"] == "billing@nimbus.example"
    item = provider_state.create_record("item", {"name": "Audit", "sku": "AUD-1",
                                                 "unit_price": D("99.50")})
    assert provider_state.held_record("item", item)["unit_price"] == D("99.50")
    provider_state.edit_record("item", item, {"active": False})
    assert provider_state.held_record("item", item)["active"] is False
    delivery = provider_state.change_delivery("customer", [contact], "update")
    body = json.loads(delivery.body)
    assert [(e["eventCategory"], e["eventType"], e["resourceId"]) for e in body["events"]] == [
        ("CONTACT", "UPDATE", contact)]


def test_sync_fields_pair_xero_fields_with_host_fields(connected_connection, hook):
    for object in ("customer", "item", "invoice"):
        fields = hook(connected_connection, "list_sync_fields", object=object)
        assert all(f.object == object and f.host_field in HOST_FIELDS[object] for f in fields)
    customer = hook(connected_connection, "list_sync_fields", object="customer")
    assert {(f.key, f.host_field, f.predefined) for f in customer} >= {
        ("Name", "name", True), ("EmailAddress", "billing_email", True),
        ("TaxNumber", "tax_number", False)}
    invoice = hook(connected_connection, "list_sync_fields", object="invoice")
    assert [(f.key, f.host_field, f.predefined) for f in invoice] == [
        ("DueDate", "due_date", True), ("Reference", "reference", False)]


def test_contacts_list_in_pages_by_id_then_only_what_changed(connected_connection, hook,
                                                             provider_state, xero_server):
    made = [provider_state.create_record("customer", {"name": f"Client {n:03d}",
                                                      "email": f"c{n}@example.com"})
            for n in range(230)]
    archived = made[7]
    provider_state.edit_record("customer", archived, {"active": False})
    _advance(xero_server)  # past the 5 s overlap the next pass re-reads
    records, pages, cursor = _all(hook, connected_connection, "customer")
    ids = [r.external_id for r in records]
    assert pages == 3 and len(ids) == len(set(ids)) and set(made) <= set(ids)
    assert all(isinstance(r, InboundCustomer) and not r.problem for r in records)
    by_id = {r.external_id: r for r in records}
    assert by_id[made[3]].billing_email == "c3@example.com" and not by_id[archived].active
    _advance(xero_server)
    provider_state.edit_record("customer", made[42], {"name": "Client 042 (renamed)"})
    _advance(xero_server)
    changed, pages, cursor = _all(hook, connected_connection, "customer", cursor=cursor)
    assert [(r.external_id, r.name) for r in changed] == [(made[42], "Client 042 (renamed)")]
    again, _, _ = _all(hook, connected_connection, "customer", cursor=cursor)
    assert again == []


def test_supplier_only_contacts_are_not_customers(connected_connection, hook, xero_server):
    from psa_xero.sandbox import UK_TENANT_ID

    sandbox = xero_server.sandbox
    with sandbox.state.lock:
        org = sandbox.state.org(UK_TENANT_ID)
        supplier = next(iter(org["contacts"].values()))
        supplier.update(IsSupplier=True, IsCustomer=False)
    records, _, _ = _all(hook, connected_connection, "customer")
    assert supplier["ContactID"] not in {r.external_id for r in records}


def test_items_page_by_id_with_price_account_and_sold_flag(connected_connection, hook,
                                                           provider_state, xero_server):
    made = provider_state.create_record("item", {"name": "Pen test", "sku": "PEN",
                                                 "unit_price": D("1200")})
    retired = provider_state.create_record("item", {"name": "Old", "sku": "OLD",
                                                    "unit_price": D("1")})
    provider_state.edit_record("item", retired, {"active": False})
    _advance(xero_server)
    records, pages, cursor = _all(hook, connected_connection, "item", page_size=2)
    ids = [r.external_id for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids) and pages == (len(ids) + 1) // 2
    assert all(isinstance(r, InboundItem) for r in records)
    assert [r.active for r in records if r.external_id == retired] == [False]
    pen = next(r for r in records if r.external_id == made)
    assert (pen.name, pen.sku, pen.unit_price, pen.income_account) == (
        "Pen test", "PEN", D("1200"), "200")
    consult = next(r for r in records if r.sku == "CONSULT")
    assert (consult.unit_price, consult.income_account) == (D("150"), "210")
    provider_state.edit_record("item", made, {"unit_price": D("1300")})
    _advance(xero_server)
    changed, _, _ = _all(hook, connected_connection, "item", page_size=2, cursor=cursor)
    assert [(r.external_id, r.unit_price) for r in changed] == [(made, D("1300"))]


def test_an_invoice_made_in_xero_lists_with_lines_tax_and_payments(
        connected_connection, hook, provider_state, set_mapping):
    set_mapping(connected_connection, "tax_type", 8020, "OUTPUT2")
    customer = provider_state.create_record("customer", {"name": "Orbit Co"})
    item = sid(UK_TENANT_ID, "item:CONSULT")
    invoice_id = provider_state.create_record("invoice", {
        "customer_id": customer, "issue_date": date(2026, 3, 2), "due_date": date(2026, 4, 1),
        "memo": "PO-1", "lines": [
            {"description": "Consulting", "quantity": D("3"), "unit_price": D("150"),
             "item_id": item, "taxed": True},
            {"description": "Travel", "quantity": D("1"), "unit_price": D("40"),
             "taxed": False}]})
    held = provider_state.documents("invoice")
    provider_state.record_payment(invoice_id, D("100.00"), date(2026, 3, 5))
    records, _, _ = _all(hook, connected_connection, "invoice")
    got = next(r for r in records if r.external_id == invoice_id)
    assert isinstance(got, InboundInvoice) and not got.problem
    assert (got.customer_external_id, got.status, got.issue_date, got.due_date,
            got.subtotal, got.tax_total, got.total, got.amount_due, dict(got.extra)) == (
        customer, "open", date(2026, 3, 2), date(2026, 4, 1), D("490.00"), D("90.00"),
        D("580.00"), D("480.00"), {"Reference": "PO-1"})
    assert [(li.item_external_id, li.quantity, li.unit_price, li.amount, li.tax_code,
             li.tax_amount) for li in got.lines] == [
        (item, D("3"), D("150"), D("450.00"), "OUTPUT2", D("90.00")),
        ("", D("1"), D("40"), D("40.00"), "NONE", D("0.00"))]
    assert [(p.kind, p.date, [(a.invoice_external_id, a.amount) for a in p.allocations])
            for p in got.payments] == [("payment", date(2026, 3, 5), [(invoice_id, D("100.00"))])]
    assert any(d.external_id == invoice_id for d in held)


def test_a_voided_invoice_lists_voided_and_drafts_list_as_drafts(connected_connection, hook,
                                                                 provider_state):
    customer = provider_state.create_record("customer", {"name": "Void Co"})
    invoice_id = provider_state.create_record("invoice", {
        "customer_id": customer, "issue_date": date(2026, 3, 2), "due_date": date(2026, 4, 1),
        "lines": [{"description": "X", "quantity": D("1"), "unit_price": D("10"),
                   "taxed": False}]})
    provider_state.edit_record("invoice", invoice_id, {"status": "voided"})
    records, _, _ = _all(hook, connected_connection, "invoice")
    assert next(r for r in records if r.external_id == invoice_id).status == "voided"


def test_push_record_creates_then_updates_a_contact_without_blanking(connected_connection, hook,
                                                                    provider_state):
    client = ClientData(id=501, name="Lumen Labs", billing_email="ap@lumen.example",
                        billing_contact_name="Grace Hopper", tax_number="GB999")
    first = hook(connected_connection, "push_record", object="customer", record=client,
                 idempotency_key="c-501-1")
    held = provider_state.held_record("customer", first.external_id)
    assert (held["name"], held["email"], held["tax_number"]) == (
        "Lumen Labs", "ap@lumen.example", "GB999")
    assert "shortcode=!uK7dA&redirecturl=/Contacts/View/" + first.external_id in first.deep_link
    switched_off = ClientData(id=501, name="Lumen Labs Ltd", billing_email="",
                              fields={"TaxNumber": "GB111"})
    second = hook(connected_connection, "push_record", object="customer", record=switched_off,
                  idempotency_key="c-501-2")
    held = provider_state.held_record("customer", second.external_id)
    assert second.external_id == first.external_id
    assert (held["name"], held["email"], held["tax_number"]) == (
        "Lumen Labs Ltd", "ap@lumen.example", "GB111")
    replay = hook(connected_connection, "push_record", object="customer", record=switched_off,
                  idempotency_key="c-501-2")
    assert replay.external_id == first.external_id


def test_push_record_creates_then_updates_an_item_keeping_xeros_tax_type(
        connected_connection, hook, provider_state, set_mapping, xero_server):
    set_mapping(connected_connection, "account", 77, "210")
    service = ServiceTypeData(id=31, name="Retainer", sku="RET-1", unit_price=D("900.00"),
                              description="Monthly", income_account=GLAccountData(
                                  id=77, name="Consulting", code="4000"))
    made = hook(connected_connection, "push_record", object="item", record=service,
                idempotency_key="s-31-1")
    held = provider_state.held_record("item", made.external_id)
    assert (held["name"], held["sku"], held["unit_price"], held["description"]) == (
        "Retainer", "RET-1", D("900.00"), "Monthly")
    with xero_server.sandbox.state.lock:
        stored = xero_server.sandbox.state.org(UK_TENANT_ID)["items"][made.external_id]
        stored["SalesDetails"]["TaxType"] = "OUTPUT2"
    cheaper = ServiceTypeData(id=31, name="Retainer", sku="", unit_price=D("850.00"))
    again = hook(connected_connection, "push_record", object="item", record=cheaper,
                 idempotency_key="s-31-2")
    assert again.external_id == made.external_id
    with xero_server.sandbox.state.lock:
        stored = xero_server.sandbox.state.org(UK_TENANT_ID)["items"][made.external_id]
        assert (stored["SalesDetails"]["UnitPrice"], stored["SalesDetails"]["TaxType"],
                stored["SalesDetails"]["AccountCode"], stored["Description"]) == (
            850.0, "OUTPUT2", "210", "Monthly")


def _item_downloads(xero_server) -> int:
    """How many times the sandbox answered ``GET /Items`` since its request log was cleared."""
    log = httpx.get(f"{xero_server.url}/_sandbox/requests",
                    params={"path": "/api.xro/2.0/Items", "method": "GET"}).json()["requests"]
    return len([e for e in log if e["path"].rstrip("/").endswith("/Items")])


def test_items_are_downloaded_once_per_pass_not_once_per_page(connected_connection, hook,
                                                              provider_state, xero_server):
    for n in range(5):
        provider_state.create_record("item", {"name": f"Kit {n}", "sku": f"KIT-{n}",
                                              "unit_price": D("10")})
    _advance(xero_server)
    httpx.delete(f"{xero_server.url}/_sandbox/requests").raise_for_status()
    records, pages, cursor = _all(hook, connected_connection, "item", page_size=2)
    assert pages >= 4 and len({r.external_id for r in records}) == len(records)
    assert _item_downloads(xero_server) == 1
    provider_state.create_record("item", {"name": "Kit late", "sku": "KIT-L",
                                          "unit_price": D("11")})
    _advance(xero_server)
    changed, _, _ = _all(hook, connected_connection, "item", page_size=2, cursor=cursor)
    assert [r.sku for r in changed] == ["KIT-L"]  # the next pass downloads again
    assert _item_downloads(xero_server) == 2


def test_a_worker_restarted_mid_pass_downloads_the_items_once_more(connected_connection, hook,
                                                                   provider_state, xero_server):
    import importlib

    from psa_xero import items_pass

    for n in range(5):
        provider_state.create_record("item", {"name": f"Kit {n}", "sku": f"KIT-{n}",
                                              "unit_price": D("10")})
    _advance(xero_server)
    whole, _, _ = _all(hook, connected_connection, "item", page_size=100)
    httpx.delete(f"{xero_server.url}/_sandbox/requests").raise_for_status()
    first = hook(connected_connection, "list_records", object="item", cursor=None, page_size=2)
    importlib.reload(items_pass)  # a fresh worker process: nothing kept in memory
    rest, _, _ = _all(hook, connected_connection, "item", page_size=2, cursor=first.cursor)
    listed = [r.external_id for r in (*first.records, *rest)]
    assert listed == [r.external_id for r in whole]
    assert _item_downloads(xero_server) == 2
