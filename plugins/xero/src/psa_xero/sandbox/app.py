"""The Xero sandbox application: ``create_app(config=None)`` and the :class:`XeroSandbox`.

``flask --app psa_xero.sandbox run --port 5055`` serves everything on one origin:
identity (``/identity/connect/authorize``, ``/connect/token``, ``/connect/revocation``,
``/.well-known/openid-configuration``), ``/connections``, the Accounting API under
``/api.xro/2.0/``, the organisation pages under ``/orgs/<tenant id>`` and the control API under
``/_sandbox/``.

Config keys (``config`` dict or environment variables of the same name):
``SANDBOX_DB_PATH`` (SQLite file; default in memory), ``SANDBOX_TIME_SCALE`` (default 1),
``SANDBOX_START_WEBHOOKS`` (default true), ``SANDBOX_RECORD_EXCHANGES`` (keep every
request/response pair for the OpenAPI check; default false).
"""

from __future__ import annotations

import os
import uuid
from collections import deque

from flask import Flask, g, has_request_context, jsonify, request

from host.sandbox_kit import FixedWindowLimiter, ProviderSandbox, RsaSigner

from . import errors as E
from . import identity as I
from . import subscription as S
from . import webhooks as W
from .ratelimits import LimitConfig, XeroLimits
from .seed import seed_orgs
from .state import DEMO_APP_NAME, XeroState, fresh_org
from .tenant_faults import TenantFaults
from .xml_render import to_xml, wants_json


#: Xero's API gateway answers these paths, each answer with a ``Xero-Correlation-Id``.
API_PATHS = ("/api.xro/", "/connections", "/Connections")


