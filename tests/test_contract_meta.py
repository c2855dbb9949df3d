"""Meta-tests (Datasette style): the contract cannot drift from its docs and tests.

* every hookspec's docstring documents each argument, what it returns and what it raises;
* every hook is named in docs/plugin-authors.md;
* every hook has at least one test named ``test_hook_<name>...`` under tests/.
"""

import inspect
import re
from pathlib import Path

import pluggy
import pytest

import hookspecs

ROOT = Path(__file__).resolve().parent.parent


def hook_names() -> list[str]:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    return sorted(name for name in dir(pm.hook) if not name.startswith("_"))


HOOKS = hook_names()


def test_there_are_hooks():
    assert {"register_provider", "on_connect", "on_invoice_sent", "test_connection"} <= set(HOOKS)


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_docstring_documents_arguments_returns_and_raises(name):
    spec = getattr(hookspecs, name)
    doc = inspect.getdoc(spec) or ""
    for arg in inspect.signature(spec).parameters:
        assert f":param {arg}:" in doc, f"{name}: argument {arg!r} is not documented"
    assert ":returns:" in doc, f"{name}: no :returns:"
    assert ":raises" in doc, f"{name}: no :raises: (say 'nothing' when it raises nothing)"
    assert "**When**" in doc and "**Called for**" in doc, f"{name}: When / Called for missing"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_is_in_the_plugin_author_docs(name):
    docs = (ROOT / "docs" / "plugin-authors.md").read_text()
    assert f"`{name}`" in docs, f"docs/plugin-authors.md does not mention `{name}`"


@pytest.mark.parametrize("name", HOOKS)
def test_every_hook_has_a_test(name):
    pattern = re.compile(rf"def test_hook_{name}\w*\(")
    found = [p for p in (ROOT / "tests").rglob("test_*.py") if pattern.search(p.read_text())]
    assert found, f"no test named test_hook_{name}... under tests/"
