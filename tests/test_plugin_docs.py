"""The plugin-author docs stay true: a plugin author learns from them alone, and the names they
give work.

* docs/plugin-types.md is what ``scripts/plugin_docs.py`` generates from the code today;
* every ```python example in docs/plugin-authors.md is valid Python;
* every type a hook signature (or a contract type's field) names is exported by ``hookspecs``;
* every fixture of the host's pytest plugin has a docstring (``pytest --fixtures`` shows it);
* every ``PSA_...`` environment variable README.md and the docs name sets a configuration key.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
import inspect
import re
from pathlib import Path

import pytest

import hookspecs

ROOT = Path(__file__).resolve().parent.parent
AUTHOR_DOCS = ROOT / "docs" / "plugin-authors.md"
CONTRACT_MODULES = ("host.contract.types", "host.contract.booking", "host.contract.errors")


def _plugin_docs():
    spec = importlib.util.spec_from_file_location("plugin_docs", ROOT / "scripts" / "plugin_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- the generated reference ------------------------------------------------------------------


def test_the_type_reference_is_what_the_script_generates():
    docs = _plugin_docs()
    assert docs.TARGET.read_text() == docs.render(), (
        f"docs/plugin-types.md is out of date with the code: run {docs.COMMAND} and commit it")


def test_the_type_reference_names_every_exported_type_and_field():
    text = (ROOT / "docs" / "plugin-types.md").read_text()
    for name in hookspecs.__all__:
        obj = getattr(hookspecs, name)
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            assert f"### `{name}`" in text, name
            for f in dataclasses.fields(obj):
                assert f"| `{f.name}` |" in text, f"{name}.{f.name}"


def test_every_field_in_the_type_reference_says_what_it_means():
    """Every field of the types ``hookspecs`` exports says what it means. A field without a ``#:`` comment, and not named by its class docstring, has an empty
    Meaning cell: the reference would name it without explaining it."""
    heading, empty = "", []
    contract_part = _plugin_docs().render().split("## Test-side types")[0]
    for line in contract_part.splitlines():
        if line.startswith("### "):
            heading = line[4:]
        elif line.startswith("| `") and re.search(r"\|\s*\|$", line):
            empty.append(f"{heading}: {line.split('|')[1].strip()}")
    assert not empty, ("fields with no meaning in docs/plugin-types.md (add a #: comment "
                       f"to the field and regenerate): {empty}")


def _github_anchor(heading: str) -> str:
    """The anchor GitHub gives a Markdown heading (``### `Connection` (Protocol)`` ->
    ``connection-protocol``)."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lstrip("#").strip().lower())
    return text.replace(" ", "-")


def test_the_author_docs_link_the_type_reference_and_every_anchor_exists():
    text = AUTHOR_DOCS.read_text()
    assert "(plugin-types.md)" in text
    reference = (ROOT / "docs" / "plugin-types.md").read_text()
    anchors = {_github_anchor(line) for line in reference.splitlines() if line.startswith("#")}
    links = re.findall(r"\(plugin-types\.md#([^)]+)\)", text)
    assert links, "plugin-authors.md links no type of the reference"
    broken = sorted(set(links) - anchors)
    assert not broken, f"links to plugin-types.md anchors that do not exist: {broken}"


# -- examples ---------------------------------------------------------------------------------


def python_blocks(path: Path) -> list[tuple[int, str]]:
    """``(line, code)`` of every ```python block of a Markdown file."""
    blocks, lines = [], path.read_text().splitlines()
    start = None
    for number, line in enumerate(lines, start=1):
        if start is None and line.strip() == "```python":
            start = number
        elif start is not None and line.strip() == "```":
            blocks.append((start, "\n".join(lines[start:number - 1])))
            start = None
    return blocks


@pytest.mark.parametrize("line, source", python_blocks(AUTHOR_DOCS),
                         ids=lambda v: f"line-{v}" if isinstance(v, int) else "")
def test_every_python_example_in_the_author_docs_compiles(line, source):
    try:
        compile(source, f"docs/plugin-authors.md:{line}", "exec")
    except SyntaxError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"docs/plugin-authors.md, the ```python block at line {line}: {exc}")


