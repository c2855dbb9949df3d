"""The fake provider runs the shared provider contract suite, like every real provider."""

import pytest

from fakecontract import (  # noqa: F401  (the suite's fixtures)
    FakeProviderContract,
    callback_params,
    connected_connection,
    provider_state,
    sample_invoice,
)


@pytest.fixture
def provider_key():
    return "fakeprovider"


class TestFakeProviderContract(FakeProviderContract):
    pass
