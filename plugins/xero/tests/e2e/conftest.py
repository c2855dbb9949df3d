"""Xero e2e modules that share one host (module fixture ``env``) across tests.

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
