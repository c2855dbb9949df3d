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

The accountant's own pages, for two-way sync (records created or edited in the ledger)::

    cid = LEDGER.create_record("customer", {"name": "Acme", "email": "ap@acme.test",
                                            "tax_id": "GB123"})
    iid = LEDGER.create_record("item", {"name": "Audit", "sku": "AUD-1",
                                        "unit_price": Decimal("90"), "income_account": "410"})
    inv = LEDGER.create_record("invoice", {"customer": cid, "issue_date": "2026-11-01",
                                           "due_date": "2026-12-01", "currency": "USD",
                                           "memo": "Thanks", "po_number": "PO-7",
                                           "lines": [{"item": iid, "description": "Audit",
                                                      "quantity": "3", "unit_price": "90",
                                                      "tax_code": "TAX"}]})
    LEDGER.edit_record("customer", cid, {"email": "billing@acme.test"})
    LEDGER.edit_record("item", iid, {"active": False})        # archived
    LEDGER.edit_record("invoice", inv, {"voided": True})      # voided
    body, headers = LEDGER.change_webhook("customer", [cid], "Update")   # signed webhook

Change feed: every customer, item and invoice carries ``version`` (1, 2, ... per record),
``created`` and ``updated`` (the ledger clock) and ``seq``, the ledger-wide change number of
its last change (strictly increasing). ``GET /api/records/<object>?after=<id>&limit=N`` lists
records ordered by id; ``?changed_after=<seq>&limit=N`` lists those changed after a change
number, in change order; both answer ``{"records": [...], "more": bool, "seq": <current>}``.
Invoices come with their ``state`` (draft/open/paid/voided) and their ``payments``.
``PUT /api/customers/<id>`` and ``PUT /api/items/<id>`` change only the keys they are sent.

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
            #: change number of the ledger's last change to a customer, item or invoice
            self.change_seq = 0
            self.items: dict[str, dict] = {}
            for oid, name in (("1", "Services"), ("2", "Consulting"), ("3", "Hardware")):
                self.items[oid] = self.touch({**ITEM_DEFAULTS, "id": oid, "name": name})
            #: income accounts items can book to
            self.accounts = {"400": "Sales", "410": "Consulting revenue"}

    def now(self) -> float:
        """The ledger's clock: epoch seconds plus ``clock_offset``."""
        return time.time() + self.clock_offset

    def touch(self, record: dict) -> dict:
        """A record changed: its version moves on, its updated time is now, and it takes the
        next change number (the change feed's order)."""
        now = self.now()
        self.change_seq += 1
        record.setdefault("created", now)
        record.update(version=int(record.get("version") or 0) + 1, updated=now,
                      seq=self.change_seq)
        return record

    def create_record(self, object: str, data: dict, tenant_id: str = "t-1") -> str:
        """The accountant creates a ``"customer"``, ``"item"`` or ``"invoice"`` on the ledger's
        own pages (never through the API); returns its id. Invoices are booked (amounts, tax)
        as the API books them and numbered ``INV-<id>``."""
        with self.lock:
            oid = self.next_id()
            if object == "customer":
                self.customers[oid] = self.touch(
                    {**CUSTOMER_DEFAULTS, **data, "id": oid, "tenant": tenant_id})
            elif object == "item":
                self.items[oid] = self.touch({**ITEM_DEFAULTS, **data, "id": oid})
            elif object == "invoice":
                doc = {"currency": "USD", "memo": "", "po_number": "", **data, "id": oid,
                       "tenant": tenant_id, "type": "invoice", "number": f"INV-{oid}",
                       "voided": False, "emailed": False}
                doc.update(book(self, data))
                self.documents[oid] = self.touch(doc)
                self.changes.append((self.now(), "invoice", oid))
            else:
                raise ValueError(f"the fake ledger has no {object!r} records")
        return oid

    def edit_record(self, object: str, oid: str, changes: dict) -> None:
        """The accountant edits a record on the ledger's pages: ``changes`` replace those keys
        (``{"active": False}`` archives a customer or item, ``{"voided": True}`` voids an
        invoice; new ``lines`` are booked again)."""
        with self.lock:
            record = self.record(object, oid)
            if record is None:
                raise KeyError(f"the fake ledger has no {object} {oid!r}")
            record.update(changes)
            if object == "invoice" and "lines" in changes:
                record.update(book(self, record))
            self.touch(record)
            if object == "invoice":
                self.changes.append((self.now(), "invoice", oid))

    def record(self, object: str, oid: str) -> dict | None:
        """The customer, item or invoice with this id (the stored dict), or None."""
        if object == "customer":
            return self.customers.get(oid)
        if object == "item":
            return self.items.get(oid)
        doc = self.documents.get(oid)
        return doc if doc is not None and doc["type"] == "invoice" else None

    def change_webhook(self, object: str, ids: list[str], operation: str = "Update",
                       tenant_id: str = "t-1"):
        """The signed webhook (body, headers) the ledger sends after ``ids`` of ``object``
        changed (``operation``: ``Create``, ``Update``, ``Delete``, ``Void``); not sent."""
        entity = {"customer": "Customer", "item": "Item", "invoice": "Invoice"}[object]
        with self.lock:
            events = [{"tenant": tenant_id, "entity": entity, "id": oid,
                       "operation": operation, "event_id": f"ev-{entity}-{oid}-{self.now()}"}
                      for oid in ids]
        body = json.dumps({"events": events}).encode()
        return body, {"Content-Type": "application/json", "X-Fake-Signature": sign(body)}

    def invoice_state(self, doc: dict) -> str:
        """``draft``, ``open``, ``paid`` (payments cover the total) or ``voided``."""
        if doc.get("voided"):
            return "voided"
        if doc.get("draft"):
            return "draft"
        paid = sum((Decimal(p["amount"]) for p in self.payments_of(doc["id"])
                    if not p.get("voided")), Decimal(0))
        return "paid" if paid >= Decimal(doc["total"]) else "open"

    def payments_of(self, invoice_id: str) -> list[dict]:
        return [d for d in self.documents.values()
                if d["type"] == "payment" and d.get("invoice_id") == invoice_id]

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
            counts = {"Customer": sum(c.get("tenant") == tenant_id and c.get("active", True)
                                      for c in self.customers.values()),
                      "Item": sum(bool(i.get("active", True)) for i in self.items.values())}
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
            if invoice_id in self.documents:  # its balance changed: in the change feed
                self.touch(self.documents[invoice_id])
        body = json.dumps({"events": [{"tenant": tenant_id, "entity": "Payment", "id": pid,
                                        "operation": "Create", "event_id": f"ev-{pid}"}]}).encode()
        return body, {"Content-Type": "application/json", "X-Fake-Signature": sign(body)}


