"""QuickBooks records -> inbound records (pure): readable rows map field by field, hostile
rows never raise (they come back with ``problem``), sizes stay bounded."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from hookspecs import InboundCustomer, InboundInvoice, InboundItem
from psa_quickbooks.fields import custom_field_definitions, custom_fields
from psa_quickbooks.mappers import inbound

US_INVOICE = {
    "Id": "130", "SyncToken": "2", "DocNumber": "1037", "TxnDate": "2026-11-02",
    "DueDate": "2026-12-02", "CustomerRef": {"value": "1", "name": "Acme Ltd"},
    "CurrencyRef": {"value": "USD"}, "CustomerMemo": {"value": "Thanks"},
    "CustomField": [{"DefinitionId": "1", "Name": "PO Number", "Type": "StringType",
                     "StringValue": "PO-7"}],
    "Line": [
        {"Id": "1", "DetailType": "SalesItemLineDetail", "Amount": 1500, "Description": "Work",
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 10, "UnitPrice": 150,
                                 "TaxCodeRef": {"value": "TAX"}, "ServiceDate": "2026-10-31"}},
        {"Id": "2", "DetailType": "SalesItemLineDetail", "Amount": 80,
         "SalesItemLineDetail": {"ItemRef": {"value": "3"}, "TaxCodeRef": {"value": "NON"}}},
        {"DetailType": "SubTotalLineDetail", "Amount": 1580, "SubTotalLineDetail": {}}],
    "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": 120, "TaxLine": [
        {"DetailType": "TaxLineDetail", "Amount": 120,
         "TaxLineDetail": {"TaxRateRef": {"value": "1"}, "TaxPercent": 8}}]},
    "TotalAmt": 1700, "Balance": 1700,
    "MetaData": {"CreateTime": "2026-11-02T10:00:00-08:00",
                 "LastUpdatedTime": "2026-11-02T11:00:00-08:00"},
}


def test_us_invoice_lines_tax_and_custom_fields():
    inv = inbound.invoice(US_INVOICE, us=True)
    assert not inv.problem and inv.status == "open" and inv.number == "1037"
    assert inv.extra == {"CustomField:1": "PO-7"} and inv.memo == "Thanks"
    work, travel = inv.lines
    assert (work.quantity, work.unit_price, work.amount, work.tax_code, work.tax_percent) == (
        Decimal("10"), Decimal("150"), Decimal("1500.00"), "2", Decimal("8"))
    assert str(work.service_date) == "2026-10-31"
    assert (travel.quantity, travel.unit_price, travel.tax_code, travel.tax_percent) == (
        Decimal("1"), Decimal("80.00"), "", None)
    assert (inv.subtotal, inv.tax_total, inv.total) == (Decimal("1580.00"), Decimal("120.00"),
                                                        Decimal("1700.00"))
    assert inv.updated_at.isoformat() == "2026-11-02T19:00:00+00:00"


def test_non_us_lines_use_their_tax_codes_and_inclusive_invoices_wait():
    row = dict(US_INVOICE, TxnTaxDetail={"TotalTax": 300}, Line=[
        dict(US_INVOICE["Line"][0], SalesItemLineDetail=dict(
            US_INVOICE["Line"][0]["SalesItemLineDetail"], TaxCodeRef={"value": "7"}))])
    inv = inbound.invoice(row, us=False, code_rates={"7": Decimal("20")})
    assert (inv.lines[0].tax_code, inv.lines[0].tax_percent) == ("7", Decimal("20"))
    inclusive = inbound.invoice(dict(row, GlobalTaxCalculation="TaxInclusive"), us=False)
    assert "inclusive" in inclusive.problem.lower() or "include tax" in inclusive.problem


def test_voided_paid_deleted_and_discounted_invoices():
    voided = inbound.invoice(dict(US_INVOICE, TotalAmt=0, Balance=0, PrivateNote="Voided x"),
                             us=True)
    assert voided.status == "voided" and voided.total == 0
    assert inbound.invoice(dict(US_INVOICE, Balance=0), us=True).status == "paid"
    gone = inbound.invoice({"Id": "9", "status": "Deleted",
                            "MetaData": {"LastUpdatedTime": "2026-11-02T11:00:00-08:00"}},
                           us=True)
    assert gone.status == "deleted" and gone.external_id == "9"
    discounted = inbound.invoice(dict(US_INVOICE, Line=US_INVOICE["Line"] + [
        {"DetailType": "DiscountLineDetail", "Amount": 10}]), us=True)
    assert "discount" in discounted.problem


def test_inactive_customer_loses_quickbooks_deleted_mark():
    c = inbound.customer({"Id": "4", "DisplayName": "Initech (deleted)", "Active": False,
                          "GivenName": "Bill", "FamilyName": "L",
                          "PrimaryEmailAddr": {"Address": "x@y.z"}})
    assert (c.name, c.active, c.billing_contact_name) == ("Initech", False, "Bill L")


def test_custom_field_definitions_from_preferences():
    prefs = {"SalesFormsPrefs": {"CustomField": [
        {"CustomField": [{"Name": "SalesFormsPrefs.UseSalesCustom1", "BooleanValue": True},
                         {"Name": "SalesFormsPrefs.UseSalesCustom3", "BooleanValue": True}]},
        {"CustomField": [{"Name": "SalesFormsPrefs.SalesCustomName1", "StringValue": "Crew"},
                         {"Name": "SalesFormsPrefs.SalesCustomName3",
                          "StringValue": "Purchase Order"}]}]}}
    assert custom_field_definitions(prefs) == {"1": "Crew", "3": "Purchase Order"}
    assert [(f.key, f.host_field) for f in custom_fields(prefs)] == [
        ("CustomField:1", ""), ("CustomField:3", "reference")]


# -- hostile input ---------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=5),
    max_leaves=25)
FIELDS = ["Id", "DisplayName", "Name", "Sku", "UnitPrice", "Active", "PrimaryEmailAddr",
          "TxnDate", "DueDate", "Line", "TotalAmt", "Balance", "TxnTaxDetail", "CustomField",
          "CustomerRef", "CurrencyRef", "MetaData", "status", "PrivateNote", "SyncToken",
          "GlobalTaxCalculation", "CustomerMemo", "DocNumber"]
rows = st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=12) | json_values


@settings(max_examples=300, deadline=None)
@given(row=rows, us=st.booleans())
def test_hostile_rows_never_raise_and_stay_bounded(row, us):
    c = inbound.customer(row)
    i = inbound.item(row)
    inv = inbound.invoice(row, us=us, code_rates={"7": Decimal("20")})
    assert isinstance(c, InboundCustomer) and isinstance(i, InboundItem)
    assert isinstance(inv, InboundInvoice)
    assert len(c.name) <= inbound.MAX_NAME and len(i.name) <= 100 and len(inv.number) <= 21
    assert len(inv.memo) <= inbound.MAX_MEMO and all(len(v) <= 100 for v in inv.extra.values())
    if i.unit_price is not None:
        assert i.unit_price.is_finite()
    if not inv.problem:
        assert all(ln.amount.is_finite() and ln.quantity.is_finite() for ln in inv.lines)
        assert inv.total.is_finite() and inv.subtotal == sum(
            (ln.amount for ln in inv.lines), Decimal("0"))


@settings(max_examples=200, deadline=None)
@given(amount=json_values, qty=json_values, price=json_values)
def test_hostile_line_numbers_become_a_problem_not_an_exception(amount, qty, price):
    row = dict(US_INVOICE, Line=[{"DetailType": "SalesItemLineDetail", "Amount": amount,
                                  "SalesItemLineDetail": {"ItemRef": {"value": "2"},
                                                          "Qty": qty, "UnitPrice": price}}])
    inv = inbound.invoice(row, us=True)
    assert inv.problem or (len(inv.lines) == 1 and inv.lines[0].amount.is_finite())
