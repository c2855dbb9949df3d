"""Write docs/plugin-types.md, the field-by-field reference of the plugin contract's types.

The reference is generated from the code, so it cannot drift from it: every hook's signature,
every dataclass and Protocol ``hookspecs`` exports (each field's name, type, default and the
comment or docstring sentence that explains it), the constants and the typed errors, and the
test-side types of ``host.integrations.testing`` (the provider-state protocol the contract suite
reads a plugin's sandbox through).

    .venv/bin/python scripts/plugin_docs.py           # rewrite docs/plugin-types.md
    .venv/bin/python scripts/plugin_docs.py --check   # exit 1 when the file is out of date

``tests/test_plugin_docs.py`` fails when the checked-in file differs from :func:`render`.
Where a field has no ``#:`` comment and its class docstring does not name it, its Meaning cell
is empty: add a ``#:`` comment above the field and regenerate.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import importlib
import inspect
import io
import re
import sys
import tokenize
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "plugin-types.md"
COMMAND = ".venv/bin/python scripts/plugin_docs.py"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))


# -- reading the source ---------------------------------------------------------------------------


def rst_to_md(text: str) -> str:
    """Docstring markup as Markdown: ````x```` and ``:class:`x``` become ```x```."""
    text = re.sub(r":(?:class|func|meth|attr|data|mod|exc):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def paragraphs(doc: str | None) -> str:
    """A docstring as Markdown paragraphs (lines of a paragraph joined; bullets kept)."""
    if not doc:
        return ""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", inspect.cleandoc(doc)):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith(("* ", "- ")):
            items: list[str] = []
            for line in lines:
                if line.startswith(("* ", "- ")):
                    items.append("- " + line[2:])
                else:
                    items[-1] += " " + line
            out.append("\n".join(items))
        else:
            out.append(" ".join(lines))
    return rst_to_md("\n\n".join(out))


_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.")


def sentences(doc: str | None) -> list[str]:
    """The docstring's sentences (Markdown), abbreviations kept whole."""
    text = " ".join(paragraphs(doc).split())
    for n, abbr in enumerate(_ABBREVIATIONS):
        text = text.replace(abbr, f"\0{n}\0")
    parts = re.split(r"(?<=[.!?)])\s+(?=[A-Z`(\"])", text)
    restored = []
    for part in parts:
        for n, abbr in enumerate(_ABBREVIATIONS):
            part = part.replace(f"\0{n}\0", abbr)
        restored.append(part.strip())
    return [p for p in restored if p]


def field_comments(cls: type) -> dict[str, str]:
    """``#:`` comments above each annotated attribute of ``cls``, or its trailing comment."""
    source = inspect.getsource(sys.modules[cls.__module__])
    comments: dict[int, str] = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            comments[tok.start[0]] = tok.string
    lines = source.splitlines()
    tree = ast.parse(source)
    node = next(n for n in ast.walk(tree)
                if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
    found: dict[str, str] = {}
    for item in node.body:
        if not (isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)):
            continue
        above: list[str] = []
        line = item.lineno - 1
        while line >= 1 and lines[line - 1].strip().startswith("#:"):
            above.insert(0, lines[line - 1].strip()[2:].strip())
            line -= 1
        if above:
            found[item.target.id] = rst_to_md(" ".join(above))
            continue
        trailing = comments.get(item.end_lineno or item.lineno, "")
        if trailing and "noqa" not in trailing and "pragma" not in trailing:
            found[item.target.id] = rst_to_md(trailing.lstrip("#:").strip())
    return found


def module_constant_comment(module, name: str) -> str:
    """The ``#:`` comment above a module-level assignment."""
    lines = inspect.getsource(module).splitlines()
    for index, line in enumerate(lines):
        if re.match(rf"{re.escape(name)}\s*(:[^=]*)?=", line):
            above = []
            j = index - 1
            while j >= 0 and lines[j].strip().startswith("#:"):
                above.insert(0, lines[j].strip()[2:].strip())
                j -= 1
            return rst_to_md(" ".join(above))
    return ""


def meaning(name: str, comments: dict[str, str], doc_sentences: list[str]) -> str:
    if name in comments:
        return comments[name]
    for sentence in doc_sentences:
        if re.search(rf"`{re.escape(name)}`", sentence):
            return sentence
    return ""


# -- rendering ------------------------------------------------------------------------------------


def cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def code(text: Any) -> str:
    return f"`{text}`" if str(text) != "" else ""


def default_of(f: dataclasses.Field) -> str:
    if f.default is not dataclasses.MISSING:
        return code(repr(f.default))
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return code(repr(f.default_factory()))  # type: ignore[misc]
    return "required"


