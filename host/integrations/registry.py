"""ProviderRegistry: the providers the loaded plugins declared, by key.

Built once per app from ``register_provider``. Each implementation is called on its own, so the
host knows which plugin declared which :class:`ProviderInfo`. Checks (pretix / redash style):

* the result is a ``ProviderInfo`` (else the plugin is listed as unavailable);
* keys are unique across plugins (the second plugin declaring a key is unavailable);
* ``category`` is known;
* ``compatibility`` (a PEP 440 specifier on ``psa-host``) matches the running host.

``register_provider`` runs through :func:`host.integrations.guard.guarded`: a plugin whose
declaration raises is unavailable with the reason, like one that fails a check. Either way it is
kept in :attr:`ProviderRegistry.unavailable` with a reason and shown as an unavailable tile and
on the Plugins page; it never takes the host down.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import Any, Iterator, Mapping

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from host.contract.errors import PluginContractError, PluginFailure
from host.contract.types import ProviderInfo
from host.integrations.guard import guarded

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
    """The providers the plugins of ``pm`` declare. Never raises because of a plugin: a plugin
    that failed to load (``pm.psa_load_errors``), whose ``register_provider`` raises or returns
    something unusable, or whose key another plugin already declared, is listed in
    :attr:`ProviderRegistry.unavailable` with the reason, and the others are registered."""
    registry = ProviderRegistry()
    version = host_version()
    for name, reason in getattr(pm, "psa_load_errors", {}).items():
        registry.unavailable.append(Unavailable(name, reason, key=name, label=name))
    for impl in pm.hook.register_provider.get_hookimpls():
        available_args = {"config": config}
        kwargs = {a: available_args[a] for a in impl.argnames}
        try:
            info = guarded(impl.plugin_name, "register_provider",
                           lambda: impl.function(**kwargs), expect=Any, start_up=True)
        except PluginFailure as failure:
            registry.unavailable.append(Unavailable(impl.plugin_name, failure.message,
                                                    key=impl.plugin_name, label=impl.plugin_name))
            continue
        reason = check_info(info, version)
        from_entry_point = impl.plugin_name in getattr(pm, "psa_entry_point_names", ())
        if reason is None and from_entry_point and info.key != impl.plugin_name:
            reason = (f"provider key {info.key!r} differs from its entry-point name "
                      f"{impl.plugin_name!r}; they must be equal")
        if reason is None:
            try:
                registry.add(impl.plugin_name, info)
                continue
            except PluginContractError as exc:
                reason = str(exc)
        key = getattr(info, "key", None)
        if not isinstance(key, str) or not key or key in registry:
            key = impl.plugin_name  # the tile of a plugin whose key is unusable
        registry.unavailable.append(
            Unavailable(impl.plugin_name, reason, key=key,
                        label=getattr(info, "label", None) or key)
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
