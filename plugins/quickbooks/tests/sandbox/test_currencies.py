"""Multicurrency in the sandbox: the currency list, QuickBooks' own rates (``/exchangerate``),
foreign-currency invoices (``ExchangeRate``, ``HomeTotalAmt``), and a company without
multicurrency keeping everything in its home currency."""
import pytest

from psa_quickbooks.sandbox import DEFAULT_REALMS

MC = DEFAULT_REALMS["multicurrency"]


def fault(r):
    return r.json()["Fault"]["Error"][0]


@pytest.fixture
def mc(qbo):
    return qbo.for_realm(MC)


def _euro_customer(api, name="Euro GmbH"):
    return api.create("Customer", {"DisplayName": name, "CurrencyRef": {"value": "EUR"}})


def _invoice(customer_id, currency="EUR", **extra):
    return {"CustomerRef": {"value": customer_id}, "CurrencyRef": {"value": currency},
            "TxnDate": "2026-11-02",
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 1580,
                      "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1,
                                              "UnitPrice": 1580, "TaxCodeRef": {"value": "NON"}}}],
            **extra}


def test_exchangerate_answers_quickbooks_rate_for_a_listed_currency(mc):
    r = mc.get("exchangerate", sourcecurrencycode="EUR", asofdate="2026-11-02")
    assert r.status_code == 200, r.text
    rate = r.json()["ExchangeRate"]
    assert (rate["SourceCurrencyCode"], rate["TargetCurrencyCode"], rate["Rate"],
            rate["AsOfDate"]) == ("EUR", "USD", 1.085, "2026-01-01")
    r = mc.get("exchangerate", sourcecurrencycode="CAD")  # inactive
    assert r.status_code == 400 and fault(r)["code"] == "610"


def test_exchangerate_needs_multicurrency(qbo):
    r = qbo.get("exchangerate", sourcecurrencycode="EUR")
    assert r.status_code == 400 and fault(r)["code"] == "6000"


def test_foreign_invoice_gets_quickbooks_rate_or_the_one_sent(mc):
    customer = _euro_customer(mc)
    assert customer["CurrencyRef"]["value"] == "EUR"
    own = mc.create("Invoice", _invoice(customer["Id"]))
    assert own["CurrencyRef"] == {"value": "EUR", "name": "Euro"}
    assert own["ExchangeRate"] == 1.085 and own["TotalAmt"] == 1580
    assert own["HomeTotalAmt"] == 1714.3
    sent = mc.create("Invoice", _invoice(customer["Id"], ExchangeRate=1.1))
    assert sent["ExchangeRate"] == 1.1 and sent["HomeTotalAmt"] == 1738


def test_currency_must_be_listed_and_match_the_customer(mc):
    r = mc.post("customer", {"DisplayName": "Maple Inc", "CurrencyRef": {"value": "CAD"}})
    assert r.status_code == 400 and "not in this company's currency list" in fault(r)["Detail"]
    r = mc.post("invoice", _invoice("1"))  # Acme Ltd is billed in USD
    assert r.status_code == 400 and "must match the customer's currency" in fault(r)["Detail"]
    home = mc.create("Invoice", _invoice("1", currency="USD"))
    assert home["ExchangeRate"] == 1 and home["HomeTotalAmt"] == home["TotalAmt"] == 1580


def test_without_multicurrency_everything_is_home_currency(qbo):
    customer = qbo.create("Customer", {"DisplayName": "Euro GmbH", "CurrencyRef": {"value": "EUR"}})
    assert customer["CurrencyRef"]["value"] == "USD"
    inv = qbo.create("Invoice", _invoice(customer["Id"], ExchangeRate=1.1))
    assert inv["CurrencyRef"]["value"] == "USD" and "ExchangeRate" not in inv
    assert inv["TotalAmt"] == inv["HomeTotalAmt"] == 1580  # EUR 1,580 became USD 1,580


def test_the_currency_list_is_queryable_and_read_only(mc):
    rows = mc.rows("select * from CompanyCurrency")
    assert {(c["Code"], c["Active"]) for c in rows} >= {("EUR", True), ("CAD", False)}
    r = mc.post("companycurrency", {"Code": "JPY"})
    assert r.status_code >= 400
