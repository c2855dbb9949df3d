"""End to end: the host over real HTTP, a real worker process, the fake provider's ledger.

``e2e`` (module-scoped) serves a host app on 127.0.0.1 with Huey on SQLite and starts
``flask --app host worker`` as a separate process with the same configuration (through
``PSA_*`` environment variables). Tests talk to the host with an ``httpx`` client only.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

import pytest  # noqa: E402


@pytest.fixture(scope="module")
def e2e(psa_template_db, tmp_path_factory):
    from e2ekit import E2E

    env = E2E(psa_template_db(("fakeprovider",)), tmp_path_factory.mktemp("e2e"))
    env.start()
    yield env
    env.stop()


@pytest.fixture
def tenant(e2e):
    """A fresh organization connected to the fake ledger through the real OAuth pages."""
    return e2e.new_connected_org()