class XeroSandbox(ProviderSandbox):
    """The kit's ProviderSandbox with Xero's state, identity, limits and webhooks."""

    name = "xero"
    # Xero: an immediate retry, then every 15 minutes for 24 hours, then the subscription is
    # disabled (provider seconds; time-scaled by the clock).
    webhook_schedule = (0, 1) + (900,) * 96
    webhook_timeout = 5.0
    limiter_class = FixedWindowLimiter  # Xero's minute and day windows are fixed (NOTES.md)

    def __init__(self, *, time_scale: float = 1.0, db_path: str | None = None,
                 base_url: str = "http://127.0.0.1") -> None:
        super().__init__(time_scale=time_scale)
        self.base_url = base_url
        self.signer = RsaSigner()
        self.state = XeroState(self.clock, db_path)
        self.identity = I.Identity(self.state, self.signer, self._issuer)
        self.limits = XeroLimits(self, lambda: g.get("client_id", "-") if has_request_context()
                                 else "-")
        self.exchanges: deque = deque(maxlen=5000)
        self.tenant_faults = TenantFaults()
        self.record_exchanges = False
        self._restore_webhook_target()

    # -- helpers used by views -------------------------------------------------------------------
    def _issuer(self) -> str:
        return request.host_url.rstrip("/") if has_request_context() else self.base_url

    def provider_name(self) -> str:
        client = self.state.clients.get(g.get("client_id", ""), {}) if has_request_context() \
            else {}
        return client.get("name", DEMO_APP_NAME)

    @staticmethod
    def known_scopes() -> set[str]:
        return I.BROAD_SCOPES | I.GRANULAR_SCOPES

    def publish_event(self, tenant_id: str, category: str, event_type: str, resource_id: str,
                      data: dict | None = None) -> bool:
        """Queue a webhook event if a validated receiver subscribes to it (held while the
        subscription is disabled)."""
        hook = self.state.webhook
        if not (hook.get("url") and (hook.get("itr") or {}).get("passed")):
            return False
        if category not in hook.get("categories", W.CATEGORIES):
            return False
        client_id = hook.get("client_id") or "xero-demo-client"
        with self.state.lock:
            if not self.identity.is_connected(client_id, tenant_id):
                return False
        event = self.webhook_event(tenant_id, category, event_type, resource_id, data)
        if not hook.get("enabled"):
            with self.state.lock:
                S.hold(hook, [event], self.clock.now())
                self.state.save()
            return True
        return self.webhooks.publish(W.TARGET_KEY, event)

    def webhook_event(self, tenant_id: str, category: str, event_type: str, resource_id: str,
                      data: dict | None = None) -> dict:
        """One event as Xero delivers it, numbered with the next event sequence (render a
        delivery body of events with :meth:`render_webhook`, its headers with
        :meth:`sign_webhook`)."""
        with self.state.lock:
            self.state.event_sequence += 1
            seq = self.state.event_sequence
        base = request.host_url.rstrip("/") if has_request_context() else self.base_url
        event = W.make_event(base, tenant_id, category, event_type, resource_id,
                             self.state.now_iso() + "Z", data)  # zone: see NOTES.md
        event["_seq"] = seq
        return event

    def webhook_failed(self, delivery) -> None:
        """A delivery failed for 24 hours: Xero disables the subscription (NOTES.md)."""
        if delivery.target_key != W.TARGET_KEY:
            return
        held = list(delivery.events) + self.webhooks.withdraw(W.TARGET_KEY)
        with self.state.lock:
            S.disable(self.state.webhook, held, self.clock.now(), self.state.now_iso() + "Z")
            self.state.save()

    def set_webhook_enabled(self, enabled: bool) -> dict:
        """Re-enable (sending what was held, in order) or disable the subscription by hand."""
        with self.state.lock:
            hook = self.state.webhook
            if not hook.get("url"):
                raise ValueError("no webhook configured")
            released = []
            if enabled:
                released = S.enable(hook, self.clock.now())
            elif hook.get("enabled"):
                S.disable(hook, self.webhooks.withdraw(W.TARGET_KEY), self.clock.now(),
                          self.state.now_iso() + "Z", reason="Disabled by hand")
            self.state.save()
        for event in released:
            self.webhooks.publish(W.TARGET_KEY, event)
        return self.webhook_info()

    def configure_webhook(self, url: str, key: str, categories=None, client_id=None,
                          run_itr: bool = True) -> dict:
        from host.sandbox_kit import WebhookTarget

        itr = W.intent_to_receive(url, key) if run_itr else {"passed": True, "probes": [],
                                                              "skipped": True}
        with self.state.lock:
            self.state.webhook.update({
                "url": url, "key": key, "itr": itr,
                "categories": list(categories or W.CATEGORIES),
                "client_id": client_id or "xero-demo-client"})
            self.state.save()  # a disabled subscription stays disabled until re-enabled
        self.webhooks.set_target(WebhookTarget(key=W.TARGET_KEY, url=url, secret=key))
        return self.webhook_info()

    def webhook_info(self) -> dict:
        with self.state.lock:
            return S.summary(self.state.webhook)

    def _restore_webhook_target(self) -> None:
        hook = self.state.webhook
        if hook.get("url") and hook.get("key"):
            from host.sandbox_kit import WebhookTarget

            self.webhooks.set_target(WebhookTarget(key=W.TARGET_KEY, url=hook["url"],
                                                   secret=hook["key"]))

    # -- ProviderSandbox hooks -------------------------------------------------------------------
    def reset_state(self) -> None:
        self.limits.config = LimitConfig()
        self.webhooks.remove_target(W.TARGET_KEY)
        self.exchanges.clear()
        self.tenant_faults.clear()
        self.state.reset()

    def seed(self, payload: dict) -> dict:
        from .seed_documents import seed_demo_documents

        with self.state.lock:
            if payload.get("reset", True):
                self.state.orgs = {t: fresh_org(d) for t, d in seed_orgs().items()}
            summary = seed_demo_documents(self) if payload.get("documents", True) else {}
            self.state.save()
        return {"tenants": [{"tenantId": t, "name": o["organisation"]["Name"],
                             "shortCode": o["organisation"]["ShortCode"]}
                            for t, o in self.state.orgs.items()], **summary}

    def mint_tokens(self, payload: dict) -> dict:
        client_id = payload.get("client_id") or "xero-demo-client"
        if client_id not in self.state.clients:
            raise KeyError(client_id)
        tenants = payload.get("tenants") or payload.get("tenant_ids") or list(self.state.orgs)
        unknown = [t for t in tenants if t not in self.state.orgs]
        if unknown:
            raise ValueError(f"unknown tenants: {unknown}")
        scope = payload.get("scope") or ("openid profile email offline_access "
                                         "accounting.transactions accounting.contacts "
                                         "accounting.settings")
        scopes = scope.split() if isinstance(scope, str) else list(scope)
        bad = [s for s in scopes if not I.scope_known(s)]
        if bad:
            raise ValueError(f"unknown scopes: {bad}")
        with self.state.lock:
            body = self.identity.mint(client_id, tenants, scopes)
            self.state.save()
        return body

    def render_webhook(self, target, events: list) -> bytes:
        return W.render(events)

    def sign_webhook(self, target, body: bytes) -> dict:
        return {"Content-Type": "application/json", "x-xero-signature": W.sign(target.secret, body),
                "User-Agent": "Xero-Webhooks-Sandbox"}

    def rate_limit_response(self, rule, environ):
        problem = (rule.headers or {}).get("X-Rate-Limit-Problem", "minute")
        body = b'{"Title":"Too Many Requests","Status":429,"Detail":"Rate limit exceeded"}'
        return 429, [("Content-Type", "application/json"), ("X-Rate-Limit-Problem", problem),
                     ("Xero-Correlation-Id", str(uuid.uuid4())),
                     ("Retry-After", "1"), ("X-MinLimit-Remaining", "0"),
                     ("X-DayLimit-Remaining", "1000"), ("X-AppMinLimit-Remaining", "9000")], body

    def register_control_routes(self, bp) -> None:
        from .control import register

        register(self, bp)

    def describe(self) -> dict:
        return {"name": self.name, "tenants": {t: o["organisation"]["Name"]
                                               for t, o in self.state.orgs.items()},
                "demo_client": {"client_id": "xero-demo-client",
                                "client_secret": "xero-demo-secret"}}