def test_examples_use_only_names_they_define_or_import():
    """A name an example uses (``LOGO_SVG``) is defined or imported in the docs' examples."""
    import builtins

    defined: set[str] = set(dir(builtins))
    used: dict[str, int] = {}
    for line, source in python_blocks(AUTHOR_DOCS):
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                defined.update((a.asname or a.name).split(".")[0] for a in node.names)
            elif isinstance(node, ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.FunctionDef):
                defined.add(node.name)
                defined.update(a.arg for a in node.args.args + node.args.kwonlyargs)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                defined.add(node.id)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                defined.add(node.name)
            elif isinstance(node, ast.comprehension):
                defined.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
            elif isinstance(node, ast.Name):
                used.setdefault(node.id, line)
    missing = {name: line for name, line in used.items() if name not in defined}
    assert not missing, ("names used in docs/plugin-authors.md examples but never defined or "
                         f"imported there (block line): {missing}")


def test_no_example_reads_a_header_by_its_exact_case():
    """Header lookups go through the host's helper, which finds a header whatever its case."""
    for line, source in python_blocks(AUTHOR_DOCS):
        assert not re.search(r"headers(\.get\(|\[)", source), (
            f"docs/plugin-authors.md:{line}: read signature headers with "
            "host.integrations.signatures.verify_signed_delivery")


# -- exports ----------------------------------------------------------------------------------


def _contract_names() -> dict[str, str]:
    """Every top-level name the contract modules define (classes and aliases) -> module."""
    names: dict[str, str] = {}
    for module in CONTRACT_MODULES:
        source = inspect.getsource(importlib.import_module(module))
        for node in ast.parse(source).body:
            if isinstance(node, ast.ClassDef):
                names[node.name] = module
            elif isinstance(node, ast.Assign):
                names.update({t.id: module for t in node.targets if isinstance(t, ast.Name)})
    return names


def _annotation_names(annotation) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", str(annotation)))


def _annotations_of(obj) -> list:
    """What a hookspec, a dataclass or a Protocol names in its annotations."""
    if inspect.isfunction(obj):
        return list(obj.__annotations__.values())
    found = list(vars(obj).get("__annotations__", {}).values())
    for member in vars(obj).values():
        func = member.fget if isinstance(member, property) else member
        if inspect.isfunction(func):
            found += list(func.__annotations__.values())
    return found


def named_contract_types() -> dict[str, str]:
    """Contract types named by any hook signature, and, transitively, by their fields."""
    contract = _contract_names()
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    todo = [f for f in vars(hookspecs).values() if inspect.isfunction(f) and hasattr(f, marker)]
    assert todo, "no hookspecs found"
    seen: dict[str, str] = {}
    while todo:
        obj = todo.pop()
        where = getattr(obj, "__qualname__", repr(obj))
        for annotation in _annotations_of(obj):
            for name in _annotation_names(annotation) & contract.keys():
                if name not in seen:
                    seen[name] = where
                    value = getattr(importlib.import_module(contract[name]), name)
                    if isinstance(value, type):
                        todo.append(value)
    return seen


def test_the_walk_finds_the_types_hooks_and_fields_name():
    named = named_contract_types()
    assert {"Connection", "InvoiceData", "ExternalRefs", "ExternalRef", "TaxRateData",
            "CheckStatus"} <= named.keys()


def test_every_type_a_hook_or_a_contract_type_names_is_exported_by_hookspecs():
    missing = {name: where for name, where in named_contract_types().items()
               if name not in hookspecs.__all__}
    assert not missing, f"named but not in hookspecs.__all__ (name: named by): {missing}"


def test_every_exported_name_exists():
    for name in hookspecs.__all__:
        assert hasattr(hookspecs, name), name


def test_the_webhook_vocabulary_is_exported():
    assert set(hookspecs.WEBHOOK_ENTITIES) >= {"invoice", "credit_note", "payment"}
    assert set(hookspecs.WEBHOOK_OPERATIONS) >= {"create", "update", "delete", "void"}


# -- fixtures ---------------------------------------------------------------------------------


