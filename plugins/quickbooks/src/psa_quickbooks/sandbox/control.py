"""QboSandbox: the kit's ProviderSandbox with QuickBooks state, tokens, webhooks and the
QBO-specific control endpoints (under ``/_sandbox/``):

=======  =============================================  ==========================================
POST     /_sandbox/tokens                               ``{"client_id", "realm_id", "scope"?}`` ->
                                                        token response + ``realmId``
POST     /_sandbox/companies/<realm>/preferences        deep-merge into Preferences, e.g.
                                                        ``{"SalesFormsPrefs": {"CustomTxnNumbers": true}}``
GET      /_sandbox/companies                            realm ids and names
GET      /_sandbox/companies/<realm>/entities/<Type>    every stored entity of a type (incl. inactive)
GET      /_sandbox/companies/<realm>/entities/<Type>/<Id>  one entity as stored
POST     /_sandbox/companies/<realm>/entities/<Type>    ``[{...}, ...]``: create each as the API
                                                        would (validation, ids, CDC, webhooks),
                                                        unthrottled; the created ``Id`` list (bulk
                                                        test data: imports, benchmarks)
GET/POST /_sandbox/settings                             throttles and token rules at run time
POST     /_sandbox/webhooks/apps                        ``{"client_id", "url", "verifier_token",
                                                        "format": "legacy"|"cloudevents"}``
POST     /_sandbox/disconnect                           ``{"client_id"?, "realm_id"?}`` revoke grants
=======  =============================================  ==========================================
"""
from __future__ import annotations

from flask import jsonify, request

from host.sandbox_kit import ProviderSandbox, RsaSigner, WebhookTarget

from . import faults, webhooks
from .config import RUNTIME_SETTINGS
from .seed import COMPANY_NAMES, seed_all
from .store import ENTITY_RESOURCES, SandboxState, public
from .timefmt import qbo_time
from .tokens import TokenService


def deep_merge(target: dict, patch: dict) -> dict:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_merge(target[key], value)
        else:
            target[key] = value
    return target


