"""What the Xero plugin's end-to-end and browser tests share (importable: the plugin's conftest
puts this folder on sys.path): Xero's consent screen as the admin uses it, a connect through the
host's pages, a world of its own (a Xero sandbox whose webhook is aimed at a host over real HTTP
with a real worker process) and readers of what a sandbox organisation and a host connection
hold. The host's side (send, wait, reconcile, invoice facts, payments, deliveries) is
``host.integrations.e2e.E2E``'s."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from xero_testkit import UK_NAME, US_NAME, WEBHOOK_KEY, openapi_problems, xero_config

from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

ORG_NAMES = {UK_TENANT_ID: UK_NAME, US_TENANT_ID: US_NAME}
#: the organisations' first revenue accounts (the setup step's default)
REVENUE = {UK_TENANT_ID: "200", US_TENANT_ID: "4000"}


def consent(tenants=(UK_TENANT_ID, US_TENANT_ID), seen: list | None = None):
    """Xero's consent screen as the admin uses it: ``consent(...)(authorize_url) ->
    callback_url`` opens the page (it offers each of ``tenants`` by name), ticks ``tenants``
    and clicks Allow. ``seen`` collects the authorize URLs."""
    def run(authorize_url: str) -> str:
        if seen is not None:
            seen.append(authorize_url)
        url = httpx.URL(authorize_url)
        page = httpx.get(url, timeout=15)
        assert page.status_code == 200, page.text[:300]
        for tenant in tenants:
            assert f'value="{tenant}"' in page.text and ORG_NAMES[tenant] in page.text, \
                (tenant, page.text[:1000])
        resp = httpx.post(url.copy_with(query=None), timeout=15, data={
            **dict(url.params), "action": "allow", "tenant": list(tenants)})
        assert resp.status_code == 302, resp.text
        return resp.headers["location"]
    return run


def connect(env, tenant_id: str = US_TENANT_ID, tenants=None, org=None, **setup):
    """A new host organization's first business unit (or ``org``'s) connected through the
    host's pages to the sandbox organisation ``tenant_id``: ``tenants`` ticked on the consent
    screen (default: that one; with two the host's picker chooses ``tenant_id``), the setup
    step finished with ``setup`` (default revenue account: the organisation's first)."""
    return env.connect(org or env.new_org(), "xero", consent=consent(tenants or (tenant_id,)),
                       tenant_id=tenant_id,
                       setup={"default_revenue_account": REVENUE[tenant_id], **setup})


def send_synced(env, tenant, invoice_id: int, **wait) -> str:
    """Press Send, wait for the push (``E2E.send_and_wait``); the invoice page, which shows
    Synced."""
    from host.integrations.e2e import sync_error, sync_status

    env.send_and_wait(tenant, invoice_id, **wait)
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced", sync_error(page)
    return page


def disconnect(tenant) -> None:
    """The Disconnect button of the business unit's Xero tile."""
    resp = tenant.user.post_form(
        f"/settings/integrations?business_unit={tenant.business_unit_id}",
        f"/settings/integrations/connections/{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303), resp.text


# -- what the sandbox holds ------------------------------------------------------------------


def xero_invoices(sandbox_url: str, number: str, tenant: str = US_TENANT_ID) -> list[dict]:
    """The sandbox organisation's invoices with this InvoiceNumber."""
    rows = httpx.get(f"{sandbox_url}/_sandbox/entities/{tenant}/invoices", timeout=15).json()
    return [r for r in rows.values() if r.get("InvoiceNumber") == number]


def xero_connections(sandbox_url: str) -> list[dict]:
    """The organisations connected to the app at Xero (what ``GET /connections`` lists)."""
    data = httpx.get(f"{sandbox_url}/_sandbox/connections", timeout=15).json()
    if isinstance(data, dict):
        data = data.get("connections", list(data.values()))
    return [r for r in data if isinstance(r, dict)]


# -- what the host holds ---------------------------------------------------------------------


def connection_facts(env, connection_id: int) -> dict:
    """The host connection's tenant, status, setup, settings, reconcile cursor and tokens
    (decrypted; None once gone)."""
    from host.extensions import db
    from host.models import Connection
    from host.security.crypto import decrypt_tokens

    with env.app.app_context():
        conn = db.session.get(Connection, connection_id)
        facts = {"tenant_id": conn.tenant_id, "tenant_name": conn.tenant_name,
                 "tenant_short_code": conn.tenant_short_code, "status": conn.status,
                 "setup_complete": conn.setup_complete, "settings": dict(conn.settings or {}),
                 "reconcile_cursor": conn.reconcile_cursor,
                 "tokens": decrypt_tokens(conn.token_ciphertext) if conn.token_ciphertext
                 else None}
        db.session.remove()
    return facts


# -- a world of its own: sandbox with webhooks on + host --------------------------------------


@dataclass
class XeroWorld:
    env: object        # host.integrations.e2e.E2E
    sandbox_url: str
    sandbox: object    # the XeroSandbox (recording every exchange)
    webhook: dict = field(default_factory=dict)  # the sandbox's answer when aimed at the host

    def control(self, method: str, path: str, **kw) -> httpx.Response:
        resp = httpx.request(method, f"{self.sandbox_url}/_sandbox/{path.lstrip('/')}",
                             timeout=30, **kw)
        resp.raise_for_status()
        return resp

    def webhooks(self, on: bool = True) -> dict:
        """Aim Xero's webhook at the host (``on``), or at it with another app's key: the
        Intent-to-Receive check then fails and Xero sends nothing (missed webhooks).

        What Xero still holds is delivered (and processed) first: an event buffered now would
        be signed with the new key, refused by the host for ever and, Xero sending in order,
        hold back every later delivery; a test counting deliveries after turning webhooks off
        would count it arriving late."""
        self.env.settle_deliveries(self.sandbox_url, timeout=120)
        key = WEBHOOK_KEY if on else "some-other-apps-webhook-key"
        return self.control("POST", "webhook", json={
            "url": f"{self.env.url}/webhooks/xero", "key": key}).json()

    def openapi_problems(self) -> list[str]:
        return openapi_problems(self.sandbox)

    def diagnose(self) -> str:
        """What happened to webhooks on both sides, and the worker's last words (for a
        failure message)."""
        sent = [(d.get("status"), d.get("attempts") and [a.get("status_code") for a in
                                                          d["attempts"]])
                for d in self.control("GET", "webhooks").json().get("deliveries", [])]
        quiet = [line for line in self.env.worker_log().splitlines(keepends=True)
                 if "sync.sweep" not in line]
        return (f"sandbox deliveries: {sent}\nhost deliveries: {self.env.deliveries()}\n"
                f"worker log (tail, without sweeps):\n{''.join(quiet[-40:])}")


@contextlib.contextmanager
def xero_world(template_db: Path, folder: Path, **config):
    """A Xero sandbox on a real port (recording every exchange, sending webhooks) and the host
    (``E2E``: server thread + worker process, the xero plugin only, ``config`` added) whose
    ``/webhooks/xero`` the sandbox's webhook is aimed at (its Intent-to-Receive check ran)."""
    from host.integrations.e2e import E2E
    from host.sandbox_kit.serving import ServerThread
    from psa_xero.sandbox import create_app

    sandbox_app = create_app({"SANDBOX_RECORD_EXCHANGES": True})
    server = ServerThread(sandbox_app).start()
    env = E2E(template_db, folder, plugins=("xero",), config=xero_config(server.url, **config))
    try:
        env.start()
        world = XeroWorld(env, server.url, sandbox_app.extensions["xero_sandbox"])
        world.webhook = world.webhooks(True)
        yield world
    finally:
        env.stop()
        server.stop()
        sandbox_app.extensions["xero_sandbox"].close()
