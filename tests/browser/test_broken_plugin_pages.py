"""Browser: with a plugin whose Test hangs and one whose mapping choices raise, an admin still
gets the Manage page, a Test answer naming the provider, and Disconnect -- over a real server
thread, so the hanging hook really runs beside the request that gave up on it."""

import pytest
from playwright.sync_api import expect

import fakeledger
from host.integrations.testing import browser_login, make_connection

pytestmark = pytest.mark.browser


@pytest.fixture
def psa_plugins():
    return ("fakeprovider", "brokenplugins.hanging", "brokenplugins.raising_choices")


@pytest.fixture
def hanging():
    from brokenplugins.hanging import RELEASE

    RELEASE.clear()
    yield
    RELEASE.set()


def connect(app, org, key, bu_index):
    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    return make_connection(app, org.business_unit_ids[bu_index], key, tokens=tokens,
                           settings={"default_item": "1"})


def test_manage_pages_of_broken_plugins_answer_and_disconnect(page, live_server, app, org,
                                                              hanging):
    app.config["PSA_WEB_HOOK_TIMEOUT"] = 0.5
    hung = connect(app, org, "hanging", 0)
    raising = connect(app, org, "raisingchoices", 1)
    browser_login(page, live_server.url, org.admin_email, org.password)

    page.goto(f"{live_server.url}/settings/integrations/connections/{raising}")
    expect(page.locator("#mapping-item .error")).to_contain_text(
        "The plugin 'brokenplugins.raising_choices' failed in list_mapping_choices")

    page.goto(f"{live_server.url}/settings/integrations/connections/{hung}")
    page.click("#run-test")
    expect(page.locator("#test-result")).to_have_attribute("data-ok", "false")
    expect(page.locator("#test-result .check-fail")).to_contain_text(
        "Hanging Ledger did not answer within 0.5 s (test_connection).")
    page.click("#disconnect")
    page.click("#confirm-disconnect-proceed")
    tile = page.locator('.tile[data-provider="hanging"]')
    expect(tile.locator(".status")).to_have_text("Not connected")
