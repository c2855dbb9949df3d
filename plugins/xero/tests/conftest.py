"""Fixtures for the Xero plugin's tests: the Xero sandbox over real HTTP, host apps configured
for it, connections holding real sandbox tokens, and the contract suite's fixtures.

Every exchange the plugin has with the sandbox during a test is checked against Xero's
official OpenAPI documents (``shared/reference/xero-openapi``) afterwards; any mismatch fails
the test (fixture ``_xero_openapi_checked``, automatic outside ``tests/sandbox``).
"""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from host.sandbox_kit import ServerThread
from psa_xero.sandbox import DEMO_CLIENT_ID, MC_TENANT_ID, UK_TENANT_ID, US_TENANT_ID
from psa_xero.sandbox import create_app as create_sandbox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xero_state import XeroProviderState  # noqa: E402
from xero_testkit import (  # noqa: E402
    MC_NAME,
    UK_NAME,
    US_NAME,
    invoice_data,
    line,
    openapi_problems,
    xero_config,
)

from hookspecs import TaxRateData  # noqa: E402

PLUGIN_SCOPE = ("openid profile email offline_access accounting.invoices accounting.payments "
                "accounting.contacts accounting.settings.read")


@pytest.fixture(scope="session")
def xero_server():
    """The Xero sandbox for the whole session, recording every exchange."""
    sandbox = create_sandbox({"SANDBOX_RECORD_EXCHANGES": True, "SANDBOX_START_WEBHOOKS": False})
    with ServerThread(sandbox) as srv:
        srv.sandbox = sandbox.extensions["xero_sandbox"]
        yield srv
    sandbox.extensions["xero_sandbox"].close()


def _in_own_suite(request) -> bool:
    parts = set(request.node.path.parts)
    return not ({"sandbox", "browser"} & parts)


@pytest.fixture(autouse=True)
def _xero_openapi_checked(request):
    """Fresh sandbox before each plugin test; every exchange validated after it."""
    if not _in_own_suite(request):
        yield
        return
    server = request.getfixturevalue("xero_server")
    httpx.post(f"{server.url}/_sandbox/reset").raise_for_status()
    httpx.delete(f"{server.url}/_sandbox/faults").raise_for_status()
    server.sandbox.exchanges.clear()
    yield
    problems = openapi_problems(server.sandbox)
    server.sandbox.exchanges.clear()
    assert not problems, "Requests/responses not matching Xero's OpenAPI documents:\n" + \
        "\n".join(problems)


# -- host side ---------------------------------------------------------------------------------


@pytest.fixture
def psa_plugins():
    return ("xero",)


@pytest.fixture
def psa_provider_key():
    return "xero"


@pytest.fixture
def provider_key():
    return "xero"


@pytest.fixture
def app(make_app, xero_server):
    return make_app(plugins=("xero",), **xero_config(xero_server.url))


@pytest.fixture
def mint(xero_server):
    """Real sandbox tokens for the demo client, connected to the given organisations."""
    def _mint(tenants=(UK_TENANT_ID,), scope: str = PLUGIN_SCOPE) -> dict:
        resp = httpx.post(f"{xero_server.url}/_sandbox/tokens",
                          json={"client_id": DEMO_CLIENT_ID, "tenants": list(tenants),
                                "scope": scope})
        assert resp.status_code == 200, resp.text
        data = resp.json()
        return {"access_token": data["access_token"], "refresh_token": data["refresh_token"],
                "token_type": "Bearer", "expires_in": data.get("expires_in", 1800)}
    return _mint


UK_SETTINGS = {"default_revenue_account": "200", "auto_send": False, "tracking_category": "",
               "bank_account_code": "090"}
US_SETTINGS = {"default_revenue_account": "4000", "auto_send": False, "tracking_category": "",
               "bank_account_code": "1000"}


ORGS = {"uk": ((UK_TENANT_ID, UK_NAME), UK_SETTINGS), "us": ((US_TENANT_ID, US_NAME), US_SETTINGS),
        "mc": ((MC_TENANT_ID, MC_NAME), UK_SETTINGS)}


