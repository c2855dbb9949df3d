"""Fixtures for the QuickBooks Online sandbox tests: a fresh sandbox on a real HTTP port per
test, an API client holding a minted token, and a webhook receiver."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
from flask import Flask, request

from host.sandbox_kit import ServerThread
from psa_quickbooks.sandbox import DEFAULT_REALMS, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, create_app

US, UK = DEFAULT_REALMS["us"], DEFAULT_REALMS["uk"]


class QboApi:
    """A thin httpx client for ``/v3/company/<realm>/`` with the sandbox's control API."""

    def __init__(self, base_url: str, realm: str = US, client_id: str = DEMO_CLIENT_ID) -> None:
        self.base = base_url
        self.realm = realm
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.token = self.mint(realm, client_id)["access_token"]

    def mint(self, realm: str, client_id: str = DEMO_CLIENT_ID) -> dict:
        r = self.http.post("/_sandbox/tokens", json={"client_id": client_id, "realm_id": realm})
        assert r.status_code == 200, r.text
        return r.json()

    def for_realm(self, realm: str) -> "QboApi":
        return QboApi(self.base, realm)

    def url(self, path: str) -> str:
        return f"/v3/company/{self.realm}/{path.lstrip('/')}"

    def headers(self, extra=None) -> dict:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/json", **(extra or {})}

    def get(self, path: str, **params) -> httpx.Response:
        params.setdefault("minorversion", 75)
        return self.http.get(self.url(path), params=params, headers=self.headers())

    def post(self, path: str, body=None, **params) -> httpx.Response:
        params.setdefault("minorversion", 75)
        return self.http.post(self.url(path), params=params, json=body, headers=self.headers())

    def query(self, statement: str) -> httpx.Response:
        return self.http.post(self.url("query"), params={"minorversion": 75}, content=statement,
                              headers=self.headers({"Content-Type": "application/text"}))

    def rows(self, statement: str) -> list[dict]:
        r = self.query(statement)
        assert r.status_code == 200, r.text
        qr = r.json()["QueryResponse"]
        return next((v for v in qr.values() if isinstance(v, list)), [])

    def create(self, entity: str, body: dict, **params) -> dict:
        r = self.post(entity.lower(), body, **params)
        assert r.status_code == 200, r.text
        return r.json()[entity]

    def control(self, method: str, path: str, **kw) -> httpx.Response:
        return self.http.request(method, "/_sandbox/" + path.lstrip("/"), **kw)

    def stored(self, entity: str, ident: str) -> dict:
        r = self.control("GET", f"companies/{self.realm}/entities/{entity}/{ident}")
        assert r.status_code == 200, r.text
        return r.json()[entity]

    def close(self):
        self.http.close()


def fault_code(response: httpx.Response) -> str:
    return response.json()["Fault"]["Error"][0]["code"]


class Receiver:
    """Records webhook deliveries; answers the queued statuses first, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.received: list[tuple[dict, bytes]] = []
        self.lock = threading.Lock()
        app = Flask("receiver")

        @app.post("/webhooks/qbo")
        def hook():
            with self.lock:
                self.received.append(({k.lower(): v for k, v in request.headers.items()}, request.get_data()))
                status = self.statuses.pop(0) if self.statuses else 200
            return "", status

        self.server = ServerThread(app)

    @property
    def url(self) -> str:
        return self.server.url + "/webhooks/qbo"

    def wait(self, count: int = 1, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.01)
        raise AssertionError(f"expected {count} deliveries, got {len(self.received)}")


@pytest.fixture
def qbo_config():
    """Overridable per test module (``@pytest.fixture def qbo_config(): ...``).

    The test clients here do not pace themselves and a local sandbox answers far faster than
    QuickBooks, so they would pass Intuit's 10 requests a second; the per-second throttle has
    its own tests (``test_throttle_and_faults.py``), which use the default."""
    return {"QBO_WEBHOOK_BATCH_SECONDS": 0, "QBO_RATE_PER_SECOND": 1000}


@pytest.fixture
def qbo_app(qbo_config):
    app = create_app(qbo_config)
    yield app
    app.extensions["qbo_sandbox"].close()


@pytest.fixture
def qbo_server(qbo_app):
    with ServerThread(qbo_app) as server:
        yield server


@pytest.fixture
def qbo(qbo_server):
    api = QboApi(qbo_server.url)
    yield api
    api.close()


@pytest.fixture
def uk(qbo_server):
    api = QboApi(qbo_server.url, UK)
    yield api
    api.close()


@pytest.fixture
def receiver():
    rec = Receiver()
    with rec.server:
        yield rec


@pytest.fixture
def demo_client():
    return {"client_id": DEMO_CLIENT_ID, "client_secret": DEMO_CLIENT_SECRET}
