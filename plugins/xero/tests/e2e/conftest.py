"""Xero e2e modules: one host per module (fixture ``env``) against the session's Xero sandbox.

``env`` is ``host.integrations.e2e.E2E`` (the host over real HTTP, a real worker process, the
xero plugin only) configured for the session sandbox (``xero_server``), whose exchanges the
plugin suite's autouse fixture checks against Xero's OpenAPI documents after each test. Modules
needing Xero's webhooks use a world of their own (``xero_e2ekit.xero_world``).

The host holds Xero's 60 calls per minute per organisation across every connection to it
(``tenant:xero:<tenant id>`` windows in its database), and each test here makes ~20 calls to the
same sandbox organisation. The plugin suite's autouse fixture resets the sandbox before each test
(a fresh Xero, with fresh limits); this one forgets the host's window rows for the previous
test's calls to that earlier Xero, so a module of tests does not queue behind its own past
minute (a web request would wait up to ``PSA_RATE_LIMIT_MAX_WAIT`` for a slot).
Within a test the windows hold as in production.
"""

from __future__ import annotations

import pytest
from xero_testkit import xero_config

from host.integrations.e2e import E2E


@pytest.fixture(scope="module")
def env(request, psa_template_db, tmp_path_factory, xero_server):
    name = request.module.__name__.rpartition(".")[2]
    e2e = E2E(psa_template_db(("xero",)), tmp_path_factory.mktemp(name), plugins=("xero",),
              config=xero_config(xero_server.url))
    e2e.start()
    yield e2e
    e2e.stop()


@pytest.fixture(autouse=True)
def _host_forgets_the_previous_tests_xero_calls(request):
    if "env" in request.fixturenames:
        env = request.getfixturevalue("env")
        from host.extensions import db
        from host.models.rate_limit import ConcurrencyLease

        with env.app.app_context():
            db.session.execute(db.delete(ConcurrencyLease).where(
                ConcurrencyLease.key.like("window:%")))
            db.session.commit()
            db.session.remove()
    yield
