"""The QuickBooks browser walk's world (``qbo_e2ekit.running_world``, shared with the e2e
tests): the QuickBooks sandbox on a real port, and the host over real HTTP with a real worker
process and the quickbooks plugin only, configured for that sandbox, whose webhooks the sandbox
delivers to the host (signed with the host's verifier token)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "e2e"))

from qbo_e2ekit import running_world  # noqa: E402

VERIFIER_TOKEN = "walk-qbo-verifier-token"


@pytest.fixture(scope="module")
def qbo_world(psa_template_db, tmp_path_factory):
    with running_world(psa_template_db(("quickbooks",)), tmp_path_factory.mktemp("qbo-walk"),
                       verifier_token=VERIFIER_TOKEN) as world:
        world.webhooks("legacy")
        yield world
