"""Two-way sync hooks of the fake provider, over real HTTP through the host's dispatch.

``list_sync_fields``, ``list_records`` (paging by id, then the change feed) and
``push_record`` (create, then update the same record; never blank a value), plus what
``on_invoice_sent`` does with ``send_email`` and ``fields``. The shared suite's two-way
scenarios (``host.integrations.contract_suite.twoway``) check the same contract in the
provider's words; these pin the fake ledger's own details.
"""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fakeledger
from hookspecs import (HOST_FIELDS, ClientData, InboundCustomer, InboundInvoice, InboundItem,
                       InvoiceData, LineData, RecordPage, ServiceTypeData, SyncField)
from host.integrations.dispatch import call_owner

LEDGER = fakeledger.LEDGER


@pytest.fixture
def conn(connection_factory):
    """A connection to the fake ledger's tenant ``t-1`` (automatic emailing off)."""
    with LEDGER.lock:
        tokens = LEDGER.issue_tokens()
    return connection_factory(tokens=tokens, settings={"default_item": "1", "auto_send": False})


def listing(conn, object, page_size=100, cursor=None):
    """Every page from ``cursor`` to the last; returns (records, last cursor)."""
    records = []
    while True:
        page = call_owner(conn, "list_records", object=object, cursor=cursor,
                          page_size=page_size)
        assert isinstance(page, RecordPage) and len(page.records) <= page_size
        records.extend(page.records)
        cursor = page.cursor
        if not page.more:
            return records, cursor


def test_hook_list_sync_fields_declares_predefined_pairs_and_extras(conn):
    for object in ("customer", "item", "invoice"):
        fields = call_owner(conn, "list_sync_fields", object=object)
        assert all(isinstance(f, SyncField) and f.object == object for f in fields)
        assert {f.host_field for f in fields} <= set(HOST_FIELDS[object])
        assert call_owner(conn, "list_sync_fields", object=object) == fields  # stable keys
    customer = {f.key: f for f in call_owner(conn, "list_sync_fields", object="customer")}
    assert customer["tax_id"].predefined is False and customer["tax_id"].host_field == "tax_number"
    assert customer["email"].host_field == "billing_email" and customer["email"].predefined
    invoice = {f.key: f for f in call_owner(conn, "list_sync_fields", object="invoice")}
    assert invoice["po_number"].host_field == "reference" and not invoice["po_number"].predefined


def test_hook_list_records_maps_customers_items_and_invoices(conn):
    cid = LEDGER.create_record("customer", {"name": "Acme", "email": "ap@acme.test",
                                            "contact": "Wile", "tax_id": "GB-1"})
    iid = LEDGER.create_record("item", {"name": "Audit", "sku": "AUD", "unit_price": "90.00",
                                        "income_account": "410"})
    inv = LEDGER.create_record("invoice", {
        "customer": cid, "issue_date": "2026-11-01", "due_date": "2026-12-01",
        "po_number": "PO-7", "memo": "Thanks",
        "lines": [{"item": iid, "description": "Audit", "quantity": "3", "unit_price": "90",
                   "tax_code": "TAX"},
                  {"item": "1", "description": "Travel", "quantity": "1", "unit_price": "12.5"}]})
    customers, _ = listing(conn, "customer")
    assert customers == [c for c in customers if isinstance(c, InboundCustomer)]
    (acme,) = [c for c in customers if c.external_id == cid]
    assert (acme.name, acme.billing_email, acme.billing_contact_name, acme.extra) == (
        "Acme", "ap@acme.test", "Wile", {"tax_id": "GB-1"})
    items, _ = listing(conn, "item")
    (audit,) = [i for i in items if isinstance(i, InboundItem) and i.external_id == iid]
    assert (audit.sku, audit.unit_price, audit.income_account) == ("AUD", Decimal("90.00"), "410")
    (invoice,) = listing(conn, "invoice")[0]
    assert isinstance(invoice, InboundInvoice) and invoice.external_id == inv
    assert invoice.customer_external_id == cid and invoice.extra == {"po_number": "PO-7"}
    assert [(line.quantity, line.amount, line.tax_code, line.tax_percent)
            for line in invoice.lines] == [(Decimal("3"), Decimal("270.00"), "TAX", Decimal("20")),
                                           (Decimal("1"), Decimal("12.50"), "", None)]
    assert (invoice.subtotal, invoice.tax_total, invoice.total) == (
        Decimal("282.50"), Decimal("54.00"), Decimal("336.50"))
    assert invoice.status == "open" and invoice.memo == "Thanks"


def test_hook_list_records_pages_then_follows_the_change_feed(conn):
    ids = [LEDGER.create_record("customer", {"name": f"C{n}"}) for n in range(7)]
    records, cursor = listing(conn, "customer", page_size=3)
    assert [r.external_id for r in records] == ids  # once each, by id
    assert listing(conn, "customer", cursor=cursor)[0] == []
    LEDGER.edit_record("customer", ids[4], {"email": "new@c4.test"})
    LEDGER.edit_record("customer", ids[1], {"active": False})
    changed, cursor = listing(conn, "customer", page_size=1, cursor=cursor)
    assert [(r.external_id, r.active) for r in changed] == [(ids[4], True), (ids[1], False)]
    assert changed[0].version != records[4].version
    assert listing(conn, "customer", cursor=cursor)[0] == []


