"""The plugin manager: hookspecs first, blocking, autoload switch, tracing; the registry's
checks. (Broken plugins -- import errors, misspelled hooks, a raising register_provider -- are
in test_broken_plugins.py.)"""

import dataclasses
import logging
import sys
import types

import pytest

import fakeprovider
from hookspecs import hookimpl
from host.integrations.manager import build_plugin_manager, redact
from host.integrations.registry import build_registry, check_info

BASE = {"PSA_DISABLE_PLUGIN_AUTOLOAD": True, "PSA_PLUGINS": ["fakeprovider"]}


def module_plugin(name, **functions):
    mod = types.ModuleType(name)
    for fname, fn in functions.items():
        setattr(mod, fname, hookimpl(fn))
    sys.modules[name] = mod
    return mod


def test_autoload_off_loads_only_the_named_plugins():
    pm = build_plugin_manager(BASE)
    assert [n for n, _ in pm.list_name_plugin()] == ["fakeprovider"]


def test_autoload_on_loads_entry_points_and_reports_import_failures(monkeypatch):
    from importlib import metadata

    ep = metadata.EntryPoint(name="broken", value="psa_no_such_module.plugin", group="psa.plugins")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [ep])
    pm = build_plugin_manager({})
    assert pm.get_plugin("broken") is None
    registry = build_registry(pm, {})
    assert "import failed" in registry.unavailable_reason("broken")


def test_autoload_off_accepts_entry_point_names_and_checks_the_key(monkeypatch):
    from importlib import metadata

    good = metadata.EntryPoint(name="fakeprovider", value="fakeprovider", group="psa.plugins")
    alias = metadata.EntryPoint(name="fakealias", value="fakeprovider", group="psa.plugins")
    monkeypatch.setattr(metadata, "entry_points", lambda group: [good])
    pm = build_plugin_manager({"PSA_DISABLE_PLUGIN_AUTOLOAD": True, "PSA_PLUGINS": ["fakeprovider"]})
    assert "fakeprovider" in build_registry(pm, {})
    monkeypatch.setattr(metadata, "entry_points", lambda group: [alias])
    pm = build_plugin_manager({"PSA_DISABLE_PLUGIN_AUTOLOAD": True, "PSA_PLUGINS": ["fakealias"]})
    registry = build_registry(pm, {})
    assert "fakeprovider" not in registry
    assert "differs from its entry-point name 'fakealias'" in registry.unavailable_reason(
        "fakeprovider")


def test_blocked_plugin_is_not_loaded():
    pm = build_plugin_manager({**BASE, "PSA_PLUGINS_BLOCKED": ["fakeprovider"]})
    assert pm.get_plugin("fakeprovider") is None and pm.is_blocked("fakeprovider")


def test_hook_register_provider_results_build_the_registry(app):
    registry = app.extensions["psa_registry"]
    assert list(registry) == ["fakeprovider"]
    assert registry["fakeprovider"].label == "Fake Ledger"
    assert registry.plugin_name("fakeprovider") == "fakeprovider"


def test_duplicate_key_makes_the_second_plugin_unavailable():
    def register_provider(config):
        return fakeprovider.register_provider(config)

    module_plugin("psa_test_dup", register_provider=register_provider)
    pm = build_plugin_manager({"PSA_DISABLE_PLUGIN_AUTOLOAD": True,
                               "PSA_PLUGINS": ["fakeprovider", "psa_test_dup"]})
    registry = build_registry(pm, {})
    assert registry.plugin_name("fakeprovider") == "fakeprovider"
    assert "declared by both 'fakeprovider' and 'psa_test_dup'" in registry.unavailable_reason(
        "psa_test_dup")


@pytest.mark.parametrize("change, reason", [
    ({"category": "payroll"}, "unknown category"),
    ({"compatibility": ">=99"}, "needs psa-host >=99"),
    ({"compatibility": "not a spec"}, "invalid compatibility"),
    ({"key": "Bad Key"}, "lowercase"),
])
def test_incompatible_providers_are_unavailable_with_a_reason(change, reason):
    info = dataclasses.replace(fakeprovider.register_provider({}), **change)
    assert reason in check_info(info, "0.1.0")
    assert check_info(fakeprovider.register_provider({}), "0.1.0") is None
    assert "not ProviderInfo" in check_info({"key": "x"}, "0.1.0")


def test_unavailable_provider_becomes_a_tile_not_a_crash(make_app):
    def register_provider(config):
        return dataclasses.replace(fakeprovider.register_provider(config), key="future",
                                   label="Future Ledger", compatibility=">=9")

    module_plugin("psa_test_future", register_provider=register_provider)
    app = make_app(plugins=("fakeprovider", "psa_test_future"))
    from host.integrations.testing import create_org, login

    org = create_org(app)
    client = login(app.test_client(), org.admin_email, org.password)
    page = client.get("/settings/integrations").get_data(as_text=True)
    assert 'data-provider="future" data-status="unavailable"' in page
    assert "needs psa-host &gt;=9" in page
    assert 'data-provider="fakeprovider" data-status="not_connected"' in page


def test_tracing_logs_hook_calls_with_tokens_redacted(caplog):
    pm = build_plugin_manager({**BASE, "PSA_TRACE_PLUGINS": True})
    with caplog.at_level(logging.INFO, logger="psa.plugins.trace"):
        pm.hook.verify_webhook(headers={"Authorization": "Bearer s3cr3t"}, body=b"{}",
                               config={"FAKEPROVIDER_WEBHOOK_SECRET": "k3y",
                                       "MYLEDGER_WEBHOOK_KEY": "w3bh00k",
                                       "SQLALCHEMY_DATABASE_URI": "postgresql://u:pw@db/psa"})
    text = caplog.text
    assert "call verify_webhook" in text and "<config>" in text
    assert not any(secret in text for secret in ("s3cr3t", "k3y", "w3bh00k", "pw@db"))
    assert redact({"access_token": "a", "nested": {"refresh_token": "b"}}) == {
        "access_token": "***", "nested": {"refresh_token": "***"}}
    assert redact({"MYLEDGER_WEBHOOK_KEY": "k", "idempotency_key": "sync-1"}) == {
        "MYLEDGER_WEBHOOK_KEY": "***", "idempotency_key": "sync-1"}
