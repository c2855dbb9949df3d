"""Issue 6 acceptance: a business unit booked into QuickBooks switches to Xero through the
Connect dialog, in headless Chromium, with both provider plugins and both sandboxes.

Afterwards the business unit has exactly one active connection (Xero); the QuickBooks
connection row is kept as ``replaced`` with its sync history; the invoice sent before the switch
still shows its QuickBooks number and link, and QuickBooks still has it.
"""

from __future__ import annotations

import html
import re
from decimal import Decimal

import httpx
import pytest
from playwright.sync_api import expect

from host.integrations.e2e import Tenant, poll_for, provider_link

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

QBO_VERIFIER = "switch-qbo-verifier"
XERO_KEY = "switch-xero-webhook-key-0123456789abcdef"


@pytest.fixture(scope="module")
def world(psa_template_db, tmp_path_factory):
    from host.integrations.e2e import E2E
    from host.sandbox_kit.serving import ServerThread
    from psa_quickbooks.sandbox import create_app as qbo_app
    from psa_xero.sandbox import create_app as xero_app

    qbo, xero = qbo_app({}), xero_app({"SANDBOX_RECORD_EXCHANGES": True})
    qbo_server, xero_server = ServerThread(qbo).start(), ServerThread(xero).start()
    config = _provider_config(qbo_server.url, xero_server.url)
    env = E2E(psa_template_db(("quickbooks", "xero")), tmp_path_factory.mktemp("switch"),
              plugins=("quickbooks", "xero"), config=config)
    try:
        env.start()
        env.qbo_url, env.xero_url = qbo_server.url, xero_server.url
        env.xero_sandbox = xero.extensions["xero_sandbox"]
        yield env
    finally:
        env.stop()
        for server in (qbo_server, xero_server):
            server.stop()
        qbo.extensions["qbo_sandbox"].close()
        xero.extensions["xero_sandbox"].close()


def _provider_config(qbo: str, xero: str) -> dict:
    from psa_quickbooks.sandbox import DEMO_CLIENT_ID as QBO_ID, DEMO_CLIENT_SECRET as QBO_SECRET
    from psa_xero.sandbox import DEMO_CLIENT_ID as XERO_ID, DEMO_CLIENT_SECRET as XERO_SECRET

    return {"QUICKBOOKS_CLIENT_ID": QBO_ID, "QUICKBOOKS_CLIENT_SECRET": QBO_SECRET,
            "QUICKBOOKS_AUTH_BASE_URL": qbo, "QUICKBOOKS_API_BASE_URL": qbo,
            "QUICKBOOKS_APP_BASE_URL": qbo, "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": QBO_VERIFIER,
            "XERO_CLIENT_ID": XERO_ID, "XERO_CLIENT_SECRET": XERO_SECRET,
            "XERO_LOGIN_BASE_URL": xero, "XERO_IDENTITY_BASE_URL": xero,
            "XERO_API_BASE_URL": xero, "XERO_APP_BASE_URL": xero, "XERO_WEBHOOK_KEY": XERO_KEY}


def _qbo_consent(authorize_url: str) -> str:
    """Intuit's consent page over HTTP: pick the US company, press Connect."""
    from psa_quickbooks.sandbox import US_REALM

    page = httpx.get(authorize_url, timeout=15)
    assert page.status_code == 200, page.text
    form = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
    answer = httpx.post(str(httpx.URL(authorize_url).copy_with(query=None)), timeout=15,
                        data={**form, "realm_id": US_REALM, "action": "authorize"})
    assert answer.status_code in (302, 303), answer.text
    return answer.headers["Location"]


def _connections(env, business_unit_id: int) -> list[dict]:
    from host.extensions import db
    from host.models import Connection, SyncRecord

    with env.app.app_context():
        rows = []
        for c in db.session.scalars(db.select(Connection).filter_by(
                business_unit_id=business_unit_id).order_by(Connection.id)):
            records = db.session.scalars(db.select(SyncRecord).filter_by(connection_id=c.id))
            rows.append({"id": c.id, "provider": c.provider_key, "status": c.status,
                         "tenant": c.tenant_name, "has_tokens": c.token_ciphertext is not None,
                         "records": [(r.object_type, r.object_id, r.status, r.number,
                                      len(list(r.events))) for r in records]})
        db.session.remove()
    return rows


