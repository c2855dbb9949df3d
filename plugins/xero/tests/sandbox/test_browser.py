"""1 + 7 in a real headless Chromium: the consent screen and the Record payment form."""

from __future__ import annotations

import threading

import httpx
import pytest
from flask import Flask, request

from host.sandbox_kit import ServerThread
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

from .conftest import FULL_SCOPE, Xero

pytestmark = pytest.mark.browser


def in_browser(scenario) -> None:
    """Run ``scenario(browser)`` in a thread of its own with its own Playwright.

    Other suites in the same run may keep a sync Playwright (an event loop) open in the main
    thread, and Playwright refuses a second one there.
    """
    from playwright.sync_api import sync_playwright

    failure: list[BaseException] = []

    def run():
        try:
            with sync_playwright() as pw:
                chromium = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True)
                try:
                    scenario(chromium)
                finally:
                    chromium.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the test thread
            failure.append(exc)

    worker = threading.Thread(target=run, name="xero-sandbox-browser")
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "browser scenario timed out"
    if failure:
        raise failure[0]


@pytest.fixture()
def callback():
    app = Flask("callback")
    seen: dict = {}

    @app.get("/cb")
    def cb():
        seen.update(request.args)
        return "connected"

    with ServerThread(app) as srv:
        yield srv, seen


def test_consent_pick_two_organisations_then_record_payment(server, callback):
    in_browser(lambda browser: _consent_and_payment(server, browser, callback))


def _consent_and_payment(server, browser, callback):
    srv, seen = callback
    page = browser.new_page()
    page.goto(f"{server.url}/identity/connect/authorize?" + str(httpx.QueryParams({
        "response_type": "code", "client_id": "xero-demo-client",
        "redirect_uri": f"{srv.url}/cb", "scope": FULL_SCOPE, "state": "b1"})))
    page.check(f"input[name=tenant][value='{UK_TENANT_ID}']")
    page.check(f"input[name=tenant][value='{US_TENANT_ID}']")
    page.click("#allow")
    page.wait_for_url(f"{srv.url}/cb*")
    assert seen["state"] == "b1"
    token = httpx.post(f"{server.url}/connect/token", auth=("xero-demo-client", "xero-demo-secret"),
                       data={"grant_type": "authorization_code", "code": seen["code"],
                             "redirect_uri": f"{srv.url}/cb"}).json()
    xero = Xero(server.url, token["access_token"])
    conns = httpx.get(f"{server.url}/connections",
                      headers={"Authorization": f"Bearer {token['access_token']}"}).json()
    assert {c["tenantId"] for c in conns} == {UK_TENANT_ID, US_TENANT_ID}

    inv = xero.invoice()  # 1800.00
    page.goto(f"{server.url}/orgs/{UK_TENANT_ID}")
    row = page.locator(f"tr[data-invoice-id='{inv['InvoiceID']}']")
    row.locator("input[name=amount]").fill("300")
    row.locator("button.record-payment").click()
    page.wait_for_load_state()
    row = page.locator(f"tr[data-invoice-id='{inv['InvoiceID']}']")
    assert row.locator(".amount-due").inner_text() == "1500.00"
    row.locator("button.record-payment").click()  # prefilled with the full amount due
    page.wait_for_load_state()
    row = page.locator(f"tr[data-invoice-id='{inv['InvoiceID']}']")
    assert row.locator(".status").inner_text() == "PAID"
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert [p["Amount"] for p in got["Payments"]] == [300.0, 1500.0]
    page.close()


def test_deny_in_the_browser_returns_access_denied(server, callback):
    in_browser(lambda browser: _deny(server, browser, callback))


def _deny(server, browser, callback):
    srv, seen = callback
    page = browser.new_page()
    page.goto(f"{server.url}/identity/connect/authorize?" + str(httpx.QueryParams({
        "response_type": "code", "client_id": "xero-demo-client",
        "redirect_uri": f"{srv.url}/cb", "scope": "openid", "state": "b2"})))
    page.click("#deny")
    page.wait_for_url(f"{srv.url}/cb*")
    assert seen == {"error": "access_denied", "state": "b2"}
    page.close()
