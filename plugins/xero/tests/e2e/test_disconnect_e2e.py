"""Issue 6, point 7 end to end, over real HTTP: Disconnect leaves the organisation at Xero
(``DELETE /connections/{id}``), then the host revokes the token; data stays on both sides.

Own module (own host database): the host holds Xero's 60 calls per minute per organisation
across all connections to it, so this check does not share a minute with the other connect
tests' calls to the same organisation. Exchanges are OpenAPI-checked by the autouse fixture.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from psa_xero.sandbox import US_TENANT_ID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def env(psa_template_db, tmp_path_factory, xero_server):
    from xero_testkit import xero_config

    from host.integrations.e2e import E2E

    e2e = E2E(psa_template_db(("xero",)), tmp_path_factory.mktemp("xero-disconnect-e2e"),
              plugins=("xero",), config=xero_config(xero_server.url))
    e2e.start()
    yield e2e
    e2e.stop()


def consent(sandbox_url: str, tenants):
    def run(authorize_url: str) -> str:
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        resp = httpx.post(f"{sandbox_url}/identity/connect/authorize",
                          data={**params, "action": "allow", "tenant": list(tenants)})
        assert resp.status_code == 302, resp.text
        return resp.headers["location"]
    return run


def test_e2e_disconnect_removes_the_connection_at_xero_revokes_the_token_and_keeps_the_data(
        env, xero_server):
    from xero_testkit import xero_config

    from host.extensions import db
    from host.integrations.e2e import poll_for, provider_link, sync_status
    from host.models import Connection, Invoice
    from host.security.crypto import decrypt_tokens

    tenant = env.connect(env.new_org(), "xero",
                         consent=consent(xero_server.url, (US_TENANT_ID,)),
                         setup={"default_revenue_account": "4000"})
    invoice_id = env.draft_invoice(tenant, amount="310.00")
    tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    page = poll_for(lambda: tenant.user.page(f"/invoices/{invoice_id}"),
                    lambda h: sync_status(h) == "synced", timeout=60, what="synced")
    href, _, number = provider_link(page)
    with env.app.app_context():
        tokens = decrypt_tokens(db.session.get(Connection, tenant.connection_id)
                                .token_ciphertext)
        db.session.remove()
    xero_server.sandbox.exchanges.clear()

    resp = tenant.user.post_form(
        f"/settings/integrations?business_unit={tenant.business_unit_id}",
        f"/settings/integrations/connections/{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303), resp.text

    calls = [(ex["method"], ex["path"], ex["status"]) for ex in xero_server.sandbox.exchanges]
    deletes = [c for c in calls if c[0] == "DELETE" and c[1].startswith("/connections/")]
    revokes = [c for c in calls if c[1] == "/connect/revocation"]
    assert [c[2] for c in deletes] == [204] and [c[2] for c in revokes] == [200], calls
    assert calls.index(deletes[0]) < calls.index(revokes[0])  # leave the org, then revoke
    rows = httpx.get(f"{xero_server.url}/_sandbox/connections").json()
    rows = rows.get("connections", list(rows.values())) if isinstance(rows, dict) else rows
    assert not [r for r in rows if r.get("tenantId") == US_TENANT_ID]
    # the refresh token is dead at Xero
    config = xero_config(xero_server.url)
    refreshed = httpx.post(f"{xero_server.url}/connect/token",
                           data={"grant_type": "refresh_token",
                                 "refresh_token": tokens["refresh_token"]},
                           auth=(config["XERO_CLIENT_ID"], config["XERO_CLIENT_SECRET"]))
    assert refreshed.status_code == 400 and "invalid_grant" in refreshed.text

    # data stays on both sides: the host invoice keeps its Xero number and link; Xero keeps
    # the invoice as it was
    with env.app.app_context():
        conn = db.session.get(Connection, tenant.connection_id)
        assert conn.status == "disconnected" and not conn.token_ciphertext
        assert db.session.get(Invoice, invoice_id).status == "sent"
        db.session.remove()
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert provider_link(page)[:3:2] == (href, number)
    kept = [r for r in httpx.get(
        f"{xero_server.url}/_sandbox/entities/{US_TENANT_ID}/invoices").json().values()
        if r.get("InvoiceNumber") == number]
    from decimal import Decimal

    assert [(k["Status"], Decimal(str(k["Total"]))) for k in kept] == [
        ("AUTHORISED", Decimal("310.00"))]
