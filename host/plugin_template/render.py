"""Render the plugin skeleton into a new distribution folder.

The placeholder set is deliberately tiny (:func:`placeholders`)::

    ${key}           the provider key = entry-point name         myledger
    ${package}       the import package                          psa_myledger
    ${distribution}  the distribution (pip) name                 psa-myledger
    ${label}         what admins read on the tile                My Ledger  (from my_ledger)
    ${prefix}        the prefix of the plugin's config keys      MY_LEDGER  (MY_LEDGER_BASE_URL)

A name is lowercase letters, digits and underscores, starting with a letter but not with
``psa`` (it becomes part of a Python package name, of config keys and of the
``/webhooks/<key>`` URL), and not the key of a plugin already installed. Rendering never
overwrites: an existing target folder is refused before anything is written.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

#: The template folder (package data of ``psa-host``).
SKELETON = Path(__file__).resolve().parent / "skeleton"

#: Every template file ends with this; the rendered file does not.
SUFFIX = ".tmpl"

NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,39}")


class InvalidPluginName(ValueError):
    """The name cannot be a provider key and package name."""


class TargetExists(FileExistsError):
    """The folder the plugin would be written to already exists."""


def validate_name(name: str) -> str:
    """``name`` itself when it can be a provider key, else :class:`InvalidPluginName`."""
    if not NAME_PATTERN.fullmatch(name or "") or name.endswith("_") or "__" in name:
        raise InvalidPluginName(
            f"{name!r} is not a valid plugin name: use 1 to 40 lowercase letters, digits and "
            "single underscores, starting with a letter (e.g. myledger or my_ledger)")
    if name == "psa" or name.startswith("psa_"):
        raise InvalidPluginName(
            f"{name!r} is not a valid plugin name: the psa prefix is the host's (the package "
            f"becomes psa_<name> and the config keys <NAME>_..., which must not start with PSA_)")
    return name


def installed_keys() -> set[str]:
    """Provider keys already taken by installed plugins (entry points of ``psa.plugins``)."""
    from importlib import metadata

    return {ep.name for ep in metadata.entry_points(group="psa.plugins")}


def placeholders(name: str) -> dict[str, str]:
    """The values substituted for ``${...}`` in the skeleton, for plugin ``name``."""
    validate_name(name)
    return {
        "key": name,
        "package": f"psa_{name}",
        "distribution": f"psa-{name.replace('_', '-')}",
        "label": " ".join(part.capitalize() for part in name.split("_")),
        "prefix": name.upper(),
    }


def render_plugin(name: str, directory: str | Path = ".") -> Path:
    """Write the distribution for plugin ``name`` into ``directory/psa-<name>``; returns it.

    :raises InvalidPluginName: see :func:`validate_name`; or an installed plugin has the key.
    :raises TargetExists: ``directory/psa-<name>`` exists (nothing is written).
    """
    values = placeholders(name)
    if name in installed_keys():
        raise InvalidPluginName(f"a plugin with the provider key {name!r} is already installed; "
                                "keys are unique, choose another name")
    target = Path(directory) / values["distribution"]
    if target.exists():
        raise TargetExists(f"{target} already exists; choose another --directory or name")
    files = sorted(p for p in SKELETON.rglob(f"*{SUFFIX}") if p.is_file())
    rendered = {_render_path(p.relative_to(SKELETON), values): _render_text(p, values)
                for p in files}
    for relative, text in rendered.items():
        out = target / relative
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    return target


def _render_path(relative: Path, values: dict[str, str]) -> Path:
    text = Template(relative.as_posix()).substitute(values)
    return Path(text[: -len(SUFFIX)])


def _render_text(path: Path, values: dict[str, str]) -> str:
    try:
        return Template(path.read_text(encoding="utf-8")).substitute(values)
    except (KeyError, ValueError) as exc:  # a stray "$" in the skeleton: the template's bug
        raise RuntimeError(f"{path}: bad placeholder ({exc}); write a literal $ as $$") from exc
