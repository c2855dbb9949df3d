"""A tiny accounting system over real HTTP, for the fake provider (tests only).

One process-wide :data:`LEDGER` holds the state; :func:`serve` starts its Flask app on
127.0.0.1 (once per process) and returns the base URL. Tests steer it through Python::

    from fakeledger import LEDGER
    LEDGER.reset()                           # autouse in tests/conftest.py
    LEDGER.fail_next("validation")          # next API write answers 400
    LEDGER.fail_next("rate_limited")        # 429 with Retry-After: 7
    LEDGER.fail_next("provider_down")       # 503
    LEDGER.fail_next("lost_response")       # the write is stored, the answer is a 504
    LEDGER.fail_next("auth")                # 401, and every token revoked (refresh fails)
    LEDGER.fail_next("conflict")            # 409;  "not_found": 404
    LEDGER.fail_next("provider_down", writes_only=False)   # the next request of any kind
    LEDGER.tenants = [("t-1", "Fake Books"), ("t-2", "Other Books")]   # tenant picker
    LEDGER.access_ttl = 0                   # access tokens expire at once (forces refresh)
    LEDGER.custom_numbers = False           # test_connection reports a failed check
    LEDGER.revoke_all()                     # every token refused -> needs_reauth
    body, headers = LEDGER.record_payment(invoice_id, Decimal("50.00"))   # signed webhook
    LEDGER.live_records("t-1")              # {"Customer": 1, "Item": 3, "Invoice": 1, ...}

What it books: invoices and credit notes hold their lines (quantity, unit price, discount,
the amount the ledger computes from them, the tax code and the tax it computes at that code's
rate), subtotal, tax and total, currency, issue and due date, whether the ledger emailed it
(``send``), and for a credit note the invoice it is allocated to. ``PUT /api/invoices/<id>``
updates an invoice in place; ``POST /api/invoices/<id>/void`` voids it. Payments hold the
invoice they are applied to. ``tests/fakeledger_state.py`` reads all this for the contract
suite (the ``ProviderState`` protocol).

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
from decimal import ROUND_HALF_UP, Decimal
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
            #: (category, writes_only): the answer to the next write (or request of any kind)
            self.faults: list[tuple[str, bool]] = []
            self.read_faults: list[str] = []
            self.items = {"1": "Services", "2": "Consulting", "3": "Hardware"}
            self.tax_codes = {"TAX": "Standard 20%", "NON": "Exempt"}
            self.tax_rates = {"TAX": Decimal("20"), "NON": Decimal("0")}
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
            #: Seconds added to the ledger's clock (``advance_clock`` in its provider state).
            self.clock_offset = 0.0

    def now(self) -> float:
        """The ledger's clock: epoch seconds plus ``clock_offset``."""
        return time.time() + self.clock_offset

    def next_id(self) -> str:
        self._seq += 1
        return str(self._seq)

    def fail_next(self, category: str, times: int = 1, writes_only: bool = True) -> None:
        """The next ``times`` writes (or, with ``writes_only=False``, requests of any kind)
        answer as ``category``: validation, rate_limited, provider_down, auth, conflict,
        not_found or lost_response."""
        with self.lock:
            self.faults.extend([(category, writes_only)] * times)

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
        self.access_tokens[access] = self.now() + self.access_ttl
        self.refresh_tokens.add(refresh)
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": self.access_ttl}

    def invoices(self) -> list[dict]:
        return [d for d in self.documents.values() if d["type"] == "invoice"]

    def live_records(self, tenant_id: str) -> dict[str, int]:
        """Active records by kind for a tenant (voided documents not counted)."""
        with self.lock:
            counts = {"Customer": sum(c["tenant"] == tenant_id for c in self.customers.values()),
                      "Item": len(self.items)}
            for doc in self.documents.values():
                if doc["tenant"] == tenant_id and not doc.get("voided"):
                    kind = {"invoice": "Invoice", "credit_note": "CreditNote",
                            "payment": "Payment"}[doc["type"]]
                    counts[kind] = counts.get(kind, 0) + 1
        return counts

    def record_payment(self, invoice_id: str, amount: Decimal, tenant_id: str = "t-1",
                       on: str | None = None):
        """A payment typed at the ledger (``on``: its ISO date, default today): stored, and a
        signed webhook (body, headers) returned for the test to POST to
        ``/webhooks/fakeprovider``."""
        with self.lock:
            pid = self.next_id()
            self.documents[pid] = {"id": pid, "type": "payment", "tenant": tenant_id,
                                   "invoice_id": invoice_id, "amount": str(amount),
                                   "date": on or time.strftime("%Y-%m-%d"), "voided": False}
            self.changes.append((self.now(), "payment", pid))
        body = json.dumps({"events": [{"tenant": tenant_id, "entity": "Payment", "id": pid,
                                        "operation": "Create", "event_id": f"ev-{pid}"}]}).encode()
        return body, {"Content-Type": "application/json", "X-Fake-Signature": sign(body)}