class QboSandbox(ProviderSandbox):
    """The QuickBooks Online emulator's state and hooks."""

    name = "quickbooks-online"

    def __init__(self, config: dict) -> None:
        self.config = config
        self.webhook_schedule = tuple(config["QBO_WEBHOOK_SCHEDULE"])
        self.webhook_repeat_last = True
        self.webhook_timeout = config["QBO_WEBHOOK_TIMEOUT"]
        self.webhook_batch_window = config["QBO_WEBHOOK_BATCH_SECONDS"]
        super().__init__(time_scale=config["SANDBOX_TIME_SCALE"])
        self.state = SandboxState(config.get("SANDBOX_DB_PATH"))
        self.signer = RsaSigner()
        self.tokens = TokenService(self.clock, access_ttl=config["QBO_ACCESS_TOKEN_TTL"],
                                   rotate=config["QBO_REFRESH_ROTATE"],
                                   grace_seconds=config["QBO_REFRESH_GRACE_SECONDS"])
        for client_id, hook in (config.get("QBO_WEBHOOKS") or {}).items():
            self.set_webhook_app(client_id, hook.get("url", ""), hook.get("verifier_token", ""),
                                 hook.get("format", "legacy"))
        loaded = self.state.load()
        if loaded:
            self.tokens.load(self.state.store.load("tokens", {}))
        elif config.get("QBO_SEED", True):
            seed_all(self.state, self.clock.now())

    # -- kit hooks -----------------------------------------------------------------------------
    def reset_state(self) -> None:
        with self.state.lock:
            self.state.clear()
            self.tokens.reset()
            if self.config.get("QBO_SEED", True):
                seed_all(self.state, self.clock.now())

    def seed(self, payload: dict) -> dict:
        with self.state.lock:
            realms = seed_all(self.state, self.clock.now(), payload.get("realms"))
        return {"realms": realms}

    def mint_tokens(self, payload: dict) -> dict:
        client_id = payload.get("client_id") or "qbo-demo-client"
        realm = str(payload.get("realm_id") or payload.get("realmId") or "")
        if client_id not in self.config["QBO_OAUTH_CLIENTS"]:
            raise ValueError(f"unknown client_id {client_id!r}")
        if self.state.company(realm) is None:
            raise ValueError(f"unknown realm_id {realm!r}")
        result = self.tokens.mint(client_id, realm, payload.get("scope") or
                                  "com.intuit.quickbooks.accounting")
        self.persist_tokens()
        return result

    def render_webhook(self, target: WebhookTarget, events: list) -> bytes:
        return webhooks.render(target.options.get("format", "legacy"), events)

    def sign_webhook(self, target: WebhookTarget, body: bytes) -> dict:
        return webhooks.headers(target.secret, body, self.clock.now())

    def rate_limit_response(self, rule, environ):
        return self.throttle_response()

    def describe(self) -> dict:
        return {"name": self.name, "realms": {r: COMPANY_NAMES.get(r, r) for r in self.state.companies},
                "persistent": self.state.store.persistent}

    # -- QBO specifics -------------------------------------------------------------------------
    def throttle_response(self):
        now = qbo_time(self.clock.now(), millis=True)
        headers = [("intuit_tid", faults_tid())]
        if self.config.get("QBO_RETRY_AFTER") is not None:
            headers.append(("Retry-After", str(self.config["QBO_RETRY_AFTER"])))
        if self.config.get("QBO_THROTTLE_FORMAT") == "json":
            import json
            body = json.dumps({"Fault": {"Error": [{
                "Message": "message=ThrottleExceeded; errorCode=003001; statusCode=429",
                "Detail": "The request limit was reached.  Try again later", "code": "3001",
                "element": ""}], "type": "SERVICE"}, "time": now}).encode()
            return 429, headers + [("Content-Type", "application/json")], body
        return 429, headers + [("Content-Type", "application/xml")], faults.throttle_xml(now).encode()

    def set_webhook_app(self, client_id: str, url: str, verifier_token: str, fmt: str = "legacy") -> None:
        if fmt not in ("legacy", "cloudevents"):
            raise ValueError("format must be 'legacy' or 'cloudevents'")
        self.webhooks.set_target(WebhookTarget(key=client_id, url=url, secret=verifier_token,
                                               options={"format": fmt}))

    def emit(self, realm_id: str, events: list[tuple]) -> None:
        """Publish change events to every connected app that has a webhook target."""
        if not events:
            return
        now = self.clock.now()
        apps = {client for client, realm in self.tokens.connections() if realm == realm_id}
        for client in apps:
            for entity, ident, operation in events:
                self.webhooks.publish(client, webhooks.event(realm_id, entity, ident, operation, now))

    def persist(self, company) -> None:
        self.state.save(company)

    def persist_tokens(self) -> None:
        if self.state.store.persistent:
            self.state.store.save("tokens", self.tokens.dump())

    def register_control_routes(self, bp) -> None:
        sandbox = self

        def company_or_404(realm):
            company = sandbox.state.company(realm)
            if company is None:
                raise KeyError(f"realm {realm}")
            return company

        @bp.get("/companies")
        def companies():
            return jsonify(companies=[{"realm_id": r, "name": c.info.get("CompanyName"),
                                       "country": c.info.get("Country")}
                                      for r, c in sandbox.state.companies.items()])

        @bp.post("/companies/<realm>/preferences")
        def set_preferences(realm):
            company = company_or_404(realm)
            patch = request.get_json(silent=True)
            if not isinstance(patch, dict):
                raise ValueError("a JSON object of preference sections is required")
            with sandbox.state.lock:
                deep_merge(company.prefs, patch)
                sandbox.persist(company)
            sandbox.emit(realm, [("Preferences", "1", "Update")])
            return jsonify(Preferences=company.prefs)

        @bp.get("/companies/<realm>/entities/<entity>")
        def list_entities(realm, entity):
            company = company_or_404(realm)
            if entity not in ENTITY_RESOURCES:
                raise KeyError(entity)
            return jsonify({entity: [public(o) for o in company.all(entity)]})

        @bp.post("/companies/<realm>/entities/<entity>")
        def create_entities(realm, entity):
            from .entities import Operations

            company = company_or_404(realm)
            bodies = request.get_json(silent=True)
            if entity not in ENTITY_RESOURCES or not isinstance(bodies, list):
                raise ValueError("a JSON list of entity bodies is required")
            ops = Operations(company, sandbox.clock.now())
            try:
                with sandbox.state.lock:
                    ids = [ops.save(entity, body)["Id"] for body in bodies]
            except faults.QboFault as fault:  # the ones before it are kept, as in a batch
                raise ValueError(f"{fault.code} {fault.message}: {fault.detail}") from None
            finally:
                sandbox.persist(company)
                sandbox.emit(realm, ops.events)
            return jsonify(ids=ids)

        @bp.get("/companies/<realm>/entities/<entity>/<ident>")
        def get_entity(realm, entity, ident):
            obj = company_or_404(realm).get(entity, ident)
            if obj is None:
                raise KeyError(f"{entity} {ident}")
            return jsonify({entity: public(obj)})

        @bp.get("/settings")
        def get_settings():
            return jsonify({k: sandbox.config[v] for k, v in RUNTIME_SETTINGS.items()})

        @bp.post("/settings")
        def set_settings():
            data = request.get_json(silent=True) or {}
            unknown = set(data) - set(RUNTIME_SETTINGS)
            if unknown:
                raise ValueError(f"unknown settings {sorted(unknown)}; known: {sorted(RUNTIME_SETTINGS)}")
            for key, value in data.items():
                sandbox.config[RUNTIME_SETTINGS[key]] = value
            sandbox.tokens.rotate = sandbox.config["QBO_REFRESH_ROTATE"]
            sandbox.tokens.grace_seconds = sandbox.config["QBO_REFRESH_GRACE_SECONDS"]
            return get_settings()

        @bp.post("/webhooks/apps")
        def webhook_app():
            data = request.get_json(silent=True) or {}
            client_id = data.get("client_id") or "qbo-demo-client"
            sandbox.set_webhook_app(client_id, data.get("url") or "", data.get("verifier_token") or "",
                                    data.get("format") or "legacy")
            return jsonify(sandbox.webhooks.get_target(client_id).as_dict())

        @bp.post("/disconnect")
        def disconnect():
            data = request.get_json(silent=True) or {}
            count = sandbox.tokens.revoke_all(data.get("client_id"), data.get("realm_id"))
            sandbox.persist_tokens()
            return jsonify(revoked=count)


def faults_tid() -> str:
    import uuid

    return "1-" + uuid.uuid4().hex[:24]
