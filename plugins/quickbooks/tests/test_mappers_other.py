from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hookspecs import ClientData, CreditNoteData, ExternalRef, LineData, MappingError, PaymentData, TaxRateData
from psa_quickbooks.mappers import (
    ResolvedRefs,
    credit_memo_payload,
    customer_payload,
    payment_payload,
    sanitize_display_name,
    unique_display_name,
)

CLIENT = ClientData(id=3, name="Acme: East", billing_email="ap@acme.example")


def test_customer_display_name_sanitised():
    p = customer_payload(CLIENT)
    assert p["DisplayName"] == "Acme - East"
    assert ":" not in p["DisplayName"]
    assert sanitize_display_name('  "Big"  Co\t:Ltd ') == "Big Co - Ltd"


def test_customer_without_name_raises():
    with pytest.raises(MappingError):
        customer_payload(ClientData(id=9, name=" : "))


def test_unique_display_name_fallback():
    assert unique_display_name("Acme", set()) == "Acme"
    assert unique_display_name("Acme", {"acme"}) == "Acme (2)"
    assert unique_display_name("Acme", {"Acme", "Acme (2)"}) == "Acme (3)"
    long = "x" * 600
    assert unique_display_name(long, {"x" * 500}).endswith(" (2)")
    assert len(unique_display_name(long, {"x" * 500})) == 500
    assert customer_payload(CLIENT, display_name="Acme: East (2)")["DisplayName"] == "Acme - East (2)"


def _credit(**kw):
    base = dict(
        id=5, number="CN-7", currency="gbp", issue_date=date(2026, 3, 10), client=CLIENT,
        lines=(LineData(id=11, description="Refund of overbilled hours", quantity=Decimal("2"),
                        unit_price=Decimal("75"), amount=Decimal("150"),
                        tax_rate=TaxRateData(id=1, name="VAT", rate=Decimal("20"))),),
        subtotal=Decimal("150"), tax_total=Decimal("30"), total=Decimal("180"),
        invoice_id=42, invoice_number="PSA-2026-0042",
        invoice_external=ExternalRef(external_id="1045"), reason="Overbilled",
    )
    base.update(kw)
    return CreditNoteData(**base)


def test_credit_memo_lines_and_never_emailed():
    refs = ResolvedRefs(customer_id="58", item_ids={11: "21"}, tax_codes={11: "3"}, non_us=True,
                        custom_numbers=True, multicurrency=True, class_ids={11: "77"})
    p = credit_memo_payload(_credit(), refs)
    assert p["CustomerRef"] == {"value": "58"}
    assert p["DocNumber"] == "CN-7"
    assert p["TxnDate"] == "2026-03-10"
    assert p["CurrencyRef"] == {"value": "GBP"}
    assert p["EmailStatus"] == "NotSet"
    assert "BillEmail" not in p
    assert "DueDate" not in p
    assert p["CustomerMemo"] == {"value": "Overbilled"}
    assert "1045" in p["PrivateNote"] and "PSA-2026-0042" in p["PrivateNote"]
    assert p["Line"] == [{
        "DetailType": "SalesItemLineDetail", "Amount": 150.0, "Description": "Refund of overbilled hours",
        "SalesItemLineDetail": {"ItemRef": {"value": "21"}, "Qty": 2, "UnitPrice": 75,
                                "TaxCodeRef": {"value": "3"}, "ClassRef": {"value": "77"}},
    }]


def test_credit_memo_non_us_missing_tax_code():
    with pytest.raises(MappingError):
        credit_memo_payload(_credit(), ResolvedRefs(customer_id="58", item_ids={11: "21"}, non_us=True))


def _payment(**kw):
    base = dict(id=8, amount=Decimal("1770"), date=date(2026, 3, 20), currency="usd", invoice_id=42,
                invoice_number="PSA-2026-0042", invoice_external=ExternalRef(external_id="1045"),
                client=CLIENT, reference="CHK 10455")
    base.update(kw)
    return PaymentData(**base)


def test_payment_matches_sample_s6():
    p = payment_payload(_payment(), "58")
    assert p["CustomerRef"] == {"value": "58"}
    assert p["TotalAmt"] == 1770.00
    assert p["TxnDate"] == "2026-03-20"
    assert p["PaymentRefNum"] == "CHK 10455"
    assert p["Line"] == [{"Amount": 1770.00, "LinkedTxn": [{"TxnId": "1045", "TxnType": "Invoice"}]}]
    assert "CurrencyRef" not in p


def test_payment_multicurrency_and_rounding():
    p = payment_payload(_payment(amount=Decimal("10.005"), reference=""), "58", multicurrency=True)
    assert p["CurrencyRef"] == {"value": "USD"}
    assert p["TotalAmt"] == 10.01
    assert p["Line"][0]["Amount"] == 10.01
    assert "PaymentRefNum" not in p


def test_payment_needs_pushed_invoice():
    with pytest.raises(MappingError):
        payment_payload(_payment(invoice_external=ExternalRef(external_id="")), "58")
