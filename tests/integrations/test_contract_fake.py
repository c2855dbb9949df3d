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


def test_the_suite_has_a_scenario_for_every_hook():
    import pluggy

    import hookspecs
    from host.integrations.contract_suite import OPTIONAL_HOOKS, REQUIRED_HOOKS

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    hooks = {name for name in dir(pm.hook) if not name.startswith("_")}
    assert REQUIRED_HOOKS | OPTIONAL_HOOKS == hooks and not REQUIRED_HOOKS & OPTIONAL_HOOKS
    scenarios = [name for name in dir(FakeProviderContract) if name.startswith("test_")]
    for hook in hooks:
        assert any(s.startswith((f"test_hook_{hook}_", f"test_{hook}_")) for s in scenarios), hook
