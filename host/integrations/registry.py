"""ProviderRegistry: the providers the loaded plugins declared, by key.

Built once per app from ``register_provider``. Each implementation is called on its own, so the
host knows which plugin declared which :class:`ProviderInfo`. Checks (pretix / redash style):

* the result is a ``ProviderInfo`` (else the plugin is listed as unavailable);
* keys are unique across plugins (a duplicate is a :class:`PluginContractError` at start-up);
* ``category`` is known;
* ``compatibility`` (a PEP 440 specifier on ``psa-host``) matches the running host.

A provider that fails a check is kept in :attr:`ProviderRegistry.unavailable` with a reason and
shown as an unavailable tile; it never takes the host down.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any, Iterator, Mapping

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from host.contract.errors import PluginContractError
from host.contract.types import ProviderInfo

CATEGORIES = ("financial",)


def host_version() -> str:
    try:
        return metadata.version("psa-host")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        from host import __version__

        return __version__


@dataclass(frozen=True)
class Unavailable:
    plugin_name: str
    reason: str
    key: str | None = None
    label: str | None = None


class ProviderRegistry(Mapping[str, ProviderInfo]):
    """Mapping ``key -> ProviderInfo`` of available providers, plus what is unavailable."""

    def __init__(self) -> None:
        self._infos: dict[str, ProviderInfo] = {}
        self._plugin_names: dict[str, str] = {}
        self.unavailable: list[Unavailable] = []

    def __getitem__(self, key: str) -> ProviderInfo:
        return self._infos[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._infos)

    def __len__(self) -> int:
        return len(self._infos)

    def plugin_name(self, key: str) -> str:
        """The plugin-manager name of the plugin that declared ``key``."""
        return self._plugin_names[key]

    def add(self, plugin_name: str, info: ProviderInfo) -> None:
        if info.key in self._infos:
            raise PluginContractError(
                f"provider key {info.key!r} is declared by both {self._plugin_names[info.key]!r} "
                f"and {plugin_name!r}; keys must be unique (block one with PSA_PLUGINS_BLOCKED)"
            )
        self._infos[info.key] = info
        self._plugin_names[info.key] = plugin_name

    def unavailable_reason(self, key: str) -> str | None:
        for item in self.unavailable:
            if item.key == key:
                return item.reason
        return None


def check_info(info: Any, version: str) -> str | None:
    """Why ``info`` cannot be used, or None when it is fine."""
    if not isinstance(info, ProviderInfo):
        return f"register_provider returned {type(info).__name__}, not ProviderInfo"
    if not info.key or not info.key.replace("_", "").isalnum() or info.key != info.key.lower():
        return f"provider key {info.key!r} must be lowercase letters, digits and underscores"
    if info.category not in CATEGORIES:
        return f"unknown category {info.category!r} (known: {', '.join(CATEGORIES)})"
    if info.compatibility:
        try:
            spec = SpecifierSet(info.compatibility)
        except InvalidSpecifier:
            return f"invalid compatibility specifier {info.compatibility!r}"
        if not spec.contains(Version(version), prereleases=True):
            return f"needs psa-host {info.compatibility}, this host is {version}"
    return None


def build_registry(pm: pluggy.PluginManager, config: Mapping[str, Any]) -> ProviderRegistry:
    registry = ProviderRegistry()
    version = host_version()
    for name, reason in getattr(pm, "psa_load_errors", {}).items():
        registry.unavailable.append(Unavailable(name, reason, key=name, label=name))
    for impl in pm.hook.register_provider.get_hookimpls():
        available_args = {"config": config}
        info = impl.function(**{a: available_args[a] for a in impl.argnames})
        reason = check_info(info, version)
        from_entry_point = impl.plugin_name in getattr(pm, "psa_entry_point_names", ())
        if reason is None and from_entry_point and info.key != impl.plugin_name:
            reason = (f"provider key {info.key!r} differs from its entry-point name "
                      f"{impl.plugin_name!r}; they must be equal")
        if reason is None:
            registry.add(impl.plugin_name, info)
        else:
            key = getattr(info, "key", None)
            registry.unavailable.append(
                Unavailable(impl.plugin_name, reason, key=key, label=getattr(info, "label", key))
            )
    return registry


def get_registry(app=None) -> ProviderRegistry:
    """The registry of ``app`` (default: the current app)."""
    from flask import current_app

    return (app or current_app).extensions["psa_registry"]


def get_plugin_manager(app=None) -> pluggy.PluginManager:
    from flask import current_app

    return (app or current_app).extensions["psa"]


def active_connection(business_unit_id: int, category: str = "financial"):
    """The business unit's active connection (connected or needs_reauth), or None.

    Part of the agreed interface; the implementation lives in ``host.integrations.connections``.
    """
    from host.integrations.connections import active_connection as _active

    return _active(business_unit_id, category)
