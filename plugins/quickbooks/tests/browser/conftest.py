"""The QuickBooks browser walk's world: the QuickBooks sandbox on a real port, and the host over
real HTTP (``host.integrations.e2e.E2E``: a server thread plus a real ``flask --app host worker``
process) with the quickbooks plugin only, configured for that sandbox, whose webhooks the
sandbox delivers to the host (signed with the host's verifier token)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

VERIFIER_TOKEN = "walk-qbo-verifier-token"


@dataclass
class QboWorld:
    env: object        # host.integrations.e2e.E2E
    sandbox_url: str
    sandbox: object    # the sandbox Flask app

    def control(self, method: str, path: str, **kw) -> httpx.Response:
        resp = httpx.request(method, f"{self.sandbox_url}/_sandbox/{path.lstrip('/')}",
                             timeout=15, **kw)
        resp.raise_for_status()
        return resp

    def diagnose(self) -> str:
        """What happened to webhooks on both sides, and the worker's last words (for a
        failure message)."""
        from host.extensions import db
        from host.models import WebhookDelivery

        sent = [(d.get("status"), d.get("attempts") and [a.get("status_code") for a in
                                                          d["attempts"]])
                for d in self.control("GET", "webhooks").json().get("deliveries", [])]
        with self.env.app.app_context():
            got = [(w.status, w.event_count, w.error) for w in
                   db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id))]
            db.session.remove()
        quiet = [line for line in self.env.worker_log().splitlines(keepends=True)
                 if "sync.sweep" not in line]
        return (f"sandbox deliveries: {sent}\nhost deliveries: {got}\n"
                f"worker log (tail, without sweeps):\n{''.join(quiet[-40:])}")


@pytest.fixture(scope="module")
def qbo_world(psa_template_db, tmp_path_factory):
    from host.integrations.e2e import E2E
    from host.sandbox_kit.serving import ServerThread
    from psa_quickbooks.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, create_app

    sandbox_app = create_app({})
    sandbox = ServerThread(sandbox_app).start()
    env = E2E(psa_template_db(("quickbooks",)), tmp_path_factory.mktemp("qbo-walk"),
              plugins=("quickbooks",),
              config={"QUICKBOOKS_CLIENT_ID": DEMO_CLIENT_ID,
                      "QUICKBOOKS_CLIENT_SECRET": DEMO_CLIENT_SECRET,
                      "QUICKBOOKS_AUTH_BASE_URL": sandbox.url,
                      "QUICKBOOKS_API_BASE_URL": sandbox.url,
                      "QUICKBOOKS_APP_BASE_URL": sandbox.url,
                      "QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN": VERIFIER_TOKEN})
    try:
        env.start()
        world = QboWorld(env, sandbox.url, sandbox_app)
        world.control("POST", "webhooks/apps", json={
            "client_id": DEMO_CLIENT_ID, "url": f"{env.url}/webhooks/quickbooks",
            "verifier_token": VERIFIER_TOKEN, "format": "legacy"})
        yield world
    finally:
        env.stop()
        sandbox.stop()
        sandbox_app.extensions["qbo_sandbox"].close()
