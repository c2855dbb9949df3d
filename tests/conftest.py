"""Host tests: fixtures come from the ``psa`` pytest plugin (host.integrations.testing).

This file only puts ``tests/`` on ``sys.path`` so the fake provider (``fakeprovider``) and its
ledger (``fakeledger``) import by name, and resets the ledger between tests.
"""

import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)


@pytest.fixture(autouse=True)
def _reset_fake_ledger():
    import fakeledger

    fakeledger.LEDGER.reset()
    yield


@pytest.fixture
def fake_ledger():
    """The fake provider's ledger (reset for this test); see tests/fakeledger.py."""
    import fakeledger

    return fakeledger.LEDGER
