"""Acceptance, "for a US and a non-US company, with faults injected (500, 429, a write committed
whose response is lost, an expired token)", at hook level over real HTTP against the sandbox:
each fault on the invoice write is a typed, retryable error (or, for the expired token, a
transparent refresh), and after the retry with the same idempotency key the invoice exists
exactly once with the right customer, lines, amounts, tax and due date. (The end-to-end
versions with the worker are in e2e/test_push_e2e.py.)"""

from __future__ import annotations

import pytest

from hookspecs import ProviderDown, RateLimited
from psa_quickbooks.sandbox import UK_REALM, US_REALM
from qbo_testkit import SALES_TAX, VAT, make_invoice

COMPANIES = {
    "us": (US_REALM, SALES_TAX, "USD"),
    "uk": (UK_REALM, VAT, "GBP"),
}
FAULTS = {
    "server-error": ({"kind": "status", "status": 500, "body": {}}, ProviderDown),
    "throttled": ({"kind": "rate_limit"}, RateLimited),
    "lost-response": ({"kind": "drop_after_commit"}, ProviderDown),
    "expired-token": (None, None),
}


def connection_for(qbo, qbo_connection, company):
    realm = COMPANIES[company][0]
    if company == "uk":
        zero = next(c["Id"] for c in qbo.entities(realm, "TaxCode") if c["Name"] == "0.0% Z")
        return qbo_connection("uk", settings={"untaxed_tax_code": zero})
    return qbo_connection("us")


def check_booked(qbo, company, invoice, external_id) -> None:
    realm, rate, _ = COMPANIES[company]
    stored = qbo.entities(realm, "Invoice")
    assert [i["Id"] for i in stored] == [external_id]  # exactly once
    booked = stored[0]
    assert booked["CustomerRef"]["name"] == "Acme Ltd"
    lines = [(ln["Description"], ln["SalesItemLineDetail"]["Qty"], ln["Amount"])
             for ln in booked["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
    assert lines == [("Consulting, October", 10, 1500), ("Travel", 1, 80)]
    assert booked["TxnTaxDetail"]["TotalTax"] == float(invoice.tax_total)
    assert booked["TotalAmt"] == float(invoice.total)
    assert booked["DueDate"] == invoice.due_date.isoformat()
    if company == "uk":
        assert booked["GlobalTaxCalculation"] == "TaxExcluded"
        assert all("TaxCodeRef" in ln["SalesItemLineDetail"] for ln in booked["Line"]
                   if ln["DetailType"] == "SalesItemLineDetail")


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("company", list(COMPANIES))
def test_hook_on_invoice_sent_fault_then_retry_books_the_invoice_once(qbo, qbo_connection, hook,
                                                                      company, fault):
    conn = connection_for(qbo, qbo_connection, company)
    realm, rate, currency = COMPANIES[company]
    invoice = make_invoice(tax_rate=rate, currency=currency)
    key = f"{company}-{fault}"
    rule, error = FAULTS[fault]
    if rule is None:
        before = len(qbo.requests(path="/oauth2/v1/tokens/bearer"))
        qbo.control("POST", "clock/advance", json={"seconds": 3700})  # Intuit: token expired
        result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key=key)
        assert len(qbo.requests(path="/oauth2/v1/tokens/bearer")) > before  # refreshed
    else:
        qbo.fault(method="POST", path="/invoice$", count=1, **rule)
        with pytest.raises(error) as err:
            hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key=key)
        assert err.value.retryable and err.value.message and err.value.fix
        landed = qbo.entities(realm, "Invoice")
        assert len(landed) == (1 if fault == "lost-response" else 0)
        result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key=key)
    check_booked(qbo, company, invoice, result.external_id)
    assert result.number and result.deep_link.endswith(f"realmId={realm}")
