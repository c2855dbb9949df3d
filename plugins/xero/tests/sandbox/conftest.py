"""Fixtures for the Xero sandbox tests: one sandbox served over real HTTP for the session,
reset before every test, and every request/response pair it saw checked against Xero's
official OpenAPI documents after every test (a mismatch fails the test)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from flask import Flask, Response, request

from host.sandbox_kit import ServerThread
from psa_xero.sandbox import UK_TENANT_ID, create_app
from psa_xero.sandbox.openapi_check import validate_exchange, validate_webhook

WEBHOOK_KEY = "TEST-ONLY-webhook-key-1234567890abcdef"
FULL_SCOPE = ("openid profile email offline_access accounting.transactions "
              "accounting.contacts accounting.settings")


@pytest.fixture(scope="session")
def server():
    app = create_app({"SANDBOX_RECORD_EXCHANGES": True})
    with ServerThread(app) as srv:
        srv.app = app
        yield srv
    app.extensions["xero_sandbox"].close()


@pytest.fixture()
def sb(server):
    """The XeroSandbox object behind the server (for white-box peeks only)."""
    return server.app.extensions["xero_sandbox"]


@pytest.fixture(autouse=True)
def _fresh_and_checked(server, sb):
    httpx.post(f"{server.url}/_sandbox/reset").raise_for_status()
    httpx.post(f"{server.url}/_sandbox/clock/scale", json={"time_scale": 1}).raise_for_status()
    yield
    problems = []
    for ex in list(sb.exchanges):
        problems += validate_exchange(
            ex["method"], ex["path"], query=ex["query"], headers=ex["headers"], body=ex["body"],
            status=ex["status"], response_headers=ex["response_headers"],
            response_body=ex["response_body"])
    sb.exchanges.clear()
    assert not problems, "OpenAPI mismatches:\n" + "\n".join(problems)


class Xero:
    """A thin API client for tests: bearer token + tenant header on every call."""

    def __init__(self, base: str, token: str, tenant: str = UK_TENANT_ID) -> None:
        self.base = base
        self.token = token
        self.tenant = tenant
        self.http = httpx.Client(base_url=base, timeout=10)

    def headers(self, extra=None, tenant=None):
        out = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
               "xero-tenant-id": tenant or self.tenant}
        out.update(extra or {})
        return out

    def call(self, method: str, path: str, *, tenant=None, headers=None, **kwargs):
        return self.http.request(method, f"/api.xro/2.0/{path.lstrip('/')}",
                                 headers=self.headers(headers, tenant), **kwargs)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def put(self, path, json, **kw):
        return self.call("PUT", path, json=json, **kw)

    def post(self, path, json, **kw):
        return self.call("POST", path, json=json, **kw)

    def invoice(self, **overrides) -> dict:
        """Create one invoice (PUT) and return it."""
        body = invoice_body(**overrides)
        resp = self.put("Invoices", {"Invoices": [body]})
        assert resp.status_code == 200, resp.text
        return resp.json()["Invoices"][0]


def invoice_body(**overrides) -> dict:
    from psa_xero.sandbox.seed import sid

    body = {"Type": "ACCREC", "Contact": {"ContactID": sid(UK_TENANT_ID, "contact:acme")},
            "Date": "2026-03-10", "DueDate": "2026-04-09", "LineAmountTypes": "Exclusive",
            "Status": "AUTHORISED", "LineItems": [
                {"Description": "Consulting", "Quantity": 10, "UnitAmount": 150,
                 "AccountCode": "210", "TaxType": "OUTPUT2"}]}
    body.update(overrides)
    return body


@pytest.fixture()
def mint(server):
    def _mint(scope: str = FULL_SCOPE, tenants=None, client_id="xero-demo-client") -> dict:
        payload = {"client_id": client_id, "scope": scope}
        if tenants is not None:
            payload["tenants"] = tenants
        resp = httpx.post(f"{server.url}/_sandbox/tokens", json=payload)
        assert resp.status_code == 200, resp.text
        return resp.json()
    return _mint


@pytest.fixture()
def xero(server, mint):
    client = Xero(server.url, mint()["access_token"])
    yield client
    client.http.close()


@pytest.fixture()
def control(server):
    with httpx.Client(base_url=f"{server.url}/_sandbox", timeout=15) as client:
        yield client


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()
    return verifier, challenge


def authorize(base: str, tenants: list[str], scope: str = FULL_SCOPE, action: str = "allow",
              redirect_uri: str = "http://127.0.0.1:9/callback", challenge: str | None = None,
              state: str = "st-1") -> dict:
    """Drive the consent form like a browser; returns the redirect's query parameters."""
    params = {"response_type": "code", "client_id": "xero-demo-client",
              "redirect_uri": redirect_uri, "scope": scope, "state": state}
    if challenge:
        params.update(code_challenge=challenge, code_challenge_method="S256")
    page = httpx.get(f"{base}/identity/connect/authorize", params=params)
    assert page.status_code == 200, page.text
    form = dict(params, action=action, tenant=list(tenants))
    resp = httpx.post(f"{base}/identity/connect/authorize", data=form)
    assert resp.status_code == 302, resp.text
    return {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["location"]).query).items()}


class Receiver:
    """A webhook endpoint that verifies ``x-xero-signature`` like a correct integration."""

    def __init__(self, key: str = WEBHOOK_KEY) -> None:
        self.key = key
        self.deliveries: list[dict] = []
        self.probes: list[dict] = []
        self.fail_next = 0
        self.lock = threading.Lock()
        self.app = Flask("receiver")
        self.app.add_url_rule("/hook", "hook", self.hook, methods=["POST"])
        self.server = ServerThread(self.app)

    def hook(self):
        raw = request.get_data()
        expected = base64.b64encode(hmac.new(self.key.encode(), raw, hashlib.sha256).digest())
        ok = hmac.compare_digest(expected.decode(), request.headers.get("x-xero-signature", ""))
        with self.lock:
            if not ok:
                return Response(status=401)
            entry = {"body": raw, "problems": validate_webhook(raw)}
            if b'"events":[]' in raw:  # an Intent-to-Receive probe
                self.probes.append(entry)
                return Response(status=200)
            self.deliveries.append(entry)
            if self.fail_next:
                self.fail_next -= 1
                return Response(status=500)
        return Response(status=200)

    @property
    def url(self) -> str:
        return f"{self.server.url}/hook"

    def events(self) -> list[dict]:
        import json

        with self.lock:
            return [e for d in self.deliveries for e in json.loads(d["body"])["events"]]


@pytest.fixture()
def receiver():
    rec = Receiver()
    rec.server.start()
    yield rec
    rec.server.stop()
    checked = rec.deliveries + rec.probes
    assert all(not d["problems"] for d in checked), [d["problems"] for d in checked]