def render_dataclass(cls: type) -> list[str]:
    comments = field_comments(cls)
    doc = class_doc(cls)
    doc_sentences = sentences(doc)
    out = [f"### `{cls.__name__}`", ""]
    if doc:
        out += [paragraphs(doc), ""]
    out += ["| Field | Type | Default | Meaning |", "|---|---|---|---|"]
    for f in dataclasses.fields(cls):
        out.append(f"| `{f.name}` | {cell(code(f.type))} | {cell(default_of(f))} | "
                   f"{cell(meaning(f.name, comments, doc_sentences))} |")
    properties = [(n, v) for n, v in vars(cls).items() if isinstance(v, property)]
    for name, prop in properties:
        out.append(f"| `{name}` (property) | "
                   f"{cell(code(prop.fget.__annotations__.get('return', '')))} | computed | "
                   f"{cell(' '.join(sentences(prop.fget.__doc__)[:1]))} |")
    out.append("")
    return out


def _signature(func) -> str:
    params = []
    for p in inspect.signature(func).parameters.values():
        if p.name == "self":
            continue
        text = p.name if p.annotation is inspect.Parameter.empty else f"{p.name}: {p.annotation}"
        if p.default is not inspect.Parameter.empty:
            text += f" = {p.default!r}"
        if p.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in params:
            params.append("*")
        params.append(text)
    ret = inspect.signature(func).return_annotation
    tail = "" if ret is inspect.Signature.empty else f" -> {ret}"
    return f"{func.__name__}({', '.join(params)}){tail}"


def render_protocol(cls: type) -> list[str]:
    comments = field_comments(cls)
    doc = class_doc(cls)
    doc_sentences = sentences(doc)
    out = [f"### `{cls.__name__}` (Protocol)", ""]
    if doc:
        out += [paragraphs(doc), ""]
    annotations = cls.__dict__.get("__annotations__", {})
    members = [(n, v) for n, v in cls.__dict__.items()
               if not n.startswith("_") and (callable(v) or isinstance(v, property))]
    if annotations or members:
        out += ["| Member | Type or signature | Meaning |", "|---|---|---|"]
    for name, annotation in annotations.items():
        out.append(f"| `{name}` | {cell(code(annotation))} | "
                   f"{cell(meaning(name, comments, doc_sentences))} |")
    for name, value in members:
        if isinstance(value, property):
            ret = value.fget.__annotations__.get("return", "")
            text = " ".join(sentences(value.fget.__doc__)[:1]) or \
                meaning(name, comments, doc_sentences)
            out.append(f"| `{name}` (property) | {cell(code(ret))} | {cell(text)} |")
        else:
            text = " ".join(sentences(value.__doc__)[:1]) or \
                meaning(name, comments, doc_sentences)
            out.append(f"| `{name}()` | {cell(code(_signature(value)))} | {cell(text)} |")
    out.append("")
    return out


def render_errors(names: list[str], module) -> list[str]:
    out = ["| Error | `category` | `retryable` | Default `fix` | Meaning |",
           "|---|---|---|---|---|"]
    for name in names:
        cls = getattr(module, name)
        if not (isinstance(cls, type) and issubclass(cls, BaseException)):
            continue
        first = " ".join(sentences(paragraphs(cls.__doc__).split("\n\n")[0])[:1])
        category = getattr(cls, "category", "")
        retryable = getattr(cls, "retryable", "")
        fix = getattr(cls, "default_fix", "")
        out.append(f"| `{name}` | {cell(code(category))} | {cell(code(retryable))} | "
                   f"{cell(fix)} | {cell(first)} |")
    out.append("")
    return out


def render_constants(names: list[str], module, source_modules) -> list[str]:
    out = ["| Name | Value | Meaning |", "|---|---|---|"]
    for name in names:
        value = getattr(module, name)
        shown = repr(value)
        if isinstance(value, frozenset):
            shown = "frozenset({" + ", ".join(repr(v) for v in sorted(value)) + "})"
        elif getattr(value, "__origin__", None) is not None:  # a typing alias (Literal[...])
            shown = repr(value).replace("typing.", "")
        comment = next((c for c in (module_constant_comment(m, name) for m in source_modules)
                        if c), "")
        out.append(f"| `{name}` | {cell(code(shown))} | {cell(comment)} |")
    out.append("")
    return out


def render_hooks(hookspecs) -> list[str]:
    out = ["| Hook | Call style | Signature |", "|---|---|---|"]
    for name, func in _hookspecs(hookspecs):
        opts = getattr(func, f"{hookspecs.PROJECT_NAME}_spec", {}) or {}
        style = "owner only" if opts.get("firstresult") else "collected"
        out.append(f"| `{name}` | {style} | {cell(code(_signature(func)))} |")
    out.append("")
    return out