def test_switching_quickbooks_to_xero_keeps_one_connection_and_the_quickbooks_history(
        world, page):
    from psa_quickbooks.sandbox import DEMO_CLIENT_ID, US_REALM
    from psa_xero.sandbox import US_TENANT_ID

    env = world
    org = env.new_org()
    bu = org.business_unit_ids[0]

    # Before: the business unit books into QuickBooks and one invoice went there.
    tenant = env.connect(org, "quickbooks", consent=_qbo_consent)
    invoice_id = env.draft_invoice(tenant, lines=[{"quantity": 1, "unit_price": Decimal("480.00"),
                                                   "description": "Audit support"}])
    sent = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    assert sent.status_code in (302, 303), sent.text
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r and r["status"] == "synced",
                   what="the invoice pushed to QuickBooks")
    qbo_number, qbo_id = row["number"], row["external_id"]
    qbo_href = html.unescape(provider_link(tenant.user.page(f"/invoices/{invoice_id}"))[0])
    assert qbo_href.startswith(env.qbo_url)

    # The switch, in the browser: Connect on the Xero tile; the dialog names QuickBooks.
    page.goto(f"{env.url}/login")
    page.fill("#email", org.admin_email)
    page.fill("#password", org.password)
    page.click("#login")
    page.wait_for_url(lambda u: "/login" not in u)
    page.goto(f"{env.url}/settings/integrations?business_unit={bu}")
    expect(page.locator('.tile[data-provider="quickbooks"] .status')).to_have_text("Connected")
    page.locator('.tile[data-provider="xero"] .connect').click()
    dialog = page.locator("#confirm-connect-xero")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".confirm-text")).to_have_text(
        "This will connect Consulting East to Xero. It replaces the QuickBooks Online "
        "connection (Sandbox Company US (Sales Tax)): new invoices go to Xero; what was already "
        "sent keeps its QuickBooks Online number, link and sync history.")
    page.click("#confirm-proceed")
    page.wait_for_url(re.compile(re.escape(env.xero_url) + "/identity/connect/authorize"))
    page.check(f"input[name=tenant][value='{US_TENANT_ID}']")  # USD, like the invoices
    page.click("#allow")
    page.wait_for_url(re.compile(r"/connections/\d+/setup$"))
    expect(page.locator(".flash").first).to_contain_text(
        "it replaces the QuickBooks Online connection, whose sync history is kept")
    page.get_by_label(re.compile("revenue account", re.I)).select_option("4000")
    page.click("#finish-setup")
    page.wait_for_url(re.compile(rf"/settings/integrations\?business_unit={bu}"))
    expect(page.locator('.tile[data-provider="xero"] .status')).to_have_text("Connected")
    expect(page.locator('.tile[data-provider="quickbooks"] .status')).to_have_text(
        "Not connected")

    # Exactly one active connection; QuickBooks' row kept as replaced, with its history.
    rows = _connections(env, bu)
    active = [r for r in rows if r["status"] in ("connected", "needs_reauth")]
    assert [(r["provider"], r["status"]) for r in active] == [("xero", "connected")]
    (old,) = [r for r in rows if r["provider"] == "quickbooks"]
    assert old["status"] == "replaced" and not old["has_tokens"]
    assert old["tenant"] == "Sandbox Company US (Sales Tax)"
    assert [(t, i, s, n) for t, i, s, n, _ in old["records"]] == [
        ("invoice", invoice_id, "synced", qbo_number)]
    assert old["records"][0][4] >= 2  # its events (queued, started, synced ...) are kept

    # The invoice still shows its QuickBooks number and link.
    page.goto(f"{env.url}/invoices/{invoice_id}")
    link = page.locator("a.provider-number").first
    expect(link).to_have_text(qbo_number)
    assert link.get_attribute("href") == qbo_href

    # New invoices go to Xero; the QuickBooks record of the old one is untouched.
    xero = Tenant(org.id, bu, active[0]["id"], tenant.user)
    new_id = env.draft_invoice(xero, amount="75.00")
    sent = tenant.user.post_form(f"/invoices/{new_id}", f"/invoices/{new_id}/send")
    assert sent.status_code in (302, 303), sent.text
    pushed = poll_for(lambda: env.sync_row(new_id),
                      lambda r: r and r["status"] in ("synced", "failed"),
                      what="the new invoice pushed to Xero")
    assert pushed["status"] == "synced", pushed
    assert pushed["deep_link"].startswith(env.xero_url) and pushed["number"].startswith("INV-")
    assert env.sync_row(invoice_id)["number"] == qbo_number
    assert [r["records"] for r in _connections(env, bu) if r["provider"] == "quickbooks"] == [
        old["records"]]

    # QuickBooks still has the invoice, and was told the app is gone (token revoked).
    token = httpx.post(f"{env.qbo_url}/_sandbox/tokens", timeout=15, json={
        "client_id": DEMO_CLIENT_ID, "realm_id": US_REALM}).json()["access_token"]
    kept = httpx.get(f"{env.qbo_url}/v3/company/{US_REALM}/invoice/{qbo_id}",
                     params={"minorversion": "75"}, timeout=15,
                     headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    assert kept.status_code == 200, kept.text
    assert kept.json()["Invoice"]["DocNumber"] == qbo_number
    revokes = httpx.get(f"{env.qbo_url}/_sandbox/requests", timeout=15,
                        params={"path": "/oauth2/v1/tokens/revoke"}).json()["requests"]
    assert revokes, "QuickBooks was not told (no token revocation)"

    # Every exchange with Xero (the host's and its worker's) follows Xero's OpenAPI documents.
    from psa_xero.sandbox.openapi_check import validate_exchange

    exchanges = list(env.xero_sandbox.exchanges)
    assert any(ex["method"] == "PUT" and ex["path"] == "/api.xro/2.0/Invoices"
               for ex in exchanges)
    problems = [f"{ex['method']} {ex['path']}: {p}" for ex in exchanges
                for p in validate_exchange(ex["method"], ex["path"], query=ex["query"],
                                           headers=ex["headers"], body=ex["body"],
                                           status=ex["status"],
                                           response_headers=ex["response_headers"],
                                           response_body=ex["response_body"])]
    assert not problems, "\n".join(problems)
