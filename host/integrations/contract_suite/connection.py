"""Scenarios: connect, test, disconnect.

What an admin sees: after consent the company they authorized is listed; Test answers with
checks (and a fix for each failure) instead of an error page, even when the provider is down;
the write check leaves nothing behind; Disconnect never fails.
"""

from __future__ import annotations

import pytest

from host.contract.errors import AuthError
from host.contract.types import ConnectionInfo, TestResult
from host.integrations.contract_suite.hooks import call, need


def _assert_checks(result, what: str) -> None:
    assert isinstance(result, TestResult), f"{what}: test_connection must return a TestResult"
    assert result.checks, f"{what}: test_connection returned no checks"
    for check in result.checks:
        assert check.status in ("pass", "warn", "fail") and check.name and check.message, (
            f"{what}: every Check needs a name, a message and a status pass/warn/fail: {check}")
        if check.status == "fail":
            assert check.fix, f"{what}: failed check {check.name!r} needs a fix text"


class ConnectionScenarios:
    """``on_connect``, ``test_connection`` and ``on_disconnect``."""

    def test_hook_on_connect_lists_the_tenant_and_writes_nothing(
            self, app, db, provider_key, connected_connection, callback_params, provider_state):
        need(app, provider_key, "on_connect")
        before = dict(provider_state.live_records())
        info = call(connected_connection, "on_connect", callback_params=callback_params)
        assert isinstance(info, ConnectionInfo), "on_connect must return a ConnectionInfo"
        tenants = [t.id for t in info.tenants]
        assert connected_connection.tenant_id in tenants, (
            f"on_connect listed tenants {tenants}, not the company the grant was given for "
            f"({connected_connection.tenant_id!r}, callback parameters {dict(callback_params)})")
        assert dict(provider_state.live_records()) == before, (
            "on_connect wrote at the provider (its records changed from "
            f"{before} to {dict(provider_state.live_records())}); it must only read")

    def test_hook_test_connection_read_only_returns_checks_and_writes_nothing(
            self, app, db, provider_key, connected_connection, provider_state):
        need(app, provider_key, "test_connection")
        before = dict(provider_state.live_records())
        _assert_checks(call(connected_connection, "test_connection", write_check=False),
                       "read-only test")
        assert dict(provider_state.live_records()) == before, (
            "test_connection(write_check=False) wrote at the provider; without the write check "
            "the test must be read-only")

    def test_hook_test_connection_write_check_cleans_up(
            self, app, db, provider_key, connected_connection, provider_state):
        need(app, provider_key, "test_connection")
        before = dict(provider_state.live_records())
        _assert_checks(call(connected_connection, "test_connection", write_check=True),
                       "write check")
        after = dict(provider_state.live_records())
        assert after == before, (
            f"the write check left records at the provider ({before} before, {after} after): "
            "remove (or void / deactivate) what it created")

    def test_hook_test_connection_reports_a_provider_down_as_a_failed_check(
            self, app, db, provider_key, connected_connection, provider_state):
        need(app, provider_key, "test_connection")
        provider_state.inject_fault("provider_down", writes_only=False)
        try:
            result = call(connected_connection, "test_connection", write_check=False)
        except Exception as exc:  # noqa: BLE001 - the scenario's point
            pytest.fail(f"test_connection raised {type(exc).__name__} ({exc}) when the provider "
                        "was down; report it as a failed Check with a fix instead of raising")
        _assert_checks(result, "provider down")
        assert not result.ok, (
            "test_connection passed every check while the provider answered 503; report the "
            "outage as a failed check")

    def test_hook_test_connection_raises_auth_error_when_credentials_are_refused(
            self, app, db, provider_key, connected_connection, provider_state):
        need(app, provider_key, "test_connection")
        provider_state.inject_fault("auth", writes_only=False)
        with pytest.raises(AuthError, match=".") as err:
            call(connected_connection, "test_connection", write_check=False)
        assert err.value.message and err.value.fix, "the AuthError needs a message and a fix"

    def test_hook_on_disconnect_returns_a_bool(self, app, db, provider_key,
                                              connected_connection):
        need(app, provider_key, "on_disconnect")
        result = call(connected_connection, "on_disconnect")
        assert isinstance(result, bool), f"on_disconnect must return True or False, not {result!r}"

    def test_hook_on_disconnect_never_raises_with_the_provider_down(
            self, app, db, provider_key, connected_connection, provider_state):
        need(app, provider_key, "on_disconnect")
        provider_state.inject_fault("provider_down", writes_only=False)
        try:
            result = call(connected_connection, "on_disconnect")
        except Exception as exc:  # noqa: BLE001 - the scenario's point
            pytest.fail(f"on_disconnect raised {type(exc).__name__} ({exc}) with the provider "
                        "down; swallow provider errors and return False")
        assert isinstance(result, bool), f"on_disconnect must return True or False, not {result!r}"
