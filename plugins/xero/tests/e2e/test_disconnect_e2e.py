"""Issue 6, point 7 end to end, over real HTTP: Disconnect leaves the organisation at Xero
(``DELETE /connections/{id}``), then the host revokes the token; data stays on both sides.

Own module (own host database): the host holds Xero's 60 calls per minute per organisation
across all connections to it, so this check does not share a minute with the other connect
tests' calls to the same organisation. Exchanges are OpenAPI-checked by the autouse fixture.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from xero_e2ekit import (
    connect,
    connection_facts,
    disconnect,
    send_synced,
    xero_connections,
    xero_invoices,
)
from xero_testkit import xero_config

from host.integrations.e2e import provider_link
from psa_xero.sandbox import US_TENANT_ID

pytestmark = pytest.mark.e2e


def test_e2e_disconnect_removes_the_connection_at_xero_revokes_the_token_and_keeps_the_data(
        env, xero_server):
    tenant = connect(env, US_TENANT_ID)
    invoice_id = env.draft_invoice(tenant, amount="310.00")
    href, _, number = provider_link(send_synced(env, tenant, invoice_id))
    tokens = connection_facts(env, tenant.connection_id)["tokens"]
    xero_server.sandbox.exchanges.clear()

    disconnect(tenant)

    calls = [(ex["method"], ex["path"], ex["status"]) for ex in xero_server.sandbox.exchanges]
    deletes = [c for c in calls if c[0] == "DELETE" and c[1].startswith("/connections/")]
    revokes = [c for c in calls if c[1] == "/connect/revocation"]
    assert [c[2] for c in deletes] == [204] and [c[2] for c in revokes] == [200], calls
    assert calls.index(deletes[0]) < calls.index(revokes[0])  # leave the org, then revoke
    assert not [r for r in xero_connections(xero_server.url) if r.get("tenantId") == US_TENANT_ID]
    # the refresh token is dead at Xero
    config = xero_config(xero_server.url)
    refreshed = httpx.post(f"{xero_server.url}/connect/token",
                           data={"grant_type": "refresh_token",
                                 "refresh_token": tokens["refresh_token"]},
                           auth=(config["XERO_CLIENT_ID"], config["XERO_CLIENT_SECRET"]))
    assert refreshed.status_code == 400 and "invalid_grant" in refreshed.text

    # data stays on both sides: the host invoice keeps its Xero number and link; Xero keeps
    # the invoice as it was
    conn = connection_facts(env, tenant.connection_id)
    assert conn["status"] == "disconnected" and not conn["tokens"]
    assert env.invoice_facts(invoice_id)["status"] == "sent"
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert provider_link(page)[:3:2] == (href, number)
    assert [(k["Status"], Decimal(str(k["Total"]))) for k in xero_invoices(
        xero_server.url, number)] == [("AUTHORISED", Decimal("310.00"))]
