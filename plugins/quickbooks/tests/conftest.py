"""Fixtures for the QuickBooks plugin's tests: the sandbox over real HTTP, a host app aimed at
it, connections holding real sandbox tokens, and the ProviderContractSuite fixtures.

* ``qbo_sandbox`` (session): the sandbox served by a ``ServerThread`` (``.url``, ``.app``);
  reset (companies re-seeded, tokens, faults, log) before every test that uses ``qbo``.
* ``qbo``: a :class:`Sandbox` helper: control API (``fault``, ``preferences``, ``entities``,
  ``entity``, ``requests``), tokens (``tokens(realm)``).
* ``app``: the host app with only the ``quickbooks`` plugin, its config pointing at the sandbox.
* ``qbo_connection(realm="us", settings=None)``: a connected host ``Connection`` with tokens
  minted by the sandbox for that company.
* ``hook(conn, name, **kwargs)``: call a hook on the owning plugin (``call_owner``).
* Contract suite: ``psa_plugins``, ``provider_key``, ``psa_provider_key``,
  ``connected_connection`` (US company), ``sample_invoice``, ``provider_state`` (the
  sandbox company read and steered directly, :mod:`qbo_state`) and ``callback_params``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from host.sandbox_kit import ServerThread  # noqa: E402
from psa_quickbooks.sandbox import DEFAULT_REALMS, create_app  # noqa: E402
from qbo_state import QboProviderState  # noqa: E402
from qbo_testkit import (OAUTH_CLIENTS, REALM_SETTINGS, SALES_TAX, Sandbox,  # noqa: E402
                         app_config, make_invoice)


@pytest.fixture(scope="session")
def qbo_sandbox():
    """The QuickBooks sandbox served over real HTTP for the session (``.url``, ``.app``);
    webhooks are not sent by themselves (tests capture them, :mod:`qbo_books`)."""
    app = create_app({"QBO_WEBHOOK_BATCH_SECONDS": 0, "QBO_START_WEBHOOKS": False,
                      "QBO_OAUTH_CLIENTS": OAUTH_CLIENTS})
    server = ServerThread(app).start()
    server.app = app
    yield server
    server.stop()
    app.extensions["qbo_sandbox"].close()


@pytest.fixture
def qbo(qbo_sandbox):
    """The sandbox's control API (:class:`qbo_testkit.Sandbox`), after a reset: companies
    re-seeded, tokens, faults and the request log forgotten."""
    sandbox = Sandbox(qbo_sandbox)
    sandbox.reset()
    yield sandbox
    sandbox.http.close()


@pytest.fixture
def psa_plugins():
    """The plugins the host app loads: only this one."""
    return ("quickbooks",)


@pytest.fixture
def provider_key():
    """This plugin's provider key (= its entry-point name)."""
    return "quickbooks"


@pytest.fixture
def psa_provider_key():
    """The provider key ``connection_factory`` uses."""
    return "quickbooks"


@pytest.fixture
def app(make_app, psa_plugins, qbo):
    """The host app with only the QuickBooks plugin, its configuration aimed at the sandbox."""
    return make_app(plugins=psa_plugins, **app_config(qbo.url))


@pytest.fixture
def qbo_connection(connection_factory, qbo, org):
    """``qbo_connection(realm="us", settings=None, business_unit_id=None)``."""

    def factory(realm: str = "us", settings: dict | None = None, business_unit_id=None):
        realm_id = DEFAULT_REALMS.get(realm, realm)
        key = next((k for k, v in DEFAULT_REALMS.items() if v == realm_id), "us")
        tokens = qbo.tokens(realm_id)
        merged = dict(REALM_SETTINGS[key], **(settings or {}))
        return connection_factory(
            business_unit_id=business_unit_id, provider_key="quickbooks",
            tokens={"access_token": tokens["access_token"],
                    "refresh_token": tokens["refresh_token"], "token_type": "Bearer",
                    "expires_in": tokens.get("expires_in", 3600)},
            tenant=(realm_id, f"Sandbox {key}"), settings=merged)

    return factory


@pytest.fixture
def hook(db):
    """``hook(conn, name, **kwargs)``: call a hook on the plugin owning ``conn``."""
    from host.integrations.dispatch import call_owner

    def call(conn, name, **kwargs):
        return call_owner(conn, name, **kwargs)

    return call


@pytest.fixture
def connected_connection(qbo_connection):
    """A connection to the sandbox's US company, with tokens the sandbox minted."""
    return qbo_connection("us")


@pytest.fixture
def sample_invoice():
    """10 h consulting at 150 (taxed 8 %, the US company's own rate) and 1 travel line at 80,
    due 30 days after issue, for a client with a billing email; no classes (the US company
    does not track them), so QuickBooks books exactly what was sent."""
    invoice = make_invoice(tax_rate=SALES_TAX)
    return replace(invoice, lines=tuple(replace(line, class_label=None)
                                        for line in invoice.lines))


@pytest.fixture
def provider_state(qbo, app, connected_connection):
    """The contract suite's view of the company ``connected_connection`` is connected to:
    a :class:`qbo_state.QboProviderState` reading and steering the sandbox directly."""
    return QboProviderState(qbo, connected_connection.tenant_id, app.config)


@pytest.fixture
def callback_params(connected_connection):
    """What QuickBooks' OAuth redirect hands ``on_connect``: the company chosen at consent."""
    return {"realmId": connected_connection.tenant_id}
