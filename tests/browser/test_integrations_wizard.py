"""Browser: an admin connects the fake provider from Settings > Integrations, end to end.

Real headless Chromium, the host on a real server thread, the fake ledger's consent page over
real HTTP.
"""

import re

import pytest
from playwright.sync_api import expect

import fakeledger

pytestmark = pytest.mark.browser


def test_admin_connects_the_fake_provider_through_dialog_consent_and_wizard(
        page, live_server, org):
    page.goto(f"{live_server.url}/login")
    page.fill("#email", org.admin_email)
    page.fill("#password", org.password)
    page.click("#login")

    page.goto(f"{live_server.url}/settings/integrations")
    expect(page.locator("#tab-business-unit-apps")).to_have_class(re.compile("active"))
    page.select_option("#business-unit-select", label="Consulting West")
    page.wait_for_url(re.compile(rf"business_unit={org.business_unit_ids[1]}"))

    tile = page.locator('.tile[data-provider="fakeprovider"]')
    expect(tile.locator(".label")).to_have_text("Fake Ledger")
    expect(tile.locator(".logo svg")).to_be_visible()
    expect(tile.locator(".status")).to_have_text("Not connected")

    tile.locator(".connect").click()
    dialog = page.locator("#confirm-connect-fakeprovider")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).to_have_text(
        "This will connect Consulting West to Fake Ledger. Any other financial integration "
        "of this business unit will be removed.")
    page.click("#confirm-proceed")

    page.wait_for_url(re.compile(re.escape(fakeledger.serve()) + "/oauth/authorize"))
    page.click("#allow")

    page.wait_for_url(re.compile(r"/setup$"))
    expect(page.locator("#setup-wizard h2")).to_have_text("Test connection")
    page.select_option("#default_item", label="Consulting")
    page.check("#write-check")
    page.click("#run-test")
    expect(page.locator("#test-result")).to_have_attribute("data-ok", "true")
    expect(page.locator(".check-pass")).to_have_count(3)
    page.click("#finish-setup")

    page.wait_for_url(re.compile(r"/settings/integrations\?business_unit="))
    tile = page.locator('.tile[data-provider="fakeprovider"]')
    expect(tile.locator(".status")).to_have_text("Connected")
    expect(tile.locator(".tenant-name")).to_have_text("Fake Books Inc")
    expect(tile.locator(".manage")).to_have_text("Manage")


def test_admin_maps_a_service_type_and_disconnects_from_the_manage_page(
        page, live_server, org, connection_factory, db):
    from host.models import ConnectionMapping, ServiceType

    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    conn = connection_factory(tokens=tokens, settings={"default_item": "1"})
    db.session.add(ServiceType(organization_id=org.id, name="Consulting"))
    db.session.commit()

    page.goto(f"{live_server.url}/login")
    page.fill("#email", org.admin_email)
    page.fill("#password", org.password)
    page.click("#login")
    page.goto(f"{live_server.url}/settings/integrations")
    page.locator('.tile[data-provider="fakeprovider"] .manage').click()

    mapping = page.locator("#mapping-item")
    mapping.locator("select").select_option(label="Hardware")
    mapping.locator(".save-mapping").click()
    expect(page.locator(".flash")).to_contain_text(
        "Products and services: Consulting -> Hardware: mapped.")
    db.session.expire_all()
    assert db.session.query(ConnectionMapping).filter_by(connection_id=conn.id).one().external_id == "3"

    page.click("#disconnect")
    expect(page.locator("#confirm-disconnect")).to_be_visible()
    page.click("#confirm-disconnect-proceed")
    tile = page.locator('.tile[data-provider="fakeprovider"]')
    expect(tile.locator(".status")).to_have_text("Not connected")
    expect(page.locator(".flash")).to_contain_text("Data on both sides was left as it is")