def _setting(config: dict, key: str, default):
    if key in config:
        return config[key]
    return os.environ.get(key, default)


def create_app(config: dict | None = None) -> Flask:
    """Build the sandbox app (see the module docstring for config keys)."""
    from . import (api_creditnotes, api_invoices, api_settings, oauth_views, pages, pages_books,
                   payments)

    config = dict(config or {})
    app = Flask(__name__)
    app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = "xero-sandbox-not-secret"
    sandbox = XeroSandbox(time_scale=float(_setting(config, "SANDBOX_TIME_SCALE", 1.0)),
                          db_path=_setting(config, "SANDBOX_DB_PATH", None) or None)
    sandbox.record_exchanges = str(_setting(config, "SANDBOX_RECORD_EXCHANGES", "")).lower() in (
        "1", "true", "yes")
    app.extensions["xero_sandbox"] = sandbox
    for module in (oauth_views, api_settings, api_invoices, api_creditnotes, payments, pages,
                   pages_books):
        app.register_blueprint(module.bp)

    @app.errorhandler(E.XeroError)
    def _xero_error(exc):
        return exc.response

    @app.errorhandler(404)
    def _not_found(exc):
        if request.path.startswith("/_sandbox"):
            return jsonify(error="not found"), 404
        return E.not_found()

    # after_request functions run in reverse order: _record (registered first) sees the final
    # body, after the XML rendering below.
    @app.after_request
    def _record(resp):
        if sandbox.record_exchanges and not request.path.startswith("/_sandbox"):
            sandbox.exchanges.append({
                "method": request.method, "path": request.path,
                "query": request.query_string.decode(), "headers": dict(request.headers),
                "body": request.get_data(), "status": resp.status_code,
                "response_headers": dict(resp.headers), "mimetype": resp.mimetype,
                "response_body": resp.get_data() if not resp.direct_passthrough else b""})
        return resp

    @app.after_request
    def _correlation_id(resp):
        if request.path.startswith(API_PATHS):
            resp.headers.setdefault("Xero-Correlation-Id", str(uuid.uuid4()))
        return resp

    @app.after_request
    def _xml_unless_json_accepted(resp):
        if (request.path.startswith("/api.xro/") and resp.mimetype == "application/json"
                and resp.status_code in (200, 400)
                and not wants_json(request.headers.get("Accept"))):
            resp.set_data(to_xml(resp.get_json()))
            resp.mimetype = "text/xml"
        return resp

    start = str(_setting(config, "SANDBOX_START_WEBHOOKS", "true")).lower() not in ("0", "false")
    sandbox.install(app, start_webhooks=start)
    return app