def _hookspecs(hookspecs) -> list[tuple[str, Any]]:
    """The hookspecs in source order."""
    marker = f"{hookspecs.PROJECT_NAME}_spec"
    found = [(n, f) for n, f in vars(hookspecs).items()
             if inspect.isfunction(f) and hasattr(f, marker)]
    return sorted(found, key=lambda nf: nf[1].__code__.co_firstlineno)


#: Modules in the order their types are listed (the contract's own types first).
MODULE_ORDER = ("host.contract.types", "host.contract.records", "host.contract.booking",
                "host.integrations.provider_state")


def _in_source_order(objects: list[type]) -> list[type]:
    def rank(obj: type) -> tuple:
        module = obj.__module__
        place = MODULE_ORDER.index(module) if module in MODULE_ORDER else len(MODULE_ORDER)
        return (place, module, inspect.getsourcelines(obj)[1])

    return sorted(objects, key=rank)


def class_doc(cls: type) -> str | None:
    """The class's own docstring (not the signature ``dataclass`` writes when there is none)."""
    doc = cls.__dict__.get("__doc__")
    if not doc or doc.startswith(f"{cls.__name__}("):
        return None
    return doc


def _is_protocol(obj: Any) -> bool:
    return isinstance(obj, type) and getattr(obj, "_is_protocol", False)


def render_types(module, names: list[str]) -> list[str]:
    objects = [getattr(module, n) for n in names]
    classes = [o for o in objects if isinstance(o, type) and
               (dataclasses.is_dataclass(o) or _is_protocol(o))]
    out: list[str] = []
    for cls in _in_source_order(classes):
        out += render_protocol(cls) if _is_protocol(cls) else render_dataclass(cls)
    return out


def render() -> str:
    """The whole of docs/plugin-types.md."""
    hookspecs = importlib.import_module("hookspecs")
    testing = importlib.import_module("host.integrations.testing")
    provider_state = importlib.import_module("host.integrations.provider_state")
    contract_types = importlib.import_module("host.contract.types")
    contract_records = importlib.import_module("host.contract.records")
    sources = (contract_types, contract_records)
    exported = list(hookspecs.__all__)
    errors = [n for n in exported if isinstance(getattr(hookspecs, n), type)
              and issubclass(getattr(hookspecs, n), BaseException)]
    constants = [n for n in exported if n.isupper()
                 and any(hasattr(m, n) for m in sources)]
    aliases = [n for n in exported if getattr(getattr(hookspecs, n), "__origin__", None)]
    test_names = ["ProviderState", "HeldDocument", "HeldLine", "HeldAllocation", "HeldPayment",
                  "SignedDelivery"]
    lines = [
        "# Plugin contract types: the reference",
        "",
        f"<!-- Generated by scripts/plugin_docs.py; do not edit. Regenerate: {COMMAND} -->",
        "",
        "Every name on this page is importable from `hookspecs` (the test-side types at the "
        "end from `host.integrations.testing`). The page is generated from the code, so the "
        "fields, types and defaults are the ones the host uses; "
        "[plugin-authors.md](plugin-authors.md) shows how they fit together. Money is "
        "`decimal.Decimal`, dates `datetime.date`; every dataclass is frozen.",
        "",
        "## Hooks",
        "",
        "*collected*: called on every plugin; *owner only*: called only on the plugin that owns "
        "the connection (or whose key is in the webhook URL), and its answer is the result.",
        "",
        *render_hooks(hookspecs),
        "## Types (`from hookspecs import ...`)",
        "",
        *render_types(hookspecs, exported),
        "## Constants and aliases",
        "",
        *render_constants(constants + aliases, hookspecs, sources),
        "## Errors",
        "",
        "Raise these from a hook; the host records `category`, `message` and `fix` on the sync "
        "record and retries only when `retryable` is true (after `retry_after` seconds when "
        "set). Every error takes `message` and the keyword arguments `fix`, `retryable`, "
        "`retry_after`, `code` and `detail`.",
        "",
        *render_errors(errors, hookspecs),
        "## Test-side types (`from host.integrations.testing import ...`)",
        "",
        "What the contract suite reads a plugin's test sandbox through: the plugin's "
        "`provider_state` fixture returns a `ProviderState`. Which answer each fault category "
        "stands for, and the typed error the plugin must raise for it, is tabulated in the "
        "docstring of `host.integrations.provider_state`.",
        "",
        *render_types(testing, test_names),
        "### Fault categories",
        "",
        *render_constants(["REQUIRED_FAULTS", "ALL_FAULTS"], testing, (provider_state,)),
    ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="exit 1 when docs/plugin-types.md is out of date")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = TARGET.read_text() if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run {COMMAND}")
            return 1
        return 0
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