def test_hook_list_records_sees_a_change_made_while_it_pages(conn):
    ids = [LEDGER.create_record("item", {"name": f"I{n}", "sku": f"S{n}"}) for n in range(4)]
    first = call_owner(conn, "list_records", object="item", cursor=None, page_size=2)
    LEDGER.edit_record("item", ids[0], {"unit_price": "5"})  # already listed
    rest, cursor = listing(conn, "item", page_size=2, cursor=first.cursor)
    again, _ = listing(conn, "item", cursor=cursor)
    assert [(i.external_id, i.unit_price) for i in again] == [(ids[0], Decimal("5"))]


def test_hook_list_records_reports_an_unreadable_invoice_as_a_problem(conn):
    cid = LEDGER.create_record("customer", {"name": "Acme"})
    inv = LEDGER.create_record("invoice", {"customer": cid, "issue_date": "2026-11-01",
                                           "lines": [{"description": "x", "quantity": "1",
                                                      "unit_price": "1"}]})
    LEDGER.documents[inv]["lines"][0]["quantity"] = "n/a"
    (record,) = listing(conn, "invoice")[0]
    assert record.external_id == inv and "cannot be read" in record.problem


def test_hook_list_records_lists_voided_and_paid_invoices(conn):
    cid = LEDGER.create_record("customer", {"name": "Acme"})
    line = [{"description": "x", "quantity": "2", "unit_price": "10"}]
    voided = LEDGER.create_record("invoice", {"customer": cid, "issue_date": "2026-11-01",
                                              "lines": line})
    paid = LEDGER.create_record("invoice", {"customer": cid, "issue_date": "2026-11-01",
                                            "lines": line})
    LEDGER.edit_record("invoice", voided, {"voided": True})
    LEDGER.record_payment(paid, Decimal("20.00"))
    by_id = {r.external_id: r for r in listing(conn, "invoice")[0]}
    assert by_id[voided].status == "voided" and by_id[paid].status == "paid"
    assert [p.allocations[0].amount for p in by_id[paid].payments] == [Decimal("20.00")]
    assert by_id[paid].amount_due == 0


def test_hook_push_record_creates_then_updates_the_same_customer(conn):
    client = ClientData(id=9, name="Globex", billing_email="ap@globex.test",
                        fields={"tax_id": "DE-9"})
    first = call_owner(conn, "push_record", object="customer", record=client,
                       idempotency_key="c-9-1")
    again = call_owner(conn, "push_record", object="customer", record=client,
                       idempotency_key="c-9-1")
    assert again.external_id == first.external_id and len(LEDGER.customers) == 1
    edited = replace(client, billing_email="", billing_contact_name="Hank", fields={})
    third = call_owner(conn, "push_record", object="customer", record=edited,
                       idempotency_key="c-9-2")
    held = LEDGER.customers[first.external_id]
    assert third.external_id == first.external_id and third.version != first.version
    assert (held["email"], held["contact"], held["tax_id"]) == ("ap@globex.test", "Hank", "DE-9")


def test_hook_push_record_links_an_item_by_sku_and_keeps_blank_fields(conn):
    iid = LEDGER.create_record("item", {"name": "Old name", "sku": "CON-1",
                                        "description": "kept"})
    service = ServiceTypeData(id=4, name="Consulting hours", sku="CON-1",
                              unit_price=Decimal("120.00"))
    result = call_owner(conn, "push_record", object="item", record=service,
                        idempotency_key="i-4-1")
    assert result.external_id == iid
    assert (LEDGER.items[iid]["name"], LEDGER.items[iid]["unit_price"],
            LEDGER.items[iid]["description"]) == ("Consulting hours", "120.00", "kept")


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=60).filter(str.strip),
       email=st.text(max_size=40))
def test_hook_push_record_then_list_records_round_trips_any_text(conn, name, email):
    client = ClientData(id=11, name=name, billing_email=email)
    result = call_owner(conn, "push_record", object="customer", record=client,
                        idempotency_key=f"rt-{hash((name, email))}")
    records, _ = listing(conn, "customer")
    (mine,) = [r for r in records if r.external_id == result.external_id]
    assert mine.name == name and mine.billing_email == (email or mine.billing_email)


def test_hook_on_invoice_sent_honours_send_email_and_extra_fields(conn):
    invoice = InvoiceData(
        id=3, number="INV-3", status="sent", currency="USD", issue_date=date(2026, 11, 2),
        due_date=date(2026, 12, 2), client=ClientData(id=5, name="Initech"),
        lines=(LineData(id=1, description="Support", quantity=Decimal("2"),
                        unit_price=Decimal("50"), amount=Decimal("100.00")),),
        subtotal=Decimal("100"), tax_total=Decimal("0"), total=Decimal("100"),
        send_email=True, fields={"po_number": "PO-42"})
    result = call_owner(conn, "on_invoice_sent", invoice=invoice, idempotency_key="inv-3")
    assert result.emailed and LEDGER.documents[result.external_id]["emailed"]
    (listed,) = listing(conn, "invoice")[0]
    assert listed.extra == {"po_number": "PO-42"}
    conn.settings = {**conn.settings, "auto_send": True}
    quiet = replace(invoice, id=4, number="INV-4", send_email=False, fields={})
    result = call_owner(conn, "on_invoice_sent", invoice=quiet, idempotency_key="inv-4")
    assert not result.emailed and not LEDGER.documents[result.external_id]["emailed"]
