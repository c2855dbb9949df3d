"""Environment variables: the names README.md and the docs give are the names that work.

A key that starts with ``PSA_`` (``PSA_PLUGINS_BLOCKED``) is set by the variable of the same
name; any other key (``SECRET_KEY``, a plugin's ``QUICKBOOKS_CLIENT_ID``) by ``PSA_`` + its
name. Each test sets variables with ``monkeypatch.setenv`` and builds an app with
``create_app``, then checks what an admin would: which plugins loaded, which client id the
provider uses.
"""

from pathlib import Path

import pytest

from host import create_app
from host.config import config_key, defaults, env_name, from_environment
from host.integrations.registry import get_plugin_manager, get_registry


@pytest.fixture
def build(tmp_path, monkeypatch):
    """``build(**config) -> app`` with no stray ``PSA_`` variables from the caller's shell."""
    import os

    for variable in [v for v in os.environ if v.startswith("PSA_")]:
        monkeypatch.delenv(variable)

    def factory(**config):
        return create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path),
                           "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'psa.sqlite3'}",
                           "HUEY_BACKEND": "memory", **config})

    return factory


def test_psa_plugins_blocked_as_documented_blocks_the_plugin(build, monkeypatch):
    monkeypatch.setenv("PSA_PLUGINS_BLOCKED", "xero")
    app = build(SECRET_KEY="test-secret")
    assert app.config["PSA_PLUGINS_BLOCKED"] == ["xero"]
    assert get_plugin_manager(app).is_blocked("xero")
    assert "xero" not in get_registry(app)
    assert "quickbooks" in get_registry(app)


def test_autoload_off_loads_only_the_listed_plugins(build, monkeypatch):
    monkeypatch.setenv("PSA_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.setenv("PSA_PLUGINS", "fakeprovider")
    app = build(SECRET_KEY="test-secret")
    assert sorted(get_registry(app)) == ["fakeprovider"]


def test_a_plugin_key_is_set_by_psa_and_its_name(build, monkeypatch):
    monkeypatch.setenv("PSA_QUICKBOOKS_CLIENT_ID", "client-from-env")
    app = build(SECRET_KEY="test-secret", PSA_DISABLE_PLUGIN_AUTOLOAD=True,
                PSA_PLUGINS=["quickbooks"])
    assert get_registry(app)["quickbooks"].oauth.client_id == "client-from-env"


def test_a_host_key_without_the_prefix_is_set_by_psa_and_its_name(build, monkeypatch):
    monkeypatch.setenv("PSA_SECRET_KEY", "secret-from-env")
    monkeypatch.setenv("PSA_LOGIN_MAX_FAILURES", "3")
    app = build(PSA_DISABLE_PLUGIN_AUTOLOAD=True, PSA_PLUGINS=[])
    assert app.config["SECRET_KEY"] == "secret-from-env"
    assert app.config["PSA_LOGIN_MAX_FAILURES"] == 3


def test_the_old_doubled_prefix_still_works_and_the_documented_name_wins(build, monkeypatch):
    monkeypatch.setenv("PSA_PSA_PLUGINS_BLOCKED", "xero")
    assert build(SECRET_KEY="test-secret").config["PSA_PLUGINS_BLOCKED"] == ["xero"]
    monkeypatch.setenv("PSA_PLUGINS_BLOCKED", "quickbooks")
    assert build(SECRET_KEY="test-secret").config["PSA_PLUGINS_BLOCKED"] == ["quickbooks"]


def test_json_values_are_parsed_and_text_is_kept():
    assert from_environment({"PSA_PLUGINS": '["a", "b"]', "PSA_TRACE_PLUGINS": "true",
                             "PSA_HUEY_BACKEND": "redis", "HOME": "/root"}) == {
        "PSA_PLUGINS": ["a", "b"], "PSA_TRACE_PLUGINS": True, "HUEY_BACKEND": "redis"}


@pytest.mark.parametrize("key", sorted(defaults(Path("."))))
def test_env_name_and_config_key_are_inverse_for_every_host_key(key):
    assert config_key(env_name(key)) == key
    assert env_name(key).startswith("PSA_")
    assert not env_name(key).startswith("PSA_PSA_")
