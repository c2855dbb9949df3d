"""Issue 10: an invoice in a currency other than the organisation's base currency.

In a currency the organisation has not added: a mapping error naming both currencies and the
fix, and nothing written in Xero (never booked in the base currency instead). In a currency it
has: booked in that currency at Xero's own rate, which the record states.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from xero_testkit import invoice_data, line

from hookspecs import MappingError
from psa_xero.sandbox import MC_TENANT_ID, UK_TENANT_ID

D = Decimal


def test_hook_on_invoice_sent_refuses_a_currency_the_organisation_has_not_added(
        xero_connection, hook, sandbox_api):
    conn = xero_connection("uk")
    contacts_before = len(sandbox_api(UK_TENANT_ID, "contacts"))
    invoice = invoice_data(currency="EUR", lines=(line("Workshop", "1", "1580.00"),))

    with pytest.raises(MappingError) as caught:
        hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="eur-1")

    error = caught.value
    assert f"Invoice {invoice.number} is in EUR" in error.message
    assert "keeps its books in GBP and has not added EUR" in error.message
    assert "add EUR under Settings > Currencies" in error.fix
    assert sandbox_api(UK_TENANT_ID, "invoices") == {}
    assert len(sandbox_api(UK_TENANT_ID, "contacts")) == contacts_before


def test_hook_on_invoice_sent_books_an_added_currency_at_xeros_rate(xero_connection, hook,
                                                                    sandbox_api):
    conn = xero_connection("mc")
    invoice = invoice_data(currency="EUR", lines=(line("Workshop", "1", "1580.00"),))

    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="eur-2")

    doc = sandbox_api(MC_TENANT_ID, "invoices", result.external_id)
    assert doc["CurrencyCode"] == "EUR" and D(str(doc["Total"])) == D("1580.00")
    assert doc["CurrencyRate"] == 1.164557  # the sandbox's day rate GBP -> EUR
    assert ("Booked in EUR at 1 EUR = 0.858696 GBP (Xero's rate: 1 GBP = 1.164557 EUR)."
            in result.note)
    assert result.differences == ()


def test_hook_on_invoice_sent_in_the_base_currency_says_nothing_about_rates(
        xero_connection, hook, sandbox_api):
    conn = xero_connection("mc")
    result = hook(conn, "on_invoice_sent", invoice=invoice_data(currency="GBP"),
                  idempotency_key="gbp-1")
    doc = sandbox_api(MC_TENANT_ID, "invoices", result.external_id)
    assert (doc["CurrencyCode"], doc["CurrencyRate"]) == ("GBP", 1.0)
    assert "rate" not in (result.note or "")


def test_hook_on_credit_note_books_it_in_the_invoices_currency(xero_connection, hook,
                                                              sandbox_api):
    from hookspecs import CreditNoteData, ExternalRef

    conn = xero_connection("mc")
    invoice = invoice_data(currency="USD", lines=(line("Advisory", "2", "500.00"),))
    pushed = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="usd-1")
    note = CreditNoteData(
        id=invoice.id + 1, number=f"CN-{invoice.id}", invoice_id=invoice.id,
        invoice_number=invoice.number, currency="USD", issue_date=invoice.issue_date,
        client=invoice.client, lines=(line("Advisory (credited)", "1", "500.00"),),
        subtotal=D("500.00"), tax_total=D("0"), total=D("500.00"), reason="Overbilled",
        invoice_external=ExternalRef(external_id=pushed.external_id, number=pushed.number))

    result = hook(conn, "on_credit_note", credit_note=note, idempotency_key="usd-cn-1")

    doc = sandbox_api(MC_TENANT_ID, "credit_notes", result.external_id)
    assert (doc["CurrencyCode"], doc["CurrencyRate"]) == ("USD", 1.265823)
    assert ("Booked in USD at 1 USD = 0.79 GBP (Xero's rate: 1 GBP = 1.265823 USD)."
            in result.note)
    assert D(str(sandbox_api(MC_TENANT_ID, "invoices", pushed.external_id)["AmountDue"])) \
        == D("500.00")


def test_hook_on_invoice_sent_resend_in_another_currency_updates_xeros_currency(
        xero_connection, hook, sandbox_api):
    """The client's currency changed in the PSA and the invoice is sent again: Xero's copy
    moves to the new currency (an otherwise unchanged invoice is not left in the old one)."""
    from dataclasses import replace

    from hookspecs import ExternalRef

    conn = xero_connection("mc")
    invoice = invoice_data(currency="GBP")
    first = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="cur-1")
    again = hook(conn, "on_invoice_sent", idempotency_key="cur-2", invoice=replace(
        invoice, currency="EUR", external=ExternalRef(first.external_id, first.number)))
    doc = sandbox_api(MC_TENANT_ID, "invoices", first.external_id)
    assert again.external_id == first.external_id
    assert (doc["CurrencyCode"], doc["CurrencyRate"]) == ("EUR", 1.164557)