def host_fixtures(folder: Path) -> dict[str, str]:
    """``pytest --fixtures`` as a plugin author runs it (in an empty project): every fixture
    the host's pytest plugin defines -> the docstring pytest shows for it."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "pytest", "--fixtures", "-p", "no:cacheprovider"],
                         cwd=folder, capture_output=True, text=True, timeout=300).stdout
    fixtures: dict[str, str] = {}
    ours, current = False, None
    for line in out.splitlines():
        header = re.match(r"-+ fixtures defined from (\S+) -+", line)
        if header:
            ours, current = header.group(1).startswith("host."), None
        elif ours and line and not line.startswith(" "):
            current = line.split(" ")[0]
            fixtures[current] = ""
        elif ours and current and line.strip():
            fixtures[current] = (fixtures[current] + " " + line.strip()).strip()
    return fixtures


@pytest.fixture(scope="module")
def shown_fixtures(tmp_path_factory):
    return host_fixtures(tmp_path_factory.mktemp("empty-project"))


def test_every_fixture_of_the_host_pytest_plugin_has_a_docstring(shown_fixtures):
    assert {"app", "make_app", "connection_factory", "db"} <= shown_fixtures.keys()
    undocumented = sorted(n for n, doc in shown_fixtures.items()
                          if not doc or doc == "no docstring available")
    assert not undocumented, f"fixtures without a docstring (pytest --fixtures): {undocumented}"


def test_the_author_docs_name_every_fixture_of_the_host_pytest_plugin(shown_fixtures):
    text = AUTHOR_DOCS.read_text()
    missing = sorted(n for n in shown_fixtures if f"`{n}`" not in text)
    assert not missing, f"fixtures docs/plugin-authors.md does not name: {missing}"


# -- environment variables --------------------------------------------------------------------

DOCUMENTED_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                    *sorted((ROOT / "plugins").glob("*/README.md"))]
#: Variables read by the process rather than the configuration (host/config.py says which).
PROCESS_VARIABLES = {"PSA_INSTANCE_DIR": "host.config", "PSA_DEMO_PASSWORD": "host.seed"}


def documented_variables() -> list[str]:
    found: set[str] = set()
    for path in DOCUMENTED_FILES:
        found.update(re.findall(r"\bPSA_[A-Z0-9_]*[A-Z0-9]\b", path.read_text()))
    return sorted(found)


def test_the_docs_name_the_plugin_switches():
    assert {"PSA_PLUGINS_BLOCKED", "PSA_PLUGINS", "PSA_DISABLE_PLUGIN_AUTOLOAD",
            "PSA_SECRET_KEY"} <= set(documented_variables())


@pytest.mark.parametrize("variable", documented_variables())
def test_each_documented_variable_sets_its_key(variable, monkeypatch, tmp_path):
    import os

    from host import create_app
    from host.config import config_key, defaults, env_name

    if variable in PROCESS_VARIABLES:
        source = inspect.getsource(importlib.import_module(PROCESS_VARIABLES[variable]))
        assert f'os.environ.get("{variable}"' in source
        return
    key = config_key(variable)
    known = defaults(tmp_path)
    assert env_name(key) == variable, (
        f"{variable} is not the name of a configuration key: the docs should say "
        f"{env_name(key)}")
    for other in [v for v in os.environ if v.startswith("PSA_")]:
        monkeypatch.delenv(other)
    default = known.get(key)
    value, expected = _sample(default)
    monkeypatch.setenv(variable, value)
    config = {"TESTING": True, "SECRET_KEY": "test-secret", "INSTANCE_DIR": str(tmp_path),
              "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'psa.sqlite3'}",
              "HUEY_BACKEND": "memory", "PSA_DISABLE_PLUGIN_AUTOLOAD": True, "PSA_PLUGINS": []}
    config.pop(key, None)
    app = create_app(config)
    assert app.config[key] == expected, f"{variable}={value} did not set {key}"
    assert key in known or not key.startswith("PSA_"), key


def _sample(default):
    """A value for a key's variable, different from its default, and what it reads as."""
    if isinstance(default, bool):
        return ("false", False) if default else ("true", True)
    if isinstance(default, int):
        return str(default + 7), default + 7
    if isinstance(default, list):  # the plugin lists: a plugin that exists
        return "fakeprovider", ["fakeprovider"]
    if default == "sqlite":  # HUEY_BACKEND: one of sqlite, redis, memory
        return "memory", "memory"
    if isinstance(default, str) and default.startswith("http"):
        return "https://psa.example", "https://psa.example"
    return "docs-check", "docs-check"
