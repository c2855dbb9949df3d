"""Xero faults on a push become typed errors with Xero's own message and a fix."""

from __future__ import annotations

import httpx
import pytest
from xero_testkit import invoice_data, line

from hookspecs import (
    AuthError,
    MappingError,
    ProviderDown,
    RateLimited,
    TaxRateData,
    ValidationError,
)
from psa_xero.sandbox import UK_TENANT_ID

from decimal import Decimal


def test_hook_on_invoice_sent_unmapped_tax_rate_with_several_candidates_fails_before_writing(
        connected_connection, hook, sandbox_api):
    invoice = invoice_data(lines=(line(tax_rate=TaxRateData(id=77, name="Zero rated",
                                                            rate=Decimal("0"))),))
    with pytest.raises(MappingError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice, idempotency_key="f-1")
    assert "'Zero rated' (0 %)" in err.value.message
    assert "ZERORATEDOUTPUT" in err.value.message and "EXEMPTOUTPUT" in err.value.message
    assert "Map the tax rate" in err.value.fix
    assert not [i for i in sandbox_api(UK_TENANT_ID, "invoices").values()
                if i["InvoiceNumber"] == invoice.number]


def test_hook_on_invoice_sent_unmapped_tax_rate_with_one_xero_rate_of_that_percentage(
        connected_connection, hook, sandbox_api):
    invoice = invoice_data(lines=(line(tax_rate=TaxRateData(id=79, name="UK VAT 20%",
                                                            rate=Decimal("20.0000"))),),
                           tax_total="300.00")
    result = hook(connected_connection, "on_invoice_sent", invoice=invoice,
                  idempotency_key="f-1b")
    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert doc["LineItems"][0]["TaxType"] == "OUTPUT2"
    assert Decimal(str(doc["Total"])) == invoice.total == Decimal("1800.00")
    assert "booked as Xero's '20% (VAT on Income)' (OUTPUT2), the only Xero sales rate of 20 %" \
        in result.note


def test_hook_on_invoice_sent_tax_type_xero_rejects_shows_xeros_message(connected_connection,
                                                                        hook, set_mapping):
    rate = TaxRateData(id=78, name="GST", rate=Decimal("15"))
    set_mapping(connected_connection, "tax_type", rate.id, "GSTONINCOME")
    invoice = invoice_data(lines=(line(tax_rate=rate),))
    with pytest.raises(MappingError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice, idempotency_key="f-2")
    assert "The TaxType code GSTONINCOME does not exist" in err.value.message
    assert "active Xero sales tax rate" in err.value.fix and err.value.retryable is False


def test_hook_on_invoice_sent_archived_default_account_is_a_mapping_error(xero_connection,
                                                                          hook):
    conn = xero_connection("uk", settings={"default_revenue_account": "250"})
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=invoice_data(), idempotency_key="f-3")
    assert "250" in err.value.message and "revenue account" in err.value.fix


def test_hook_on_invoice_sent_lock_date_says_why(connected_connection, hook, xero_server):
    httpx.post(f"{xero_server.url}/_sandbox/lock-dates",
               json={"tenant_id": UK_TENANT_ID, "PeriodLockDate": "2026-11-30"}
               ).raise_for_status()
    with pytest.raises(ValidationError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice_data(),
             idempotency_key="f-4")
    assert "lock date" in err.value.message and "lock date" in err.value.fix


def test_hook_on_invoice_sent_minute_limit_is_rate_limited_with_retry_after(
        connected_connection, hook, faults):
    faults("rate_limit", path="/api.xro/2.0/", headers={"Retry-After": "7",
                                                        "X-Rate-Limit-Problem": "minute"})
    with pytest.raises(RateLimited) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice_data(),
             idempotency_key="f-5")
    assert "60 calls per minute" in err.value.message and err.value.retry_after == 7
    assert err.value.retryable and err.value.fix


def test_hook_on_invoice_sent_xero_down_is_provider_down(connected_connection, hook, faults):
    faults("status", path="/api.xro/2.0/Invoices$", method="PUT", status=503,
           body="Organisation offline")
    with pytest.raises(ProviderDown) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice_data(),
             idempotency_key="f-6")
    assert "Organisation offline" in err.value.message and err.value.retryable


def test_hook_on_invoice_sent_500_is_provider_down(connected_connection, hook, faults):
    faults("status", path="/api.xro/2.0/Invoices$", method="PUT", status=500, body="oops")
    with pytest.raises(ProviderDown) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice_data(),
             idempotency_key="f-7")
    assert "HTTP 500" in err.value.message and err.value.retryable


def test_hook_on_invoice_sent_organisation_disconnected_in_xero_is_auth(connected_connection,
                                                                        hook, faults):
    faults("status", path="/api.xro/2.0/", status=403,
           body='{"Type":null,"Title":"Forbidden","Status":403,"Detail":"AuthenticationUnsuccessful"}',
           headers={"Content-Type": "application/json"})
    with pytest.raises(AuthError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice_data(),
             idempotency_key="f-8")
    assert "AuthenticationUnsuccessful" in err.value.message and "Reconnect" in err.value.fix
