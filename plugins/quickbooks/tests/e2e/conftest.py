"""The QuickBooks end-to-end world (``qbo_e2ekit.running_world``): the QuickBooks sandbox on a
real port, and the host over real HTTP (``host.integrations.e2e.E2E``: a server thread plus a
real ``flask --app host worker`` process) with only the quickbooks plugin, configured for that
sandbox. The sandbox's webhooks are aimed at the host's ``/webhooks/quickbooks`` per test
(``world.webhooks(fmt)``).

* ``payments_world`` (module): that world (``.env``, ``.sandbox_url``, ``.control``,
  ``.webhooks``).
* ``tenant``: a new organization whose first business unit is connected to the US company
  (webhooks off, no faults); disconnected afterwards through the host's page (one live
  connection per company).
* ``books``: the US company's Accounting API and pages (``qbo_e2ekit.Books``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from qbo_e2ekit import Books, connect, disconnect, running_world  # noqa: E402

VERIFIER_TOKEN = "e2e-qbo-verifier-token"


@pytest.fixture(scope="module")
def payments_world(psa_template_db, tmp_path_factory):
    with running_world(psa_template_db(("quickbooks",)), tmp_path_factory.mktemp("qbo-payments"),
                       verifier_token=VERIFIER_TOKEN,
                       sandbox_config={"QBO_WEBHOOK_BATCH_SECONDS": 0.2},
                       # no periodic pass during a test: the tests ask for reconciliation
                       config={"RECONCILE_INTERVAL_MINUTES": 59}) as world:
        yield world


@pytest.fixture
def tenant(payments_world):
    payments_world.control("DELETE", "faults")
    payments_world.webhooks(None)
    tenant = connect(payments_world)
    yield tenant
    payments_world.control("DELETE", "faults")
    disconnect(tenant)


@pytest.fixture
def books(payments_world):
    b = Books(payments_world)
    yield b
    b.close()
