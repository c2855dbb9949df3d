"""Currencies: GET/PUT /Currencies, foreign-currency invoices and credit notes only in a
currency the organisation has, CurrencyRate kept (the client's, else the day rate) and shown."""

from __future__ import annotations

import httpx

from psa_xero.sandbox import MC_TENANT_ID, UK_TENANT_ID
from psa_xero.sandbox.seed import sid

from .conftest import Xero, invoice_body

NOT_SUBSCRIBED = "Organisation is not subscribed to currency EUR"


def _mc(server, mint) -> Xero:
    return Xero(server.url, mint()["access_token"], tenant=MC_TENANT_ID)


def _mc_body(**overrides) -> dict:
    return invoice_body(Contact={"ContactID": sid(MC_TENANT_ID, "contact:acme")}, **overrides)


def test_currencies_lists_the_base_currency_and_the_added_ones(xero, server, mint):
    uk = xero.get("Currencies")
    assert uk.status_code == 200, uk.text
    assert [c["Code"] for c in uk.json()["Currencies"]] == ["GBP"]
    mc = _mc(server, mint).get("Currencies")
    assert [(c["Code"], c["Description"]) for c in mc.json()["Currencies"]] == [
        ("GBP", "British Pound"), ("EUR", "Euro"), ("USD", "United States Dollar")]
    only = _mc(server, mint).get("Currencies", params={"where": 'Code=="EUR"'})
    assert [c["Code"] for c in only.json()["Currencies"]] == ["EUR"]


def test_an_invoice_in_a_currency_the_organisation_lacks_is_refused(xero):
    resp = xero.put("Invoices", {"Invoices": [invoice_body(CurrencyCode="EUR")]})
    assert resp.status_code == 400
    element = resp.json()["Elements"][0]
    assert [e["Message"] for e in element["ValidationErrors"]] == [NOT_SUBSCRIBED]
    assert xero.get("Invoices").json()["Invoices"] == []


def test_a_credit_note_in_a_currency_the_organisation_lacks_is_refused(xero):
    resp = xero.put("CreditNotes", {"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": sid(UK_TENANT_ID, "contact:acme")},
        "Date": "2026-03-10", "Status": "AUTHORISED", "CurrencyCode": "EUR",
        "LineItems": [{"Description": "Credit", "Quantity": 1, "UnitAmount": 50,
                       "AccountCode": "200", "TaxType": "OUTPUT2"}]}]})
    assert resp.status_code == 400
    assert NOT_SUBSCRIBED in resp.text


def test_added_currency_books_at_the_day_rate_shown_on_the_pages(xero, server):
    added = xero.put("Currencies", {"Code": "EUR", "Description": "Euro"})
    assert added.status_code == 200, added.text
    assert added.json()["Currencies"] == [{"Code": "EUR", "Description": "Euro"}]
    assert [c["Code"] for c in xero.get("Currencies").json()["Currencies"]] == ["GBP", "EUR"]
    inv = xero.invoice(CurrencyCode="EUR")
    # GBP -> EUR through the sandbox's dollar rates: 0.92 / 0.79
    assert inv["CurrencyCode"] == "EUR" and inv["CurrencyRate"] == 1.164557
    assert inv["Total"] == 1800.0  # amounts stay in the invoice's currency
    org_page = httpx.get(f"{server.url}/orgs/{UK_TENANT_ID}").text
    assert '<tr data-currency="EUR">' in org_page and "1.164557 EUR" in org_page
    page = httpx.get(f"{server.url}/orgs/{UK_TENANT_ID}/invoices/{inv['InvoiceID']}").text
    assert "EUR at 1.164557 (1 GBP = 1.164557 EUR)" in page


def test_a_client_rate_is_kept_and_survives_an_update(server, mint):
    mc = _mc(server, mint)
    resp = mc.put("Invoices", {"Invoices": [_mc_body(CurrencyCode="USD", CurrencyRate=1.25)]})
    assert resp.status_code == 200, resp.text
    inv = resp.json()["Invoices"][0]
    assert (inv["CurrencyCode"], inv["CurrencyRate"]) == ("USD", 1.25)
    edited = mc.post(f"Invoices/{inv['InvoiceID']}",
                     {"Invoices": [{"InvoiceID": inv["InvoiceID"], "Reference": "PO 7"}]})
    assert edited.json()["Invoices"][0]["CurrencyRate"] == 1.25
    base = mc.invoice(Contact={"ContactID": sid(MC_TENANT_ID, "contact:acme")},
                      CurrencyRate=3)
    assert (base["CurrencyCode"], base["CurrencyRate"]) == ("GBP", 1.0)


def test_a_non_positive_rate_and_an_unknown_currency_are_refused(server, mint):
    mc = _mc(server, mint)
    bad_rate = mc.put("Invoices", {"Invoices": [_mc_body(CurrencyCode="EUR", CurrencyRate=0)]})
    assert bad_rate.status_code == 400
    assert "The currency rate must be greater than zero." in bad_rate.text
    unknown = mc.put("Currencies", {"Code": "XCD", "Description": "East Caribbean Dollar"})
    assert unknown.status_code == 400
    assert "Currency code 'XCD' is not a valid currency." in unknown.text
