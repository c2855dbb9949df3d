"""Xero mappers: the fields an accountant checks, and each payload against the OpenAPI schema."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from hookspecs import (
    ClientData,
    CreditNoteData,
    ExternalRef,
    GLAccountData,
    InvoiceData,
    LineData,
    MappingError,
    PaymentData,
    ServiceTypeData,
    TaxRateData,
)
from psa_xero.mappers import (
    ResolvedRefs,
    allocation_request,
    contacts_request,
    credit_notes_request,
    dumps,
    fallback_contact_name,
    invoices_request,
    payments_request,
)
from psa_xero.sandbox.openapi_check import schema_problems

CONTACT_ID = "5cc8cf28-567e-4d43-b287-687cfcaec47c"
INVOICE_ID = "3f6d9a52-7c1e-4b8a-9d0e-2a4b6c8e1f01"
GST = TaxRateData(id=7, name="GST 15%", rate=Decimal("15"))
CONSULTING = ServiceTypeData(id=3, name="Consulting", sku="CONS")
CLIENT = ClientData(id=42, name="Acme  Ltd", billing_contact_name="Ada Lovelace King",
                    billing_email="ap@acme.example")


def assert_schema(schema: str, payload: dict) -> dict:
    """Validate the wire form (what ``dumps`` writes) against xero_accounting.yaml."""
    wire = json.loads(dumps(payload))
    problems = schema_problems("xero_accounting", schema, wire)
    assert problems == [], problems
    return wire


def refs(**kw) -> ResolvedRefs:
    base = dict(contact_id=CONTACT_ID, default_account_code="200",
                account_codes={11: "260"}, tax_types={7: "OUTPUT2"}, item_codes={3: "CONS"},
                tracking_category="Region", url="https://psa.example.com/invoices/1042")
    base.update(kw)
    return ResolvedRefs(**base)


def lines() -> tuple[LineData, ...]:
    return (
        LineData(id=1, description="Consulting, March 2026 (10 h)", quantity=Decimal("10"),
                 unit_price=Decimal("150.00"), amount=Decimal("1500.00"), tax_rate=GST,
                 service_type=CONSULTING, class_label="North"),
        LineData(id=2, description="Project setup fee", quantity=Decimal("1"),
                 unit_price=Decimal("250.00"), amount=Decimal("225.00"),
                 discount_percent=Decimal("10"), tax_rate=GST,
                 gl_account=GLAccountData(id=11, code="4100", name="Setup")),
        LineData(id=3, description="Hosting", quantity=Decimal("2.5"),
                 unit_price=Decimal("0.10"), amount=Decimal("0.25"),
                 gl_account=GLAccountData(id=99, code="4999", name="Unmapped")),
    )


def invoice(**kw) -> InvoiceData:
    base = dict(id=1042, number="PSA-1042", status="sent", currency="nzd",
                issue_date=date(2026, 3, 10), due_date=date(2026, 4, 9), client=CLIENT,
                lines=lines(), subtotal=Decimal("1725.25"), tax_total=Decimal("258.75"),
                total=Decimal("1984.00"), memo="March", project_name="Project Apollo")
    base.update(kw)
    return InvoiceData(**base)


def credit_note(**kw) -> CreditNoteData:
    base = dict(id=5, number="CN-PSA-5", currency="NZD", issue_date=date(2026, 3, 20),
                client=CLIENT,
                lines=(LineData(id=9, description="Goodwill credit, setup fee",
                                quantity=Decimal("1"), unit_price=Decimal("195.65"),
                                amount=Decimal("195.65"), tax_rate=GST),),
                subtotal=Decimal("195.65"), tax_total=Decimal("29.35"), total=Decimal("225.00"),
                invoice_id=1042, invoice_number="PSA-1042",
                invoice_external=ExternalRef(external_id=INVOICE_ID, number="PSA-1042"),
                reason="setup fee")
    base.update(kw)
    return CreditNoteData(**base)


# -- contacts ---------------------------------------------------------------------------------

def test_contact_fields_and_schema():
    body = assert_schema("Contacts", contacts_request(CLIENT))
    assert body == {"Contacts": [{"Name": "Acme Ltd", "ContactNumber": "PSA-42",
                                  "EmailAddress": "ap@acme.example", "FirstName": "Ada",
                                  "LastName": "Lovelace King"}]}


def test_contact_without_billing_person_or_email():
    body = assert_schema("Contacts", contacts_request(ClientData(id=1, name="Solo")))
    assert body["Contacts"][0] == {"Name": "Solo", "ContactNumber": "PSA-1"}


def test_fallback_name_is_unique_per_client_and_fits():
    assert fallback_contact_name(CLIENT) == "Acme Ltd (PSA-42)"
    long = ClientData(id=7, name="x" * 400)
    name = fallback_contact_name(long)
    assert len(name) == 255 and name.endswith(" (PSA-7)")
    assert fallback_contact_name(ClientData(id=8, name=" ")) == "PSA client (PSA-8)"
    body = assert_schema("Contacts", contacts_request(long, name=name))
    assert body["Contacts"][0]["Name"] == name


# -- invoices ---------------------------------------------------------------------------------

def test_invoice_header_matches_s1():
    body = assert_schema("Invoices", invoices_request(invoice(), refs()))
    inv = body["Invoices"][0]
    assert inv["Type"] == "ACCREC"
    assert inv["Status"] == "AUTHORISED"
    assert inv["Contact"] == {"ContactID": CONTACT_ID}
    assert inv["Date"] == "2026-03-10" and inv["DueDate"] == "2026-04-09"
    assert inv["InvoiceNumber"] == "PSA-1042"
    assert inv["Reference"] == "Project Apollo / March"
    assert inv["CurrencyCode"] == "NZD"
    assert inv["LineAmountTypes"] == "Exclusive"
    assert inv["Url"] == "https://psa.example.com/invoices/1042"
    assert "InvoiceID" not in inv and "Total" not in inv and "SubTotal" not in inv


def test_invoice_lines_accounts_tax_items_tracking():
    inv = invoices_request(invoice(), refs())["Invoices"][0]
    assert_schema("Invoice", inv)
    first, second, third = inv["LineItems"]
    assert first == {"Description": "Consulting, March 2026 (10 h)", "Quantity": Decimal("10.00"),
                     "UnitAmount": Decimal("150.00"), "AccountCode": "200", "ItemCode": "CONS",
                     "TaxType": "OUTPUT2", "Tracking": [{"Name": "Region", "Option": "North"}]}
    assert second["AccountCode"] == "260"  # mapped GL account
    assert second["DiscountRate"] == Decimal("10.00")
    assert second["TaxType"] == "OUTPUT2" and "Tracking" not in second
    assert third["AccountCode"] == "200"  # unmapped GL account -> default revenue account
    assert "TaxType" not in third and "DiscountRate" not in third and "ItemCode" not in third
    assert third["Quantity"] == Decimal("2.50")


def test_line_amounts_reproduce_host_amounts():
    inv = invoices_request(invoice(), refs())["Invoices"][0]
    for item, line in zip(inv["LineItems"], lines()):
        rate = item.get("DiscountRate", Decimal("0"))
        assert item["Quantity"] * item["UnitAmount"] * (100 - rate) / 100 == line.amount


def test_decimals_are_exact_json_numbers_with_two_decimals():
    text = dumps(invoices_request(invoice(), refs()))
    assert '"UnitAmount":150.00' in text and '"UnitAmount":0.10' in text
    assert '"Quantity":10.00' in text and '"Quantity":2.50' in text
    assert '"DiscountRate":10.00' in text
    assert "__dec_" not in text
    assert dumps({"Amount": Decimal("0.1") + Decimal("0.2")}) == '{"Amount":0.3}'


def test_quantity_keeps_four_decimals():
    line = LineData(id=1, description="x", quantity=Decimal("1.2345"),
                    unit_price=Decimal("1.00"), amount=Decimal("1.23"))
    inv = invoices_request(invoice(lines=(line,)), refs())["Invoices"][0]
    assert '"Quantity":1.2345' in dumps(inv)


def test_repush_updates_the_same_invoice():
    inv = invoices_request(invoice(external=ExternalRef(external_id=INVOICE_ID)), refs())
    assert assert_schema("Invoices", inv)["Invoices"][0]["InvoiceID"] == INVOICE_ID


def test_no_tracking_category_sends_no_tracking():
    inv = invoices_request(invoice(), refs(tracking_category=""))["Invoices"][0]
    assert all("Tracking" not in item for item in inv["LineItems"])


def test_taxed_line_without_tax_mapping_is_a_mapping_error_with_fix():
    with pytest.raises(MappingError) as caught:
        invoices_request(invoice(), refs(tax_types={}))
    assert caught.value.category == "mapping"
    assert "GST 15%" in caught.value.message
    assert "Map the tax rate 'GST 15%'" in caught.value.fix


def test_no_default_account_and_unmapped_line_is_a_mapping_error():
    with pytest.raises(MappingError) as caught:
        invoices_request(invoice(), refs(default_account_code=""))
    assert "default revenue account" in caught.value.fix


def test_sub_cent_unit_price_is_refused_not_rounded():
    line = LineData(id=1, description="x", quantity=Decimal("1"),
                    unit_price=Decimal("1.005"), amount=Decimal("1.01"))
    with pytest.raises(MappingError):
        invoices_request(invoice(lines=(line,)), refs())


# -- credit notes and allocations -------------------------------------------------------------

def test_credit_note_matches_s5():
    body = assert_schema("CreditNotes", credit_notes_request(credit_note(), refs()))
    note = body["CreditNotes"][0]
    assert note["Type"] == "ACCRECCREDIT"
    assert note["Status"] == "AUTHORISED"
    assert note["Contact"] == {"ContactID": CONTACT_ID}
    assert note["Date"] == "2026-03-20"
    assert note["CreditNoteNumber"] == "CN-PSA-5"
    assert note["Reference"] == "Credit for PSA-1042: setup fee"
    assert note["CurrencyCode"] == "NZD" and note["LineAmountTypes"] == "Exclusive"
    assert note["LineItems"] == [{"Description": "Goodwill credit, setup fee", "Quantity": 1.0,
                                  "UnitAmount": 195.65, "AccountCode": "200",
                                  "TaxType": "OUTPUT2"}]
    assert "SentToContact" not in note


def test_credit_note_line_with_discount_is_refused():
    line = LineData(id=1, description="x", quantity=Decimal("1"), unit_price=Decimal("10.00"),
                    amount=Decimal("9.00"), discount_percent=Decimal("10"))
    with pytest.raises(MappingError) as caught:
        credit_notes_request(credit_note(lines=(line,)), refs())
    assert "discount" in caught.value.message


def test_allocation_matches_s5():
    payload = allocation_request(credit_note())
    body = assert_schema("Allocations", payload)
    assert body == {"Allocations": [{"Amount": 225.00, "Invoice": {"InvoiceID": INVOICE_ID},
                                     "Date": "2026-03-20"}]}
    assert '"Amount":225.00' in dumps(payload)


def test_partial_allocation_and_date():
    body = assert_schema("Allocations", allocation_request(
        credit_note(), amount=Decimal("100"), on=date(2026, 3, 21)))
    assert body["Allocations"][0]["Amount"] == 100.0
    assert body["Allocations"][0]["Date"] == "2026-03-21"


def test_allocation_needs_a_pushed_invoice():
    with pytest.raises(MappingError) as caught:
        allocation_request(credit_note(invoice_external=None))
    assert "Push invoice PSA-1042" in caught.value.fix


# -- payments ---------------------------------------------------------------------------------

def payment(**kw) -> PaymentData:
    base = dict(id=77, amount=Decimal("1000"), date=date(2026, 3, 25), currency="NZD",
                invoice_id=1042, invoice_number="PSA-1042",
                invoice_external=ExternalRef(external_id=INVOICE_ID), client=CLIENT,
                reference="Bank transfer")
    base.update(kw)
    return PaymentData(**base)


def test_payment_fields_and_schema():
    payload = payments_request(payment(), "090")
    body = assert_schema("Payments", payload)
    assert body == {"Payments": [{"Invoice": {"InvoiceID": INVOICE_ID},
                                  "Account": {"Code": "090"}, "Date": "2026-03-25",
                                  "Amount": 1000.00, "Reference": "Bank transfer"}]}
    assert '"Amount":1000.00' in dumps(payload)


def test_payment_without_bank_account_or_amount_is_refused():
    with pytest.raises(MappingError) as caught:
        payments_request(payment(), "")
    assert "bank account" in caught.value.fix
    with pytest.raises(MappingError):
        payments_request(payment(amount=Decimal("0")), "090")