CENT = Decimal("0.01")

#: What a customer holds besides its id and tenant (``tax_id``: its VAT / tax number).
CUSTOMER_DEFAULTS = {"name": "", "email": "", "contact": "", "tax_id": "", "active": True}
#: What an item holds besides its id (``income_account``: an id of ``LedgerState.accounts``).
ITEM_DEFAULTS = {"name": "", "sku": "", "unit_price": None, "description": "",
                 "income_account": "", "active": True}
#: The keys ``PUT /api/customers/<id>`` and ``PUT /api/items/<id>`` change.
EDITABLE = {"customers": set(CUSTOMER_DEFAULTS), "items": set(ITEM_DEFAULTS)}


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
        if kind == "item":
            return jsonify([{"id": k, "name": v["name"]} for k, v in state.items.items()
                            if v.get("active", True)])
        source = {"tax_code": state.tax_codes, "account": state.accounts}.get(kind)
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
                state.customers[oid] = state.touch({**CUSTOMER_DEFAULTS, **doc})
            elif kind == "items":
                state.items[oid] = state.touch({**ITEM_DEFAULTS, **data, "id": oid})
            else:
                doc["type"] = {"invoices": "invoice", "credit-notes": "credit_note",
                               "payments": "payment"}[kind]
                doc["number"] = f"{doc['type'][:3].upper()}-{oid}"
                if state.books_in and kind != "payments":
                    doc["currency"] = state.books_in
                doc.setdefault("voided", False)
                if doc["type"] == "invoice":
                    state.touch(doc)
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

    @app.put("/api/<kind>/<oid>")
    def update_record(kind, oid):
        """Change a customer or an item: only the keys sent (an absent key keeps its value)."""
        tenant()
        if kind not in EDITABLE:
            abort(404)
        key = request.headers.get("Idempotency-Key")
        with state.lock:
            if key and key in state.idempotency:
                return jsonify(state.idempotency[key]), 200
            record = (state.customers if kind == "customers" else state.items).get(oid)
            if record is None:
                return jsonify(error="not_found", message="No such record"), 404
            data = request.get_json() or {}
            record.update({k: v for k, v in data.items() if k in EDITABLE[kind]})
            state.touch(record)
            if key:
                state.idempotency[key] = dict(record)
        return jsonify(record)

    @app.get("/api/records/<object>")
    def records(object):
        """The change feed: by id (``after``) or by change number (``changed_after``)."""
        tid = tenant()
        if object not in ("customer", "item", "invoice"):
            abort(404)
        limit = max(1, min(int(request.args.get("limit") or 100), 1000))
        with state.lock:
            if object == "customer":
                pool = [c for c in state.customers.values() if c.get("tenant") == tid]
            elif object == "item":
                pool = list(state.items.values())
            else:
                pool = [d for d in state.documents.values()
                        if d["type"] == "invoice" and d["tenant"] == tid]
            if "changed_after" in request.args:
                since = int(request.args["changed_after"])
                pool = sorted((r for r in pool if r.get("seq", 0) > since),
                              key=lambda r: r["seq"])
            else:
                after = request.args.get("after") or ""
                pool = sorted((r for r in pool if not after or _id_order(r["id"]) > _id_order(after)),
                              key=lambda r: _id_order(r["id"]))
            page = [dict(r) for r in pool[:limit]]
            if object == "invoice":
                for doc in page:
                    doc["state"] = state.invoice_state(doc)
                    doc["payments"] = [dict(p) for p in state.payments_of(doc["id"])]
            return jsonify({"records": page, "more": len(pool) > limit,
                            "seq": state.change_seq})

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
            state.touch(doc)
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
            if doc["type"] == "invoice":
                state.touch(doc)
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


def _id_order(oid: str) -> tuple[int, str]:
    """Ids sort as numbers (``"9"`` before ``"10"``)."""
    return (len(oid), oid)


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
