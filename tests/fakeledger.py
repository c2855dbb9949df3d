"""A tiny accounting system over real HTTP, for the fake provider (tests only).

One process-wide :data:`LEDGER` holds the state; :func:`serve` starts its Flask app on
127.0.0.1 (once per process) and returns the base URL. Tests steer it through Python::

    from fakeledger import LEDGER
    LEDGER.reset()                           # autouse in tests/conftest.py
    LEDGER.fail_next("validation")          # next API write answers 400
    LEDGER.fail_next("rate_limited")        # 429 with Retry-After: 7
    LEDGER.fail_next("provider_down")       # 503
    LEDGER.fail_next("lost_response")       # the write is stored, the answer is a 503
    LEDGER.tenants = [("t-1", "Fake Books"), ("t-2", "Other Books")]   # tenant picker
    LEDGER.access_ttl = 0                   # access tokens expire at once (forces refresh)
    LEDGER.custom_numbers = False           # test_connection reports a failed check
    LEDGER.revoke_all()                     # every token refused -> needs_reauth
    body, headers = LEDGER.record_payment(invoice_id, Decimal("50.00"))   # signed webhook

OAuth: ``/oauth/authorize`` (consent page, ``#allow`` / ``#deny``), ``/oauth/token``
(authorization_code with PKCE S256, refresh_token with rotation: the old refresh token dies),
``/oauth/revoke``. API under ``/api/`` with ``Authorization: Bearer`` and ``X-Tenant-Id``;
writes honour ``Idempotency-Key``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from decimal import Decimal
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, render_template_string, request

CLIENT_ID = "fake-client"
CLIENT_SECRET = "fake-secret"
WEBHOOK_SECRET = "fake-webhook-secret"

CONSENT = """<!doctype html><title>Fake Ledger - authorize</title>
<h1>Fake Ledger</h1><p>PSA wants to access your books.</p>
<form method="post" action="/oauth/decision">
{% for k, v in params.items() %}<input type="hidden" name="{{k}}" value="{{v}}">{% endfor %}
<button id="allow" name="decision" value="allow">Allow</button>
<button id="deny" name="decision" value="deny">Deny</button></form>"""


class LedgerState:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.tenants: list[tuple[str, str]] = [("t-1", "Fake Books Inc")]
            self.custom_numbers = True  # False: test_connection reports a failed check
            self.access_ttl = 3600
            self.codes: dict[str, dict] = {}
            self.access_tokens: dict[str, float] = {}  # token -> expiry
            self.refresh_tokens: set[str] = set()
            self.refresh_calls = 0
            self.revoked: list[str] = []
            self.faults: list[str] = []
            self.read_faults: list[str] = []
            self.items = {"1": "Services", "2": "Consulting", "3": "Hardware"}
            self.tax_codes = {"TAX": "Standard 20%", "NON": "Exempt"}
            self.customers: dict[str, dict] = {}
            self.documents: dict[str, dict] = {}  # invoices, credit notes, payments by id
            self.idempotency: dict[str, dict] = {}
            self.changes: list[tuple[float, str, str]] = []  # (time, kind, id)
            self.disconnected_tenants: list[str] = []
            #: A currency every invoice and credit note is booked in, whatever was sent (a
            #: ledger without multicurrency); None books the currency sent.
            self.books_in: str | None = None
            self.requests = 0
            self._seq = 100

    def next_id(self) -> str:
        self._seq += 1
        return str(self._seq)

    def fail_next(self, category: str, times: int = 1) -> None:
        with self.lock:
            self.faults.extend([category] * times)

    def fail_next_read(self, times: int = 1) -> None:
        """The next ``times`` GET requests answer 503."""
        with self.lock:
            self.read_faults.extend(["provider_down"] * times)

    def revoke_all(self) -> None:
        with self.lock:
            self.access_tokens.clear()
            self.refresh_tokens.clear()

    def issue_tokens(self) -> dict:
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self.access_tokens[access] = time.time() + self.access_ttl
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": self.access_ttl}

    def invoices(self) -> list[dict]:
        return [d for d in self.documents.values() if d["type"] == "invoice"]

    def record_payment(self, invoice_id: str, amount: Decimal, tenant_id: str = "t-1"):
        """A payment typed at the ledger: stored, and a signed webhook (body, headers) returned
        for the test to POST to ``/webhooks/fakeprovider``."""
        with self.lock:
            pid = self.next_id()
            self.documents[pid] = {"id": pid, "type": "payment", "tenant": tenant_id,
                                   "invoice_id": invoice_id, "amount": str(amount),
                                   "date": time.strftime("%Y-%m-%d"), "voided": False}
            self.changes.append((time.time(), "payment", pid))
        body = json.dumps({"events": [{"tenant": tenant_id, "entity": "Payment", "id": pid,
                                        "operation": "Create", "event_id": f"ev-{pid}"}]}).encode()
        return body, {"Content-Type": "application/json", "X-Fake-Signature": sign(body)}


def sign(body: bytes) -> str:
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


LEDGER = LedgerState()


def create_ledger_app(state: LedgerState = LEDGER) -> Flask:
    app = Flask("fakeledger")

    def client_ok() -> bool:
        auth = request.authorization
        if auth and auth.type == "basic":
            return auth.username == CLIENT_ID and auth.password == CLIENT_SECRET
        return (request.form.get("client_id") == CLIENT_ID
                and request.form.get("client_secret") == CLIENT_SECRET)

    @app.get("/oauth/authorize")
    def authorize():
        return render_template_string(CONSENT, params=dict(request.args))

    @app.post("/oauth/decision")
    def decision():
        args = request.form
        if args.get("decision") != "allow":
            q = {"error": "access_denied", "state": args.get("state", "")}
            return redirect(f"{args['redirect_uri']}?{urlencode(q)}")
        code = secrets.token_urlsafe(16)
        with state.lock:
            state.codes[code] = dict(args)
        q = {"code": code, "state": args.get("state", "")}
        if len(state.tenants) == 1:
            q["realmId"] = state.tenants[0][0]
        return redirect(f"{args['redirect_uri']}?{urlencode(q)}")

    @app.post("/oauth/token")
    def token():
        if not client_ok():
            return jsonify(error="invalid_client"), 401
        grant = request.form.get("grant_type")
        with state.lock:
            if grant == "authorization_code":
                issued = state.codes.pop(request.form.get("code", ""), None)
                if issued is None or issued.get("redirect_uri") != request.form.get("redirect_uri"):
                    return jsonify(error="invalid_grant"), 400
                if issued.get("code_challenge"):
                    verifier = request.form.get("code_verifier", "")
                    digest = hashlib.sha256(verifier.encode()).digest()
                    challenge = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    if challenge != issued["code_challenge"]:
                        return jsonify(error="invalid_grant", error_description="PKCE"), 400
                return jsonify(state.issue_tokens())
            if grant == "refresh_token":
                state.refresh_calls += 1
                old = request.form.get("refresh_token", "")
                if old not in state.refresh_tokens:
                    return jsonify(error="invalid_grant"), 400
                state.refresh_tokens.discard(old)  # rotation: the old one dies
                return jsonify(state.issue_tokens())
        return jsonify(error="unsupported_grant_type"), 400

    @app.post("/oauth/revoke")
    def revoke():
        if not client_ok():
            return jsonify(error="invalid_client"), 401
        tok = request.form.get("token", "")
        with state.lock:
            state.revoked.append(tok)
            state.refresh_tokens.discard(tok)
            state.access_tokens.pop(tok, None)
        return "", 200

    @app.before_request
    def api_guard():
        if not request.path.startswith("/api/"):
            return None
        with state.lock:
            state.requests += 1
            auth = request.headers.get("Authorization", "")
            token = auth.removeprefix("Bearer ")
            if state.access_tokens.get(token, 0) < time.time():
                return jsonify(error="unauthorized"), 401
            if request.method == "GET" and state.read_faults:
                state.read_faults.pop(0)
                return jsonify(error="unavailable"), 503
            if request.method != "GET" and state.faults:
                fault = state.faults.pop(0)
                if fault == "validation":
                    return jsonify(error="validation", message="Customer email is invalid"), 400
                if fault == "rate_limited":
                    return jsonify(error="throttled"), 429, {"Retry-After": "7"}
                if fault == "provider_down":
                    return jsonify(error="unavailable"), 503
                if fault == "conflict":
                    return jsonify(error="conflict", message="Stale version"), 409
                if fault == "lost_response":
                    request.environ["fakeledger.lose_response"] = True
        return None

    def tenant() -> str:
        tid = request.headers.get("X-Tenant-Id", "")
        if tid not in {t for t, _ in state.tenants}:
            abort(403)
        return tid

    @app.after_request
    def maybe_lose(response):
        if request.environ.get("fakeledger.lose_response"):
            return app.response_class(json.dumps({"error": "gateway timeout"}), 504,
                                      mimetype="application/json")
        return response

    @app.get("/api/tenants")
    def tenants():
        return jsonify([{"id": t, "name": n, "country": "US"} for t, n in state.tenants])

    @app.get("/api/company")
    def company():
        tid = tenant()
        return jsonify({"id": tid, "name": dict(state.tenants)[tid], "country": "US",
                        "custom_numbers": state.custom_numbers})

    @app.get("/api/choices/<kind>")
    def choices(kind):
        tenant()
        source = {"item": state.items, "tax_code": state.tax_codes}.get(kind)
        if source is None:
            abort(404)
        return jsonify([{"id": k, "name": v} for k, v in source.items()])

    @app.get("/api/customers")
    def customers():
        tid = tenant()
        return jsonify([c for c in state.customers.values() if c["tenant"] == tid])

    @app.post("/api/<kind>")
    def create(kind):
        tid = tenant()
        if kind not in ("customers", "invoices", "credit-notes", "payments", "items"):
            abort(404)
        key = request.headers.get("Idempotency-Key")
        with state.lock:
            if key and key in state.idempotency:
                return jsonify(state.idempotency[key]), 200
            data = request.get_json()
            oid = state.next_id()
            doc = {**data, "id": oid, "tenant": tid}
            if kind == "customers":
                state.customers[oid] = doc
            elif kind == "items":
                state.items[oid] = data["name"]
            else:
                doc["type"] = {"invoices": "invoice", "credit-notes": "credit_note",
                               "payments": "payment"}[kind]
                doc["number"] = f"{doc['type'][:3].upper()}-{oid}"
                if state.books_in and kind != "payments":
                    doc["currency"] = state.books_in
                doc.setdefault("voided", False)
                state.documents[oid] = doc
                state.changes.append((time.time(), doc["type"], oid))
            if key:
                state.idempotency[key] = doc
        return jsonify(doc), 201

    @app.delete("/api/items/<oid>")
    def delete_item(oid):
        tenant()
        with state.lock:
            state.items.pop(oid, None)
        return "", 204

    @app.post("/api/invoices/<oid>/void")
    def void(oid):
        tenant()
        with state.lock:
            doc = state.documents.get(oid)
            if doc is None:
                return jsonify(error="not_found"), 404
            doc["voided"] = True
            state.changes.append((time.time(), "invoice", oid))
        return jsonify(doc)

    @app.get("/api/documents/<oid>")
    def document(oid):
        tenant()
        doc = state.documents.get(oid)
        return (jsonify(doc), 200) if doc else (jsonify(error="not_found"), 404)

    @app.get("/api/changes")
    def changes():
        tenant()
        since = float(request.args.get("since") or 0)
        with state.lock:
            ids = [oid for t, _kind, oid in state.changes if t > since]
            docs = [state.documents[i] for i in dict.fromkeys(ids)]
        return jsonify({"documents": docs, "cursor": str(time.time())})

    @app.post("/api/disconnect")
    def disconnect():
        with state.lock:
            state.disconnected_tenants.append(tenant())
        return jsonify(ok=True)

    return app


_server = None
_server_lock = threading.Lock()


def serve() -> str:
    """Start the ledger for this process (idempotent); returns its base URL."""
    global _server
    with _server_lock:
        if _server is None:
            try:
                from host.sandbox_kit.serving import ServerThread
            except ImportError:  # pragma: no cover
                raise
            _server = ServerThread(create_ledger_app()).start()
        return _server.url


def consent(authorize_url: str, allow: bool = True) -> str:
    """Play the user at the ledger's consent page; returns the host callback URL it redirects to."""
    from urllib.parse import parse_qsl, urlsplit

    import httpx

    parts = urlsplit(authorize_url)
    params = dict(parse_qsl(parts.query))
    params["decision"] = "allow" if allow else "deny"
    resp = httpx.post(f"{parts.scheme}://{parts.netloc}/oauth/decision", data=params)
    assert resp.status_code in (302, 303), resp.text
    return resp.headers["Location"]
