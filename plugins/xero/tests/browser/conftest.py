"""The Xero browser walk's world: the Xero sandbox on a real port (recording every exchange for
the OpenAPI check), and the host over real HTTP (``host.integrations.e2e.E2E``: a server thread
plus a real ``flask --app host worker`` process) with the xero plugin only, configured for that
sandbox. The sandbox's webhook is aimed at the host; its intent-to-receive check must pass."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

WEBHOOK_KEY = "walk-xero-webhook-key-0123456789abcdef"


@dataclass
class XeroWorld:
    env: object        # host.integrations.e2e.E2E
    sandbox_url: str
    sandbox: object    # the sandbox Flask app
    webhook: dict      # GET /_sandbox/webhook after aiming it at the host

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


def xero_config(url: str) -> dict:
    """The host keys pointing the xero plugin at a sandbox (as host/demo.py does)."""
    from psa_xero.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET

    return {"XERO_CLIENT_ID": DEMO_CLIENT_ID, "XERO_CLIENT_SECRET": DEMO_CLIENT_SECRET,
            "XERO_LOGIN_BASE_URL": url, "XERO_IDENTITY_BASE_URL": url, "XERO_API_BASE_URL": url,
            "XERO_APP_BASE_URL": url, "XERO_WEBHOOK_KEY": WEBHOOK_KEY}


@pytest.fixture(scope="module")
def xero_world(psa_template_db, tmp_path_factory):
    from host.integrations.e2e import E2E
    from host.sandbox_kit.serving import ServerThread
    from psa_xero.sandbox import create_app

    sandbox_app = create_app({"SANDBOX_RECORD_EXCHANGES": True})
    sandbox = ServerThread(sandbox_app).start()
    env = E2E(psa_template_db(("xero",)), tmp_path_factory.mktemp("xero-walk"),
              plugins=("xero",), config=xero_config(sandbox.url))
    try:
        env.start()
        aimed = httpx.post(f"{sandbox.url}/_sandbox/webhook", timeout=30, json={
            "url": f"{env.url}/webhooks/xero", "key": WEBHOOK_KEY})
        aimed.raise_for_status()
        yield XeroWorld(env, sandbox.url, sandbox_app, aimed.json())
    finally:
        env.stop()
        sandbox.stop()
        sandbox_app.extensions["xero_sandbox"].close()
