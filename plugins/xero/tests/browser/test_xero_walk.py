"""Issue 6 acceptance: an admin walks from Connect to a paid invoice in headless Chromium,
choosing one of two authorized Xero organisations and the default revenue account.

The host runs over real HTTP with a real worker process and only the xero plugin; the Xero
sandbox is a real server whose consent screen, organisation pages and webhooks are used as a
user would use Xero's. Every request the plugin sent is checked against Xero's OpenAPI
documents at the end. Nothing is inserted behind the host's back except the draft invoice the
admin sends (a client with a billing email and a project in the chosen business unit).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from host.integrations.e2e import Tenant, invoice_status, poll
from host.integrations.testing import browser_connect, browser_login
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

US_ORG = "Hudson Advisory"  # USD, like the host invoice (the UK organisation books GBP)
REVENUE_ACCOUNT = "4010"  # "Consulting Income", not the organisation's first revenue account



def _xero_invoices(world, tenant: str = US_TENANT_ID) -> dict[str, dict]:
    return world.control("GET", f"entities/{tenant}/invoices").json()


def _tenant(env, org, business_unit_id) -> Tenant:
    from host.extensions import db
    from host.models import Connection

    with env.app.app_context():
        cid = db.session.scalars(db.select(Connection.id).filter_by(
            business_unit_id=business_unit_id, status="connected")).one()
        db.session.remove()
    return Tenant(org.id, business_unit_id, cid, user=None)


def test_webhook_intent_to_receive_check_passed(xero_world):
    itr = xero_world.webhook["itr"]
    assert itr["passed"], itr


def test_walk_connect_pick_organisation_test_send_link_and_paid_in_xero(xero_world, page):
    env = xero_world.env
    org = env.new_org()
    west = org.business_unit_ids[1]
    before = set(_xero_invoices(xero_world))
    before_uk = set(_xero_invoices(xero_world, UK_TENANT_ID))

    # 1-2. Log in; Settings > Integrations; the business unit; Connect; confirm; consent.
    browser_login(page, env.url, org.admin_email, org.password)
    browser_connect(page, "xero", "Xero", "Consulting West", west)
    page.wait_for_url(re.compile(re.escape(xero_world.sandbox_url) + "/identity/connect/authorize"))
    page.check(f"input[name=tenant][value='{UK_TENANT_ID}']")
    page.check(f"input[name=tenant][value='{US_TENANT_ID}']")
    page.click("#allow")

    # 3. The host asks which organisation this business unit books into.
    picker = page.locator("#tenant-picker")
    expect(picker).to_be_visible()
    options = picker.locator("input[name=tenant]")
    assert sorted(options.evaluate_all("els => els.map(e => e.value)")) == sorted(
        [UK_TENANT_ID, US_TENANT_ID])
    expect(picker).to_contain_text(US_ORG)
    picker.locator(f"input[name=tenant][value='{US_TENANT_ID}']").check()
    page.click("#pick-tenant")

    # 4. The Test connection step: set the default revenue account, Test, Save & finish.
    page.wait_for_url(re.compile(r"/connections/\d+/setup$"))
    wizard = page.locator("#setup-wizard")
    expect(wizard.locator("h2")).to_have_text("Test connection")
    expect(wizard).to_contain_text(US_ORG)
    revenue = page.get_by_label(re.compile("revenue account", re.I))
    revenue.select_option(REVENUE_ACCOUNT)
    page.click("#run-test")
    result = page.locator("#test-result")
    expect(result).to_have_attribute("data-ok", "true")
    assert result.locator("li.check").count() >= 2, result.inner_text()
    assert result.locator("li.check-fail").count() == 0, result.inner_text()
    expect(page.get_by_label(re.compile("revenue account", re.I))).to_have_value(REVENUE_ACCOUNT)
    page.click("#finish-setup")
    page.wait_for_url(re.compile(rf"/settings/integrations\?business_unit={west}"))
    tile = page.locator('.tile[data-provider="xero"]')
    expect(tile.locator(".status")).to_have_text("Connected")
    expect(tile.locator(".tenant-name")).to_contain_text(US_ORG)

    # 5. Send an invoice from its page.
    invoice_id = env.draft_invoice(
        _tenant(env, org, west), lines=[{"quantity": 3, "unit_price": Decimal("120.00"),
                                         "description": "Design sprint"}])
    page.locator("header.topbar nav a", has_text="Invoices").click()
    page.locator(f'tr.invoice-row[data-invoice-id="{invoice_id}"] a.invoice-link').click()
    page.wait_for_url(re.compile(rf"/invoices/{invoice_id}$"))
    page.click("#send-invoice")

    # 6. Synced: the Xero number links to the invoice in Xero, booked to the chosen account.
    _wait_for_push(page)
    (pushed,) = [inv for key, inv in _xero_invoices(xero_world).items() if key not in before]
    assert pushed["Type"] == "ACCREC" and pushed["Status"] == "AUTHORISED", pushed
    assert [line.get("AccountCode") for line in pushed["LineItems"]] == [REVENUE_ACCOUNT]
    assert set(_xero_invoices(xero_world, UK_TENANT_ID)) == before_uk  # the other organisation
    link = page.locator("a.provider-number").first
    expect(link).to_have_text(pushed["InvoiceNumber"])
    assert link.get_attribute("target") == "_blank"
    href = link.get_attribute("href")
    assert href.startswith(xero_world.sandbox_url), href

    # 7. The link opens the invoice in the sandbox organisation; pay part, then the rest, on
    #    the organisation's page.
    page.goto(href)
    expect(page.locator("#invoice")).to_have_attribute("data-invoice-id", pushed["InvoiceID"])
    page.goto(f"{xero_world.sandbox_url}/orgs/{US_TENANT_ID}")
    row = page.locator(f'tr[data-invoice-id="{pushed["InvoiceID"]}"]')
    total = Decimal(row.locator(".total").inner_text())
    row.locator("input[name=amount]").fill("100.00")
    row.locator("button.record-payment").click()
    expect(page.locator(".flash")).to_contain_text("Payment of 100.00")

    # 8. The webhook reaches the host: partly paid, then paid after the rest.
    _wait_for_status(page, f"{env.url}/invoices/{invoice_id}", "partially_paid", xero_world)
    expect(page.locator("#invoice-paid")).to_contain_text("100.00")
    page.goto(f"{xero_world.sandbox_url}/orgs/{US_TENANT_ID}")
    row = page.locator(f'tr[data-invoice-id="{pushed["InvoiceID"]}"]')
    expect(row.locator("input[name=amount]")).to_have_value(f"{total - Decimal('100.00'):.2f}")
    row.locator("button.record-payment").click()
    expect(page.locator(".flash")).to_contain_text(f"Payment of {total - Decimal('100.00'):.2f}")
    _wait_for_status(page, f"{env.url}/invoices/{invoice_id}", "paid", xero_world)
    expect(page.locator("#invoice-balance")).to_contain_text("0.00")

    # 9. Everything the plugin sent to Xero matched Xero's OpenAPI documents.
    _assert_exchanges_match_openapi(xero_world)


def _wait_for_status(page, url: str, status: str, world) -> None:
    page.goto(url)

    def reached() -> bool:
        page.reload()
        return invoice_status(page.content()) == status

    try:
        poll(reached, timeout=40, interval=1.0, what=f"the host invoice {status}")
    except AssertionError as exc:
        badges = re.findall(r'<[^>]*invoice-status[^>]*>', page.content())
        raise AssertionError(f"{exc}\nbadges: {badges}\n{world.diagnose()}") from None


def _assert_exchanges_match_openapi(world) -> None:
    exchanges = list(world.sandbox.exchanges)
    assert any(ex["method"] == "PUT" and ex["path"].endswith("/Invoices") for ex in exchanges), [
        (ex["method"], ex["path"]) for ex in exchanges]
    problems = world.openapi_problems()
    assert not problems, "OpenAPI mismatches:\n" + "\n".join(problems)


def _wait_for_push(page) -> None:
    """Wait until the sync panel says Synced; a sync error shown meanwhile fails with its text."""
    page.locator(".sync-status[data-status='synced'], .sync-error").first.wait_for(timeout=45000)
    panel = page.locator("#sync-panel")
    assert page.locator(".sync-error").count() == 0, panel.inner_text()
    expect(page.locator(".sync-status").first).to_have_attribute("data-status", "synced")
