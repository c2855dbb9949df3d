"""``psa_xero.mappers.inbound``: Xero JSON -> the host's inbound records. Whatever Xero (or
something pretending to be it) sends, a record maps or comes back with ``problem`` set; the
mappers never raise, and what they keep is bounded text and exact money."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psa_xero.mappers import inbound
from psa_xero.records import format_cursor, parse_cursor

CONTACT_ID = "5b96e86b-418e-48e8-8949-308c14aec278"
INVOICE_ID = "243216c5-369e-4056-ac67-05388f86dc81"

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | \
    st.text(max_size=300)
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4),
                           max_leaves=12)
INVOICE_KEYS = ("InvoiceID", "Type", "Status", "LineAmountTypes", "CurrencyCode", "Reference",
                "Contact", "Date", "DateString", "DueDate", "LineItems", "SubTotal", "TotalTax",
                "Total", "AmountDue", "UpdatedDateUTC", "Payments", "CreditNotes",
                "InvoiceNumber")
LINE_KEYS = ("Description", "Quantity", "UnitAmount", "LineAmount", "TaxAmount", "TaxType",
             "AccountCode", "Item")
hostile_lines = st.lists(st.fixed_dictionaries({}, optional={k: json_values for k in LINE_KEYS}),
                         max_size=3) | json_values
hostile_invoices = st.fixed_dictionaries({}, optional={
    **{k: json_values for k in INVOICE_KEYS}, "LineItems": hostile_lines})
hostile_contacts = st.fixed_dictionaries({}, optional={k: json_values for k in (
    "ContactID", "Name", "EmailAddress", "FirstName", "LastName", "TaxNumber", "ContactStatus",
    "UpdatedDateUTC", "DefaultCurrency")}) | json_values
hostile_items = st.fixed_dictionaries({}, optional={k: json_values for k in (
    "ItemID", "Name", "Code", "Description", "SalesDetails", "UpdatedDateUTC")}) | json_values

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _bounded(record) -> None:
    for name in ("name", "billing_email", "billing_contact_name", "tax_number", "sku",
                 "description", "number", "external_id", "income_account"):
        value = getattr(record, name, "")
        assert isinstance(value, str) and len(value) <= 4000


@SETTINGS
@given(hostile_contacts)
def test_any_contact_maps_or_waits_with_a_reason(raw):
    record = inbound.customer(raw)
    _bounded(record)
    assert record.problem or isinstance(record.name, str)


@SETTINGS
@given(hostile_items)
def test_any_item_maps_or_waits_with_a_reason(raw):
    record = inbound.item(raw)
    _bounded(record)
    assert record.problem or record.unit_price is None or record.unit_price.is_finite()


@SETTINGS
@given(hostile_invoices)
def test_any_invoice_maps_or_waits_with_a_reason(raw):
    record = inbound.invoice(raw)
    _bounded(record)
    if record.problem:
        assert record.lines == () and record.status == "open"
        return
    assert record.status in ("draft", "open", "paid", "voided", "deleted")
    for line in record.lines:
        assert line.amount == line.amount.quantize(D("0.01"))
        assert line.tax_amount is not None and line.tax_amount.is_finite()


def _invoice(amount_type: str, lines: list[dict], **extra) -> dict:
    return {"InvoiceID": INVOICE_ID, "Type": "ACCREC", "Status": "AUTHORISED",
            "InvoiceNumber": "INV-0042", "Contact": {"ContactID": CONTACT_ID},
            "CurrencyCode": "GBP", "Date": "/Date(1772409600000+0000)/",
            "DateString": "2026-03-02T00:00:00", "LineAmountTypes": amount_type,
            "LineItems": lines, **extra}


@SETTINGS
@given(st.lists(st.tuples(st.integers(1, 20), st.integers(1, 10**6), st.sampled_from(
    [D("0"), D("5"), D("12.5"), D("20")])), min_size=1, max_size=5))
def test_inclusive_lines_become_exact_net_amounts(lines):
    """Xero's tax-inclusive lines: net = LineAmount - TaxAmount exactly, adding up to Xero's
    SubTotal, whatever the quantities and rates."""
    raw_lines, subtotal, tax_total = [], D("0"), D("0")
    for quantity, unit_cents, rate in lines:
        gross = (D(quantity) * D(unit_cents) / 100).quantize(D("0.01"))
        tax = (gross * rate / (100 + rate)).quantize(D("0.01"))
        raw_lines.append({"Description": "x", "Quantity": quantity,
                          "UnitAmount": float(D(unit_cents) / 100), "LineAmount": float(gross),
                          "TaxAmount": float(tax), "TaxType": "OUTPUT2", "AccountCode": "200"})
        subtotal += gross - tax
        tax_total += tax
    record = inbound.invoice(_invoice("Inclusive", raw_lines, SubTotal=float(subtotal),
                                      TotalTax=float(tax_total),
                                      Total=float(subtotal + tax_total)))
    assert not record.problem
    assert sum(line.amount for line in record.lines) == record.subtotal == subtotal
    assert sum(line.tax_amount for line in record.lines) == record.tax_total
    for line, (quantity, _, _) in zip(record.lines, lines):
        assert abs(line.unit_price * quantity - line.amount) <= D("0.0001") * quantity


def test_statuses_no_tax_and_payments():
    lines = [{"Description": "Support", "Quantity": 2, "UnitAmount": 50.0, "LineAmount": 100.0,
              "TaxAmount": 0.0, "TaxType": "NONE", "AccountCode": "200",
              "Item": {"ItemID": "1f2e3d4c-0000-4000-8000-000000000001", "Code": "SUP"}}]
    raw = _invoice("NoTax", lines, Status="PAID", SubTotal=100.0, TotalTax=0.0, Total=100.0,
                   AmountDue=0.0, Reference="PO 9", Payments=[
                       {"PaymentID": "aaaaaaaa-0000-4000-8000-000000000001", "Amount": 60.0,
                        "Date": "/Date(1772668800000+0000)/"}],
                   CreditNotes=[{"CreditNoteID": "bbbbbbbb-0000-4000-8000-000000000002",
                                 "AppliedAmount": 40.0, "CreditNoteNumber": "CN-1",
                                 "Date": "/Date(1772668800000+0000)/"}])
    record = inbound.invoice(raw)
    assert (record.status, record.issue_date, record.extra, record.lines[0].tax_code,
            record.lines[0].item_external_id) == (
        "paid", date(2026, 3, 2), {"Reference": "PO 9"}, "",
        "1f2e3d4c-0000-4000-8000-000000000001")
    assert [(p.kind, p.external_id[:8], p.allocations[0].amount) for p in record.payments] == [
        ("payment", "aaaaaaaa", D("60.00")), ("credit", "bbbbbbbb", D("40.00"))]
    for xero_status, ours in (("DRAFT", "draft"), ("SUBMITTED", "draft"),
                              ("AUTHORISED", "open"), ("VOIDED", "voided"),
                              ("DELETED", "deleted")):
        assert inbound.invoice(dict(raw, Status=xero_status)).status == ours
    assert "status" in inbound.invoice(dict(raw, Status="EXOTIC")).problem


def test_an_overlong_name_or_a_sub_cent_amount_waits_with_its_reason():
    contact = inbound.customer({"ContactID": CONTACT_ID, "Name": "x" * 256})
    assert contact.external_id == CONTACT_ID and "longer than 255" in contact.problem
    bad = _invoice("Exclusive", [{"Quantity": 1, "UnitAmount": 1, "LineAmount": 1.005}])
    assert "more than 2 decimals" in inbound.invoice(bad).problem
    item = inbound.item({"ItemID": "x", "Code": "C", "Name": "N",
                         "SalesDetails": {"UnitPrice": "NaN"}})
    assert "not a usable amount" in item.problem


@SETTINGS
@given(st.text(max_size=200) | st.builds(lambda v: __import__("json").dumps(v), json_values))
def test_any_cursor_reads_as_a_position_or_starts_over(cursor):
    """A cursor the plugin did not write (edited, truncated, another version) is read as a
    position it can continue from, or as "start the full listing again" -- never an error."""
    state = parse_cursor(cursor)
    assert state["page"] >= 1 and len(state["after"]) <= 64
    again = parse_cursor(format_cursor(state["page"], state["since"], state["start"],
                                       state["after"], state["upto"]))
    assert again == state
