"""Issue 4, points 1, 4 and 6 end to end: connect through the real OAuth pages, send an invoice
from the host's page, the worker process pushes it to the QuickBooks sandbox, and the invoice
page shows QuickBooks' number as a link into QuickBooks. With faults injected at the sandbox
(a 500, a 429, a write committed whose answer is lost, an expired access token) the invoice
still ends up in QuickBooks exactly once.

Uses the ``payments_world`` of this folder's conftest (sandbox + host + worker process).
"""

from __future__ import annotations

from decimal import Decimal
from functools import partial

import httpx
import pytest

from host.integrations.e2e import provider_link, sync_status
from psa_quickbooks.sandbox import US_REALM
from qbo_e2ekit import connect, connect_uk, disconnect, invoices_of, sales_lines, send_new_invoice

pytestmark = pytest.mark.e2e
send_invoice = partial(send_new_invoice, tag="push")  # -> (host id, client name, record)


def test_connect_send_and_see_the_quickbooks_number_link(payments_world, tenant):
    world, env = payments_world, payments_world.env
    tile = tenant.user.page(f"/settings/integrations?business_unit={tenant.business_unit_id}")
    assert "Sandbox Company US (Sales Tax)" in tile  # company name shown on the tile

    lines = [{"quantity": Decimal("10"), "unit_price": Decimal("150"),
              "description": "Consulting, October"},
             {"quantity": Decimal("1"), "unit_price": Decimal("80"), "description": "Travel"}]
    invoice_id, client, row = send_invoice(env, tenant, lines)

    [invoice] = invoices_of(world, client)
    assert invoice["Id"] == row["external_id"] and invoice["DocNumber"] == row["number"]
    assert sales_lines(invoice) == [("Consulting, October", 1500), ("Travel", 80)]
    assert invoice["TotalAmt"] == 1580
    assert invoice["BillEmail"]["Address"].endswith("@push-e2e.test")

    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced"
    href, target, text = provider_link(page)
    assert text.strip() == invoice["DocNumber"] and target == "_blank"
    href = href.replace("&amp;", "&")
    assert href == f"{world.sandbox_url}/app/invoice?txnId={invoice['Id']}&realmId={US_REALM}"
    opened = httpx.get(href, follow_redirects=True, timeout=15)
    assert opened.status_code == 200 and invoice["DocNumber"] in opened.text


@pytest.mark.parametrize("fault", [
    {"kind": "status", "status": 500, "body": {}},
    {"kind": "rate_limit"},
    {"kind": "drop_after_commit"},
], ids=["server-error", "throttled", "lost-response"])
def test_a_fault_on_the_invoice_write_still_ends_in_exactly_one_invoice(payments_world, tenant,
                                                                        fault):
    world = payments_world
    world.control("POST", "settings", json={"retry_after": 1})  # keep the 429 wait short
    try:
        world.control("POST", "faults", json={"method": "POST", "path": "/invoice$",
                                              "count": 1, **fault})
        invoice_id, client, row = send_invoice(world.env, tenant, timeout=90)
    finally:
        world.control("POST", "settings", json={"retry_after": None})
    assert row["attempts"] >= 2, row  # the first attempt met the fault
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced" and provider_link(page)


def token_calls(world) -> int:
    return len(world.requests("/oauth2/v1/tokens/bearer"))


def test_an_expired_access_token_is_refreshed_and_the_invoice_pushed_once(payments_world,
                                                                          tenant):
    world = payments_world
    before = token_calls(world)
    world.control("POST", "clock/advance", json={"seconds": 3700})  # the sandbox says: expired
    invoice_id, client, row = send_invoice(world.env, tenant)
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    assert token_calls(world) > before  # the host refreshed after QuickBooks' 401
    assert sync_status(tenant.user.page(f"/invoices/{invoice_id}")) == "synced"


def test_uk_company_invoice_has_a_tax_code_on_every_line(payments_world):
    from psa_quickbooks.sandbox import UK_REALM

    world = payments_world
    tenant, codes = connect_uk(world)
    zero = codes["0.0% Z"]
    try:
        invoice_id, client, row = send_invoice(world.env, tenant)
        invoices = invoices_of(world, client, UK_REALM, one_customer=False)
        assert [i["Id"] for i in invoices] == [row["external_id"]]
        [(_, _, code)] = sales_lines(invoices[0], "TaxCodeRef.value")
        assert code == zero
        assert invoices[0]["GlobalTaxCalculation"] == "TaxExcluded"
        page = tenant.user.page(f"/invoices/{invoice_id}")
        assert provider_link(page)[2].strip() == invoices[0]["DocNumber"]
    finally:
        disconnect(tenant)


def test_disconnect_revokes_at_intuit_and_keeps_data_on_both_sides(payments_world):
    world = payments_world
    tenant = connect(world)
    invoice_id, client, row = send_invoice(world.env, tenant)
    revoke = "/oauth2/v1/tokens/revoke"
    before = len(world.requests(revoke))
    disconnect(tenant)  # asserts the page's redirect
    # the host revoked the token at the sandbox's Intuit endpoint
    assert len(world.requests(revoke)) > before
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    invoice_page = tenant.user.page(f"/invoices/{invoice_id}")
    assert provider_link(invoice_page)[2].strip() == row["number"]  # the link stays in the host
