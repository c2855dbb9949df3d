from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hookspecs import ClientData, InvoiceData, LineData, MappingError, ServiceTypeData, TaxRateData
from psa_quickbooks.mappers import ResolvedRefs, invoice_payload

VAT = TaxRateData(id=1, name="Standard", rate=Decimal("20"))
ZERO = TaxRateData(id=2, name="Zero", rate=Decimal("0"))
CONSULT = ServiceTypeData(id=7, name="Consulting")


def make_invoice(**kw):
    lines = kw.pop(
        "lines",
        (
            LineData(
                id=1, description="Consulting, February 2026", quantity=Decimal("10"),
                unit_price=Decimal("150.00"), amount=Decimal("1500.00"),
                service_date=date(2026, 2, 28), service_type=CONSULT, tax_rate=VAT,
            ),
            LineData(
                id=2, description="Travel (non-taxable)", quantity=Decimal("1"),
                unit_price=Decimal("250.00"), amount=Decimal("250.00"), tax_rate=ZERO,
            ),
        ),
    )
    base = dict(
        id=42, number="PSA-2026-0042", status="approved", currency="usd",
        issue_date=date(2026, 3, 2), due_date=date(2026, 4, 1),
        client=ClientData(id=3, name="Acme", billing_email="ap@acme.example"),
        lines=lines, subtotal=Decimal("1750"), tax_total=Decimal("0"), total=Decimal("1750"),
        memo="Thank you for your business.", business_unit_name="East",
    )
    base.update(kw)
    return InvoiceData(**base)


US = ResolvedRefs(customer_id="58", item_ids={1: "21", 2: "22"}, class_ids={1: "5000000000000012345"})


def test_us_invoice_matches_sample_s1_fields():
    p = invoice_payload(make_invoice(), US)
    assert p["CustomerRef"] == {"value": "58"}
    assert p["TxnDate"] == "2026-03-02"
    assert p["DueDate"] == "2026-04-01"
    assert p["BillEmail"] == {"Address": "ap@acme.example"}
    assert p["CustomerMemo"] == {"value": "Thank you for your business."}
    assert "East" in p["PrivateNote"] and "PSA-2026-0042" in p["PrivateNote"]
    assert "DocNumber" not in p
    assert "CurrencyRef" not in p
    assert "GlobalTaxCalculation" not in p
    assert p["Line"] == [
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": 1500.00,
            "Description": "Consulting, February 2026",
            "SalesItemLineDetail": {
                "ItemRef": {"value": "21"},
                "Qty": 10,
                "UnitPrice": 150,
                "TaxCodeRef": {"value": "TAX"},
                "ClassRef": {"value": "5000000000000012345"},
                "ServiceDate": "2026-02-28",
            },
        },
        {
            "DetailType": "SalesItemLineDetail",
            "Amount": 250.00,
            "Description": "Travel (non-taxable)",
            "SalesItemLineDetail": {
                "ItemRef": {"value": "22"},
                "Qty": 1,
                "UnitPrice": 250,
                "TaxCodeRef": {"value": "NON"},
            },
        },
    ]


def test_docnumber_only_with_custom_numbers_and_currency_only_with_multicurrency():
    refs = ResolvedRefs(customer_id="58", item_ids={1: "21", 2: "22"}, custom_numbers=True, multicurrency=True)
    p = invoice_payload(make_invoice(), refs)
    assert p["DocNumber"] == "PSA-2026-0042"
    assert p["CurrencyRef"] == {"value": "USD"}
    assert all("ClassRef" not in line["SalesItemLineDetail"] for line in p["Line"])


def test_non_us_uses_mapped_tax_code_per_line():
    refs = ResolvedRefs(customer_id="45", item_ids={1: "23", 2: "24"}, tax_codes={1: "3", 2: "9"}, non_us=True)
    p = invoice_payload(make_invoice(), refs)
    assert p["GlobalTaxCalculation"] == "TaxExcluded"
    assert [line["SalesItemLineDetail"]["TaxCodeRef"] for line in p["Line"]] == [{"value": "3"}, {"value": "9"}]


def test_non_us_missing_tax_code_raises_mapping_error_with_fix():
    refs = ResolvedRefs(customer_id="45", item_ids={1: "23", 2: "24"}, tax_codes={1: "3"}, non_us=True)
    with pytest.raises(MappingError) as exc:
        invoice_payload(make_invoice(), refs)
    assert "line 2" in exc.value.message
    assert "Zero" in exc.value.message
    assert "tax code" in exc.value.fix


def test_missing_item_raises_mapping_error():
    with pytest.raises(MappingError) as exc:
        invoice_payload(make_invoice(), ResolvedRefs(customer_id="58", item_ids={1: "21"}))
    assert "item" in exc.value.message
    assert "Manage page" in exc.value.fix


def test_line_discount_folded_into_net_amount():
    line = LineData(
        id=1, description="Support", quantity=Decimal("4"), unit_price=Decimal("100"),
        amount=Decimal("360.00"), discount_percent=Decimal("10"), tax_rate=VAT,
    )
    p = invoice_payload(make_invoice(lines=(line,)), ResolvedRefs(customer_id="58", item_ids={1: "21"}))
    (out,) = p["Line"]
    assert out["Amount"] == 360.00
    assert out["SalesItemLineDetail"]["Qty"] == 4
    assert out["SalesItemLineDetail"]["UnitPrice"] == 90
    assert out["Description"] == "Support (less 10% discount)"
    assert all(line["DetailType"] != "DiscountLineDetail" for line in p["Line"])


def test_amounts_rounded_to_cents_and_fractional_qty():
    line = LineData(
        id=1, description="Hours", quantity=Decimal("1.5"), unit_price=Decimal("33.333"),
        amount=Decimal("49.9995"), tax_rate=None,
    )
    p = invoice_payload(make_invoice(lines=(line,), memo="", client=ClientData(id=3, name="Acme")),
                        ResolvedRefs(customer_id="58", item_ids={1: "21"}))
    (out,) = p["Line"]
    assert out["Amount"] == 50.00
    assert out["SalesItemLineDetail"]["Qty"] == 1.5
    assert out["SalesItemLineDetail"]["UnitPrice"] == 33.333
    assert out["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "NON"}
    assert "BillEmail" not in p and "CustomerMemo" not in p


def test_no_lines_raises():
    with pytest.raises(MappingError):
        invoice_payload(make_invoice(lines=()), US)
