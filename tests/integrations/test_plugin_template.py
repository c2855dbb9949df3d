"""The plugin template (``host.plugin_template``, ``flask integrations new-plugin``): what it
renders, what it refuses, and that a generated plugin passes its own tests -- the host's
contract suite included -- the moment it is created, installed the way an author installs it.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys

import pytest

from host.plugin_template import (
    SKELETON,
    InvalidPluginName,
    TargetExists,
    placeholders,
    render_plugin,
)

HOOKS = ("register_provider", "on_connect", "test_connection", "on_disconnect",
         "on_invoice_sent", "on_invoice_voided", "on_credit_note", "on_payment",
         "verify_webhook", "parse_webhook", "fetch_changes", "reconcile",
         "list_mapping_choices", "preview_matches",
         "list_sync_fields", "list_records", "push_record")


def test_render_names_the_distribution_package_and_entry_point(tmp_path):
    target = render_plugin("my_books", tmp_path)

    assert target == tmp_path / "psa-my-books"
    pyproject = (target / "pyproject.toml").read_text()
    assert 'name = "psa-my-books"' in pyproject
    assert '[project.entry-points."psa.plugins"]\nmy_books = "psa_my_books.plugin"' in pyproject
    assert (target / "src" / "psa_my_books" / "plugin.py").is_file()
    assert (target / "src" / "psa_my_books" / "sandbox" / "templates" / "consent.html").is_file()
    assert 'LABEL = "My Books"' in (target / "src" / "psa_my_books" / "info.py").read_text()
    assert "MY_BOOKS_BASE_URL" in (target / "src" / "psa_my_books" / "info.py").read_text()


def test_render_leaves_no_placeholder_and_no_template_suffix(tmp_path):
    target = render_plugin("myledger", tmp_path)

    files = [p for p in target.rglob("*") if p.is_file()]
    assert len(files) == len(list(SKELETON.rglob("*.tmpl")))
    for path in files:
        assert "$" not in str(path.relative_to(target)) and path.suffix != ".tmpl", path
        text = path.read_text()
        assert not re.search(r"\$\{?[a-z_]+\}?", text), f"{path} keeps a placeholder"


def test_the_hook_module_implements_every_hook(tmp_path):
    plugin = (render_plugin("myledger", tmp_path) / "src/psa_myledger/plugin.py").read_text()

    implemented = set(re.findall(r"@hookimpl\ndef (\w+)\(", plugin))
    assert implemented == set(HOOKS)


@pytest.mark.parametrize("name", ["MyLedger", "my-ledger", "1ledger", "", "my__ledger",
                                  "ledger_", "a" * 41, "my ledger", "../evil", "psa",
                                  "psa_ledger"])
def test_render_refuses_a_name_that_cannot_be_a_provider_key(tmp_path, name):
    with pytest.raises(InvalidPluginName, match="not a valid plugin name"):
        render_plugin(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_render_refuses_the_key_of_an_installed_plugin(tmp_path):
    with pytest.raises(InvalidPluginName, match="'xero' is already installed"):
        render_plugin("xero", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_render_never_overwrites(tmp_path):
    target = tmp_path / "psa-myledger"
    target.mkdir()
    (target / "mine.txt").write_text("keep me")

    with pytest.raises(TargetExists, match="already exists"):
        render_plugin("myledger", tmp_path)
    assert [p.name for p in target.iterdir()] == ["mine.txt"]


def test_placeholders_are_the_documented_five():
    assert placeholders("my_books") == {
        "key": "my_books", "package": "psa_my_books", "distribution": "psa-my-books",
        "label": "My Books", "prefix": "MY_BOOKS"}


def test_cli_new_plugin_creates_the_distribution(app, tmp_path):
    result = app.test_cli_runner().invoke(
        args=["integrations", "new-plugin", "myledger", "--directory", str(tmp_path)])

    assert result.exit_code == 0, result.output
    assert f"created {tmp_path / 'psa-myledger'}" in result.output
    assert (tmp_path / "psa-myledger" / "tests" / "test_contract.py").is_file()


def test_cli_new_plugin_answers_a_bad_name_and_an_existing_folder_plainly(app, tmp_path):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["integrations", "new-plugin", "My-Ledger", "-d", str(tmp_path)])
    assert bad.exit_code == 2 and "not a valid plugin name" in bad.output
    assert list(tmp_path.iterdir()) == []

    (tmp_path / "psa-myledger").mkdir()
    taken = runner.invoke(args=["integrations", "new-plugin", "myledger", "-d", str(tmp_path)])
    assert taken.exit_code == 1 and "already exists" in taken.output
    assert list((tmp_path / "psa-myledger").iterdir()) == []

    (tmp_path / "a-file").write_text("")
    blocked = runner.invoke(args=["integrations", "new-plugin", "other", "-d",
                                  str(tmp_path / "a-file" / "deeper")])
    assert blocked.exit_code == 1 and "cannot write the plugin" in blocked.output


def test_generated_plugin_passes_its_own_tests(tmp_path):
    """Generate, install (into a folder of its own on PYTHONPATH, so this environment is left
    as it was), run its pytest: every test passes, the contract suite's included, none skipped."""
    target = render_plugin("myledger", tmp_path / "src")
    site = tmp_path / "site"
    install = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation",
         "--no-compile", "--quiet", "--target", str(site), str(target)],
        capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stdout + install.stderr
    assert (site / "psa_myledger" / "plugin.py").is_file()

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rA",
                          f"--basetemp={tmp_path / 'pytest'}"],
                         cwd=target, env=env, capture_output=True, text=True, timeout=900)

    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    summary = output.strip().splitlines()[-1]
    assert re.search(r"\d+ passed", summary) and not re.search(
        r"failed|error|skipped|xfail", summary), summary
    assert "PASSED tests/test_contract.py::TestContract::" in output
    assert "PASSED tests/test_hooks.py::" in output
    assert importlib.util.find_spec("psa_myledger") is None, "installed into this environment"
