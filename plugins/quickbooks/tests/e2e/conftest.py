"""The payments end-to-end world: the QuickBooks sandbox on a real port, and the host over real
HTTP (``host.integrations.e2e.E2E``: a server thread plus a real ``flask --app host worker``
process) with only the quickbooks plugin, configured for that sandbox. The sandbox's webhooks
are aimed at the host's ``/webhooks/quickbooks`` per test (``world.webhooks(fmt)``)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

VERIFIER_TOKEN = "e2e-qbo-verifier-token"


@dataclass
class PaymentsWorld:
    env: object        # host.integrations.e2e.E2E
    sandbox_url: str
    verifier_token: str = VERIFIER_TOKEN

    def control(self, method: str, path: str, **kw) -> httpx.Response:
        resp = httpx.request(method, f"{self.sandbox_url}/_sandbox/{path.lstrip('/')}",
                             timeout=15, **kw)
        resp.raise_for_status()
        return resp

    def webhooks(self, fmt: str | None) -> None:
        """Aim the sandbox app's webhooks at the host in ``fmt`` (None: not configured)."""
        from psa_quickbooks.sandbox import DEMO_CLIENT_ID

        self.control("POST", "webhooks/apps", json={
            "client_id": DEMO_CLIENT_ID,
            "url": f"{self.env.url}/webhooks/quickbooks" if fmt else "",
            "verifier_token": VERIFIER_TOKEN, "format": fmt or "legacy"})


@pytest.fixture(scope="module")
def payments_world(psa_template_db, tmp_path_factory):
    from host.integrations.e2e import E2E
    from host.sandbox_kit.serving import ServerThread
    from psa_quickbooks.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, create_app

    sandbox_app = create_app({"QBO_WEBHOOK_BATCH_SECONDS": 0.2})
    sandbox = ServerThread(sandbox_app).start()
    env = E2E(psa_template_db(("quickbooks",)), tmp_path_factory.mktemp("qbo-payments"),
              plugins=("quickbooks",),
              config={"QUICKBOOKS_CLIENT_ID": DEMO_CLIENT_ID,
                      "QUICKBOOKS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                      "QUICKBOOKS_AUTH_BASE_URL": sandbox.url,
                      "QUICKBOOKS_API_BASE_URL": sandbox.url,
                      "QUICKBOOKS_APP_BASE_URL": sandbox.url,
                      "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": VERIFIER_TOKEN,
                      # no periodic pass during a test: the tests ask for reconciliation
                      "RECONCILE_INTERVAL_MINUTES": 59})
    try:
        env.start()
        yield PaymentsWorld(env, sandbox.url)
    finally:
        env.stop()
        sandbox.stop()
        sandbox_app.extensions["qbo_sandbox"].close()
