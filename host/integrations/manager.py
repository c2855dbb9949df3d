"""Builds the pluggy plugin manager for an app (pytest / eggsample style, no global state).

Order of operations (see STYLE.md 3.2):

1. ``PluginManager("psa")`` + ``add_hookspecs(hookspecs)`` before any registration, so every
   ``register()`` validates argument names immediately;
2. ``set_blocked`` for each name in ``PSA_PLUGINS_BLOCKED`` (pytest's ``-p no:x``);
3. the host's own ``DEFAULT_PLUGINS`` (module paths);
4. entry points of the group ``psa.plugins``, unless ``PSA_DISABLE_PLUGIN_AUTOLOAD``: then only
   the names in ``PSA_PLUGINS``, each an entry-point name or else an importable module name;
5. ``check_pending()``: an implementation matching no hookspec (``on_invoice_send``) fails
   start-up;
6. ``PSA_TRACE_PLUGINS``: every hook call is logged, tokens and secrets redacted.

The manager lands in ``app.extensions["psa"]`` and the provider registry built from it in
``app.extensions["psa_registry"]`` (``host.integrations.registry.get_registry``).
"""

from __future__ import annotations

import importlib
import logging
from importlib import metadata
from typing import Any, Mapping

import pluggy
from flask import Flask

import hookspecs

log = logging.getLogger(__name__)
trace_log = logging.getLogger("psa.plugins.trace")

#: Host modules that implement hooks themselves (none yet: providers are distributions).
DEFAULT_PLUGINS: tuple[str, ...] = ()

_REDACT = ("token", "secret", "password", "authorization", "code_verifier", "signature")


def build_plugin_manager(config: Mapping[str, Any]) -> pluggy.PluginManager:
    """A plugin manager with the psa hookspecs and the plugins the configuration selects.

    Import failures of entry points are kept in ``pm.psa_load_errors`` (plugin name -> reason)
    instead of aborting start-up: the Plugins page and the tiles show them.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    load_errors: dict[str, str] = {}
    entry_point_names: set[str] = set()
    dist_info: dict[str, tuple[str, str]] = {}
    for name in config.get("PSA_PLUGINS_BLOCKED") or ():
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        _register_module(pm, module_name, module_name)

    entry_points = {ep.name: ep for ep in metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP)}
    if config.get("PSA_DISABLE_PLUGIN_AUTOLOAD"):
        for name in config.get("PSA_PLUGINS") or ():
            if pm.is_blocked(name) or pm.has_plugin(name):
                continue
            if name in entry_points:
                entry_point_names.add(name)
                _load_entry_point(pm, entry_points[name], load_errors, dist_info)
            else:
                _register_module(pm, name, name)
    else:
        for ep in entry_points.values():
            if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
                continue
            entry_point_names.add(ep.name)
            _load_entry_point(pm, ep, load_errors, dist_info)

    pm.check_pending()
    pm.psa_load_errors = load_errors  # type: ignore[attr-defined]
    pm.psa_dist_info = dist_info  # type: ignore[attr-defined]
    pm.psa_entry_point_names = entry_point_names  # type: ignore[attr-defined]
    if config.get("PSA_TRACE_PLUGINS"):
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
    return pm


def _register_module(pm: pluggy.PluginManager, module_name: str, name: str) -> None:
    module = importlib.import_module(module_name)
    pm.register(module, name=name)


def _load_entry_point(pm, ep, load_errors: dict, dist_info: dict) -> None:
    try:
        plugin = ep.load()
    except ImportError as exc:  # a missing optional dependency: show it, do not crash
        log.warning("psa plugin %r could not be imported: %s", ep.name, exc)
        load_errors[ep.name] = f"import failed: {exc}"
        return
    pm.register(plugin, name=ep.name)
    if ep.dist is not None:
        dist_info[ep.name] = (ep.dist.name, ep.dist.version)


# -- tracing -----------------------------------------------------------------------------------


def redact(value: Any, depth: int = 0) -> Any:
    """A loggable copy of ``value`` with anything that looks like a secret masked."""
    if depth > 3:
        return "..."
    if isinstance(value, Mapping):
        return {
            k: ("***" if any(r in str(k).lower() for r in _REDACT) else redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1) for v in value[:20]]
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    return f"<{type(value).__name__}>"


def _trace_before(hook_name, hook_impls, kwargs) -> None:
    trace_log.info("call %s -> %s %s", hook_name, [i.plugin_name for i in hook_impls],
                   redact(kwargs))


def _trace_after(outcome, hook_name, hook_impls, kwargs) -> None:
    exc = outcome.exception
    if exc is not None:
        trace_log.info("done %s raised %s", hook_name, type(exc).__name__)
    else:
        trace_log.info("done %s -> %s", hook_name, type(outcome.get_result()).__name__)


def init_app(app: Flask) -> None:
    from host.integrations import migrations  # noqa: F401  (registers the configure callback)
    from host.integrations.context import init_app as init_context
    from host.integrations.registry import build_registry

    pm = build_plugin_manager(app.config)
    app.extensions["psa"] = pm
    app.extensions["psa_registry"] = build_registry(pm, app.config)
    init_context(app)
