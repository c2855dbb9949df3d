"""Issue 4, points 1, 4 and 6 end to end: connect through the real OAuth pages, send an invoice
from the host's page, the worker process pushes it to the QuickBooks sandbox, and the invoice
page shows QuickBooks' number as a link into QuickBooks. With faults injected at the sandbox
(a 500, a 429, a write committed whose answer is lost, an expired access token) the invoice
still ends up in QuickBooks exactly once.

Uses the ``payments_world`` of this folder's conftest (sandbox + host + worker process).
"""

from __future__ import annotations

import itertools
from decimal import Decimal

import httpx
import pytest

from host.integrations.e2e import poll_for, provider_link, sync_status
from psa_quickbooks.sandbox import US_REALM

pytestmark = pytest.mark.e2e
_n = itertools.count(1)


def consent_for(world):
    def consent(authorize_url: str) -> str:
        resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": US_REALM},
                          follow_redirects=False, timeout=15)
        assert resp.status_code in (302, 303), resp.text
        return resp.headers["Location"]

    return consent


@pytest.fixture
def tenant(payments_world):
    env = payments_world.env
    payments_world.control("DELETE", "faults")
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent_for(payments_world),
                         setup={"default_item": "2"})
    yield tenant
    payments_world.control("DELETE", "faults")
    page = f"/settings/integrations?business_unit={tenant.business_unit_id}"
    tenant.user.post_form(page, f"/settings/integrations/connections/{tenant.connection_id}/"
                                "disconnect")


def stored(world, entity: str) -> list[dict]:
    return world.control("GET", f"companies/{US_REALM}/entities/{entity}").json()[entity]


def send_invoice(world, tenant, lines=None) -> tuple[int, str]:
    """Draft and send an invoice for a new client; returns (host invoice id, client name)."""
    n = next(_n)
    name = f"E2E Push Client {n}"
    invoice_id = world.env.draft_invoice(tenant, lines=lines, client={
        "name": name, "billing_email": f"ap{n}@push-e2e.test"})
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    assert resp.status_code in (302, 303), resp.text
    return invoice_id, name


def wait_synced(world, invoice_id, timeout=60.0) -> dict:
    try:
        row = poll_for(lambda: world.env.sync_row(invoice_id),
                       lambda r: r and r["status"] in ("synced", "failed"), timeout=timeout,
                       what="the invoice pushed to QuickBooks")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; record {world.env.sync_row(invoice_id)}; worker log "
                             f"{world.env.worker_log()[-2000:]}") from None
    assert row["status"] == "synced", (row, world.env.worker_log()[-3000:])
    return row


def invoices_of(world, customer_name: str) -> list[dict]:
    customers = [c["Id"] for c in stored(world, "Customer") if c["DisplayName"] == customer_name]
    assert len(customers) == 1, customers
    return [i for i in stored(world, "Invoice") if i["CustomerRef"]["value"] == customers[0]]


def test_connect_send_and_see_the_quickbooks_number_link(payments_world, tenant):
    world, env = payments_world, payments_world.env
    tile = tenant.user.page(f"/settings/integrations?business_unit={tenant.business_unit_id}")
    assert "Sandbox Company US (Sales Tax)" in tile  # company name shown on the tile

    lines = [{"quantity": Decimal("10"), "unit_price": Decimal("150"),
              "description": "Consulting, October"},
             {"quantity": Decimal("1"), "unit_price": Decimal("80"), "description": "Travel"}]
    invoice_id, client = send_invoice(world, tenant, lines)
    row = wait_synced(world, invoice_id)

    [invoice] = invoices_of(world, client)
    assert invoice["Id"] == row["external_id"] and invoice["DocNumber"] == row["number"]
    assert [(ln["Description"], ln["Amount"]) for ln in invoice["Line"]
            if ln["DetailType"] == "SalesItemLineDetail"] == [
        ("Consulting, October", 1500), ("Travel", 80)]
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
        invoice_id, client = send_invoice(world, tenant)
        row = wait_synced(world, invoice_id, timeout=90)
    finally:
        world.control("POST", "settings", json={"retry_after": None})
    assert row["attempts"] >= 2, row  # the first attempt met the fault
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced" and provider_link(page)


def token_calls(world) -> int:
    return len(world.control("GET", "requests", params={
        "path": "/oauth2/v1/tokens/bearer", "limit": 1000}).json()["requests"])


def test_an_expired_access_token_is_refreshed_and_the_invoice_pushed_once(payments_world,
                                                                          tenant):
    world = payments_world
    before = token_calls(world)
    world.control("POST", "clock/advance", json={"seconds": 3700})  # the sandbox says: expired
    invoice_id, client = send_invoice(world, tenant)
    row = wait_synced(world, invoice_id)
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    assert token_calls(world) > before  # the host refreshed after QuickBooks' 401
    assert sync_status(tenant.user.page(f"/invoices/{invoice_id}")) == "synced"


def test_uk_company_invoice_has_a_tax_code_on_every_line(payments_world):
    from psa_quickbooks.sandbox import UK_REALM

    world, env = payments_world, payments_world.env

    def consent(authorize_url: str) -> str:
        resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": UK_REALM},
                          follow_redirects=False, timeout=15)
        assert resp.status_code in (302, 303), resp.text
        return resp.headers["Location"]

    codes = world.control("GET", f"companies/{UK_REALM}/entities/TaxCode").json()["TaxCode"]
    zero = next(c["Id"] for c in codes if c["Name"] == "0.0% Z")
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent,
                         setup={"default_item": "2", "non_us": "y", "untaxed_tax_code": zero})
    try:
        invoice_id, client = send_invoice(world, tenant)
        row = wait_synced(world, invoice_id)
        customers = [c["Id"] for c in world.control(
            "GET", f"companies/{UK_REALM}/entities/Customer").json()["Customer"]
            if c["DisplayName"] == client]
        invoices = [i for i in world.control("GET", f"companies/{UK_REALM}/entities/Invoice")
                    .json()["Invoice"] if i["CustomerRef"]["value"] in customers]
        assert [i["Id"] for i in invoices] == [row["external_id"]]
        [line] = [ln for ln in invoices[0]["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
        assert line["SalesItemLineDetail"]["TaxCodeRef"]["value"] == zero
        assert invoices[0]["GlobalTaxCalculation"] == "TaxExcluded"
        page = tenant.user.page(f"/invoices/{invoice_id}")
        assert provider_link(page)[2].strip() == invoices[0]["DocNumber"]
    finally:
        page = f"/settings/integrations?business_unit={tenant.business_unit_id}"
        tenant.user.post_form(page, f"/settings/integrations/connections/{tenant.connection_id}/"
                                    "disconnect")


def test_disconnect_revokes_at_intuit_and_keeps_data_on_both_sides(payments_world):
    world, env = payments_world, payments_world.env
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent_for(world),
                         setup={"default_item": "2"})
    invoice_id, client = send_invoice(world, tenant)
    row = wait_synced(world, invoice_id)
    revokes = lambda: len(world.control("GET", "requests", params={  # noqa: E731
        "path": "/oauth2/v1/tokens/revoke", "limit": 1000}).json()["requests"])
    before = revokes()
    page = f"/settings/integrations?business_unit={tenant.business_unit_id}"
    resp = tenant.user.post_form(page, f"/settings/integrations/connections/"
                                       f"{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303)
    assert revokes() > before  # the host revoked the token at the sandbox's Intuit endpoint
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    invoice_page = tenant.user.page(f"/invoices/{invoice_id}")
    assert provider_link(invoice_page)[2].strip() == row["number"]  # the link stays in the host