CENT = Decimal("0.01")


def book(state: LedgerState, data: dict) -> dict:
    """The ledger's own arithmetic on a posted document: each line's amount from its quantity,
    unit price and discount, its tax at its tax code's rate, then subtotal, tax and total."""
    lines, subtotal, tax_total = [], Decimal(0), Decimal(0)
    for line in data.get("lines") or ():
        quantity, price = Decimal(line["quantity"]), Decimal(line["unit_price"])
        discount = Decimal(line.get("discount_percent") or 0)
        amount = (quantity * price * (100 - discount) / 100).quantize(CENT, ROUND_HALF_UP)
        rate = state.tax_rates.get(line.get("tax_code") or "", Decimal(0))
        tax = (amount * rate / 100).quantize(CENT, ROUND_HALF_UP)
        lines.append({**line, "amount": str(amount), "tax_amount": str(tax)})
        subtotal += amount
        tax_total += tax
    return {"lines": lines, "subtotal": str(subtotal), "tax_total": str(tax_total),
            "total": str(subtotal + tax_total)}


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
            if state.access_tokens.get(token, 0) < state.now():
                return jsonify(error="unauthorized"), 401
            if request.method == "GET" and state.read_faults:
                state.read_faults.pop(0)
                return jsonify(error="unavailable"), 503
            if state.faults and (request.method != "GET" or not state.faults[0][1]):
                fault, _writes_only = state.faults.pop(0)
                if fault == "auth":
                    state.revoke_all()
                    return jsonify(error="unauthorized"), 401
                if fault == "not_found":
                    return jsonify(error="not_found", message="No such record"), 404
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

    @app.get("/api/tax-rates")
    def tax_rates():
        tenant()
        return jsonify({code: str(rate) for code, rate in state.tax_rates.items()})

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
            if kind in ("invoices", "credit-notes"):
                doc.update(book(state, data), emailed=bool(data.get("send")))
            if kind == "credit-notes" and data.get("invoice"):
                doc["allocations"] = [{"invoice_id": data["invoice"], "amount": doc["total"]}]
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
                state.changes.append((state.now(), doc["type"], oid))
            if key:
                state.idempotency[key] = doc
        return jsonify(doc), 201

    @app.delete("/api/items/<oid>")
    def delete_item(oid):
        tenant()
        with state.lock:
            state.items.pop(oid, None)
        return "", 204

    @app.put("/api/invoices/<oid>")
    def update_invoice(oid):
        tenant()
        key = request.headers.get("Idempotency-Key")
        with state.lock:
            if key and key in state.idempotency:
                return jsonify(state.idempotency[key]), 200
            doc = state.documents.get(oid)
            if doc is None or doc["type"] != "invoice":
                return jsonify(error="not_found", message="No such invoice"), 404
            if doc.get("voided"):
                return jsonify(error="validation", message="A voided invoice cannot change"), 400
            data = request.get_json()
            doc.update(data, **book(state, data))
            doc["emailed"] = doc.get("emailed", False) or bool(data.get("send"))
            state.changes.append((state.now(), "invoice", oid))
            if key:
                state.idempotency[key] = doc
        return jsonify(doc)

    @app.post("/api/invoices/<oid>/void")
    def void(oid):
        tenant()
        with state.lock:
            doc = state.documents.get(oid)
            if doc is None:
                return jsonify(error="not_found"), 404
            doc["voided"] = True
            state.changes.append((state.now(), "invoice", oid))
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
        return jsonify({"documents": docs, "cursor": str(state.now())})

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
