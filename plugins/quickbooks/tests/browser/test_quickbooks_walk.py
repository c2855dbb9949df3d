"""Issue 4 acceptance: an admin walks from Connect to a paid invoice in headless Chromium.

The host runs over real HTTP with a real worker process and only the quickbooks plugin; the
QuickBooks sandbox is a real server whose consent page, company pages and webhooks are used as a
user would use Intuit's. Nothing is inserted behind the host's back except the draft invoice
the admin sends (a client with a billing email and a project in the chosen business unit).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from host.integrations.e2e import invoice_status, poll
from host.integrations.testing import browser_connect, browser_login
from psa_quickbooks.sandbox import US_REALM
from qbo_e2ekit import Books

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

US_COMPANY = "Sandbox Company US (Sales Tax)"



def _sandbox_invoices(world) -> list[dict]:
    """The invoices in the sandbox's US company, read over its API with a fresh token."""
    books = Books(world)
    try:
        return books.query("Invoice")
    finally:
        books.close()


def test_walk_connect_test_send_link_and_paid_in_quickbooks(qbo_world, page):
    env = qbo_world.env
    org = env.new_org()
    west = org.business_unit_ids[1]
    before = {inv["Id"] for inv in _sandbox_invoices(qbo_world)}

    # 1-2. Log in; Settings > Integrations; the business unit; Connect; confirm; consent.
    browser_login(page, env.url, org.admin_email, org.password)
    browser_connect(page, "quickbooks", "QuickBooks Online", "Consulting West", west)
    page.wait_for_url(re.compile(re.escape(qbo_world.sandbox_url) + "/connect/oauth2"))
    page.select_option("select#company-select", value=US_REALM)
    page.click("button#authorize")

    # 3. Back in the host on the Test Connection step, the default product prefilled.
    page.wait_for_url(re.compile(r"/connections/\d+/setup$"))
    wizard = page.locator("#setup-wizard")
    expect(wizard.locator("h2")).to_have_text("Test connection")
    expect(wizard).to_contain_text(US_COMPANY)
    item = page.locator("#default_item")
    assert item.input_value(), "no default product/service was prefilled"
    prefilled = item.locator("option:checked").inner_text().strip()
    assert "Consulting" in prefilled or "Services" in prefilled, prefilled
    expect(page.locator("#non_us")).not_to_be_checked()  # a US company, from its country

    # 4. Test, with the optional write check: every check listed with its outcome, none
    #    failed; the write check removes what it created (step 7 finds ONE new invoice).
    page.check("#write-check")
    page.click("#run-test")
    result = page.locator("#test-result")
    expect(result).to_have_attribute("data-ok", "true")
    outcome = dict(zip(result.locator("li.check strong").all_inner_texts(),
                       result.locator("li.check").evaluate_all(
                           "els => els.map(e => e.dataset.status)")))
    for name in ("Credentials and permissions", "Company", "Default product/service",
                 "Income account", "Write access"):
        assert outcome.get(name) == "pass", (name, result.inner_text())
    assert "fail" not in outcome.values(), result.inner_text()

    # 5. Save & finish: the tile shows the company.
    page.click("#finish-setup")
    page.wait_for_url(re.compile(rf"/settings/integrations\?business_unit={west}"))
    tile = page.locator('.tile[data-provider="quickbooks"]')
    expect(tile.locator(".status")).to_have_text("Connected")
    expect(tile.locator(".tenant-name")).to_have_text(US_COMPANY)

    # 6. Send an invoice from its page (Invoices > the invoice > Approve and send).
    invoice_id = env.draft_invoice(
        _tenant(env, org, west), lines=[{"quantity": 2, "unit_price": Decimal("150.00"),
                                         "description": "Consulting, November"}])
    page.locator("header.topbar nav a", has_text="Invoices").click()
    page.locator(f'tr.invoice-row[data-invoice-id="{invoice_id}"] a.invoice-link').click()
    page.wait_for_url(re.compile(rf"/invoices/{invoice_id}$"))
    page.click("#send-invoice")

    # 7. The sync panel turns Synced and shows the QuickBooks number as a link to the sandbox.
    _wait_for_push(page)
    link = page.locator("a.provider-number").first
    (pushed,) = [inv for inv in _sandbox_invoices(qbo_world) if inv["Id"] not in before]
    assert Decimal(str(pushed["TotalAmt"])) >= Decimal("300.00")
    expect(link).to_have_text(pushed["DocNumber"])
    assert link.get_attribute("target") == "_blank"
    href = link.get_attribute("href")
    assert href.startswith(qbo_world.sandbox_url), href

    # 8. The link opens the invoice in the sandbox's company; pay it there in full.
    page.goto(href)
    expect(page.locator("h1")).to_have_text(f"Invoice {pushed['DocNumber']}")
    page.goto(f"{qbo_world.sandbox_url}/company/{US_REALM}/invoices")
    row = page.locator(f'tr[data-invoice-id="{pushed["Id"]}"]')
    row.locator("button.receive-payment").click()
    expect(page.locator("#message")).to_contain_text(f"invoice {pushed['DocNumber']}")

    # 9. The webhook reaches the host; the invoice is paid there.
    page.goto(f"{env.url}/invoices/{invoice_id}")

    def paid() -> bool:
        page.reload()
        return invoice_status(page.content()) == "paid"

    try:
        poll(paid, timeout=40, interval=1.0, what="the invoice paid in the host")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n{qbo_world.diagnose()}") from None
    expect(page.locator(".invoice-status")).to_have_attribute("data-status", "paid")
    expect(page.locator("#invoice-balance")).to_contain_text("0.00")


def _tenant(env, org, business_unit_id):
    """The e2e Tenant for ``draft_invoice`` (the connection made through the pages above)."""
    from host.extensions import db
    from host.integrations.e2e import Tenant
    from host.models import Connection

    with env.app.app_context():
        conn = db.session.scalars(db.select(Connection).filter_by(
            business_unit_id=business_unit_id, status="connected")).one()
        cid = conn.id
        db.session.remove()
    return Tenant(org.id, business_unit_id, cid, user=None)


def _wait_for_push(page) -> None:
    """Wait until the sync panel says Synced; a sync error shown meanwhile fails with its text."""
    page.locator(".sync-status[data-status='synced'], .sync-error").first.wait_for(timeout=45000)
    panel = page.locator("#sync-panel")
    assert page.locator(".sync-error").count() == 0, panel.inner_text()
    expect(page.locator(".sync-status").first).to_have_attribute("data-status", "synced")