@pytest.fixture
def xero_connection(connection_factory, mint):
    """``xero_connection(org="uk"|"us"|"mc", settings=None, **kw)`` -> a connected host
    Connection (``mc``: the multicurrency organisation, GBP with EUR and USD added)."""
    def make(org: str = "uk", settings: dict | None = None, **kw):
        tenant, base = ORGS[org]
        return connection_factory(tokens=mint((tenant[0],)), tenant=tenant,
                                  settings={**base, **(settings or {})}, **kw)
    return make


@pytest.fixture
def connected_connection(xero_connection):
    return xero_connection("uk")


@pytest.fixture
def handle(app, db):
    """``handle(connection)``: the plugin-facing handle (closed after the test)."""
    from host.integrations.handle import handle_for

    made = []

    def make(connection):
        h = handle_for(connection, app=app)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()


#: the PSA's 20 % VAT rate, mapped to the UK organisation's OUTPUT2 in ``sample_invoice``
VAT20 = TaxRateData(id=8020, name="VAT 20%", rate=Decimal("20"))


@pytest.fixture
def sample_invoice(connected_connection, set_mapping):
    """An invoice the UK organisation books as it is: two lines, 10 h and 2 days, the first
    with 20 % VAT (the PSA rate mapped to Xero's OUTPUT2), due 30 days after issue, for a client
    with a billing email."""
    set_mapping(connected_connection, "tax_type", VAT20.id, "OUTPUT2")
    return invoice_data(lines=(line("Consulting, November (10 h)", "10", "150.00",
                                    tax_rate=VAT20),
                               line("Workshop facilitation (2 days)", "2", "480.00")),
                        tax_total="300.00")


# -- contract suite extras ---------------------------------------------------------------------


@pytest.fixture
def provider_state(app, db, xero_server, connected_connection):
    """The provider-state protocol (``host.integrations.provider_state``) for the organisation
    ``connected_connection`` is connected to, read and steered in the sandbox directly
    (``xero_state.XeroProviderState``), two-way methods included."""
    from host.models.external_ref import ConnectionMapping

    def taxed() -> str:
        """The TaxType the connection's ``tax_type`` mapping points at (OUTPUT2 without one):
        what a ``taxed`` line of a record created in Xero carries."""
        row = db.session.query(ConnectionMapping).filter_by(
            connection_id=connected_connection.id, kind="tax_type").first()
        return row.external_id if row else "OUTPUT2"

    return XeroProviderState(xero_server, str(connected_connection.tenant_id),
                             app.config["XERO_WEBHOOK_KEY"], taxed=taxed,
                             revenue_account=UK_SETTINGS["default_revenue_account"])


@pytest.fixture
def faults(xero_server):
    """``faults(kind, path=..., method=..., count=1, **rule)``: inject a sandbox fault."""
    def add(kind: str, path: str = "/api.xro/2.0/", method: str = "*", count: int | None = 1,
            **rule):
        resp = httpx.post(f"{xero_server.url}/_sandbox/faults",
                          json={"kind": kind, "path": path, "method": method, "count": count,
                                **rule})
        assert resp.status_code in (200, 201), resp.text
    return add


@pytest.fixture
def sandbox_api(xero_server):
    """Read the sandbox's state: ``sandbox_api(tenant, kind[, id])`` (control API)."""
    def get(tenant: str, kind: str, entity_id: str | None = None):
        path = f"/_sandbox/entities/{tenant}/{kind}" + (f"/{entity_id}" if entity_id else "")
        resp = httpx.get(f"{xero_server.url}{path}")
        assert resp.status_code == 200, resp.text
        return resp.json()
    return get


@pytest.fixture
def set_mapping(db):
    """``set_mapping(connection, kind, host_id, external_id)``: the admin's mapping row."""
    from host.models.external_ref import ConnectionMapping

    def put(connection, kind: str, host_id, external_id: str) -> None:
        db.session.add(ConnectionMapping(connection_id=connection.id, kind=kind,
                                         host_id=str(host_id), external_id=external_id))
        db.session.commit()
    return put


@pytest.fixture
def hook(db):
    """``hook(connection, name, **kwargs)``: call the owning plugin's hook like the host does."""
    from host.integrations.dispatch import call_owner

    def call(connection, name: str, **kwargs):
        return call_owner(connection, name, **kwargs)
    return call
