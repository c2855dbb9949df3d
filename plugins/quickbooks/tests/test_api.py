"""The API client against the sandbox: URL shape, paging, typed read errors, request ids."""

from __future__ import annotations

import pytest

from hookspecs import NotFoundError
from psa_quickbooks.api import QboClient, quote, request_id
from psa_quickbooks.sandbox import US_REALM


@pytest.fixture
def client(qbo_connection, db):
    from host.integrations.handle import handle_for

    handle = handle_for(qbo_connection("us"))
    yield QboClient(handle)
    handle.close()


def test_calls_go_to_the_realm_with_minorversion_and_json(qbo, client):
    qbo.control("DELETE", "requests")
    assert client.company_info()["CompanyName"] == "Sandbox Company US (Sales Tax)"
    [entry] = qbo.requests(path="/companyinfo/")
    text = str(entry)
    assert f"/v3/company/{US_REALM}/companyinfo/{US_REALM}" in text and "minorversion=75" in text


def test_query_all_pages_until_a_short_page(qbo, client):
    every = client.query_all("Customer", "Active IN (true, false)", page_size=2)
    assert len(every) == len(qbo.entities(US_REALM, "Customer")) == 4
    assert len({c["Id"] for c in every}) == 4


def test_quote_escapes_apostrophes_for_the_query_language(client):
    assert quote("Adam's Candy Shop") == "'Adam\\'s Candy Shop'"
    name = quote("Adam's Candy Shop")
    rows = client.query(f"SELECT * FROM Customer WHERE DisplayName = {name}")
    assert [r["DisplayName"] for r in rows] == ["Adam's Candy Shop"]


def test_read_of_an_unknown_id_is_not_found(client):
    with pytest.raises(NotFoundError) as err:
        client.read("Invoice", "4040")
    assert "no longer exists" in err.value.message and err.value.fix


def test_request_ids_are_stable_and_at_most_50_characters():
    key = "0f8fad5b-d9cb-469f-a165-70867728950e"
    assert request_id(key, "invoice", "abc") == request_id(key, "invoice", "abc")
    assert request_id(key, "invoice", "abc") != request_id(key, "invoice", "abd")
    assert len(request_id(key, "customer", "1234567890abcdef", "3")) <= 50
    assert request_id("short", "x") == "short-x"
