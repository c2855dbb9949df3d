"""The Xero browser walk's world (``xero_e2ekit.xero_world``): the Xero sandbox on a real port
(recording every exchange for the OpenAPI check), and the host over real HTTP
(``host.integrations.e2e.E2E``: a server thread plus a real ``flask --app host worker`` process)
with the xero plugin only, configured for that sandbox. The sandbox's webhook is aimed at the
host; its intent-to-receive check must pass."""

from __future__ import annotations

import pytest
from xero_e2ekit import xero_world as make_world


@pytest.fixture(scope="module")
def xero_world(psa_template_db, tmp_path_factory):
    with make_world(psa_template_db(("xero",)), tmp_path_factory.mktemp("xero-walk")) as world:
        yield world
