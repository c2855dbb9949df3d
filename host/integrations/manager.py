"""Builds the pluggy plugin manager for an app (pytest / eggsample style, no global state).

Order of operations (see STYLE.md 3.2):

1. ``PluginManager("psa")`` + ``add_hookspecs(hookspecs)`` before any registration, so every
   ``register()`` validates argument names immediately;
2. ``set_blocked`` for each name in ``PSA_PLUGINS_BLOCKED`` (pytest's ``-p no:x``);
3. the host's own ``DEFAULT_PLUGINS`` (module paths);
4. entry points of the group ``psa.plugins``, unless ``PSA_DISABLE_PLUGIN_AUTOLOAD``: then only
   the names in ``PSA_PLUGINS``, each an entry-point name or else an importable module name;
5. a plugin implementing a hook no hookspec declares (``on_invoice_send``) is unregistered and
   unavailable with the reason, then ``check_pending()`` holds for the others; likewise a
   plugin whose import raises anything or that ``register()`` refuses (wrong argument names):
   the host always starts;
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

_REDACT = ("token", "secret", "password", "authorization", "code_verifier", "signature",
           "key", "verifier", "credential")
#: Names that contain a word of _REDACT but are no secret (kept readable in the trace).
_NOT_SECRET = ("idempotency_key",)
#: Hook arguments never written to the trace: the host configuration (every secret the
#: host has, whatever its name) is shown as ``<config>``.
_NOT_TRACED = ("config",)


def build_plugin_manager(config: Mapping[str, Any]) -> pluggy.PluginManager:
    """A plugin manager with the psa hookspecs and the plugins the configuration selects.

    Never raises because of a plugin. A plugin that cannot be used is left out and its reason
    kept in ``pm.psa_load_errors`` (plugin name -> reason), which the registry turns into an
    unavailable tile, the Plugins page and ``flask integrations plugins`` show:

    * its module raises anything while importing (a missing dependency, a syntax error, an
      exception at import time);
    * ``register()`` refuses it (a hookimpl whose argument names the hookspec does not have);
    * it implements a hook no hookspec declares (``on_invoice_send``): only that plugin is
      unregistered, pluggy's ``check_pending`` passes for the rest.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    load_errors: dict[str, str] = {}
    entry_point_names: set[str] = set()
    dist_info: dict[str, tuple[str, str]] = {}
    for name in config.get("PSA_PLUGINS_BLOCKED") or ():
        pm.set_blocked(name)
    for module_name in DEFAULT_PLUGINS:
        _load(pm, module_name, lambda m=module_name: importlib.import_module(m), load_errors)

    entry_points = {ep.name: ep for ep in metadata.entry_points(group=hookspecs.ENTRY_POINT_GROUP)}
    if config.get("PSA_DISABLE_PLUGIN_AUTOLOAD"):
        for name in config.get("PSA_PLUGINS") or ():
            if pm.is_blocked(name) or pm.has_plugin(name):
                continue
            if name in entry_points:
                entry_point_names.add(name)
                _load_entry_point(pm, entry_points[name], load_errors, dist_info)
            else:
                _load(pm, name, lambda m=name: importlib.import_module(m), load_errors)
    else:
        for ep in entry_points.values():
            if pm.is_blocked(ep.name) or pm.has_plugin(ep.name):
                continue
            entry_point_names.add(ep.name)
            _load_entry_point(pm, ep, load_errors, dist_info)

    _unregister_unknown_hooks(pm, load_errors)
    pm.check_pending()  # what is left is clean; a failure here is a host bug, not a plugin's
    pm.psa_load_errors = load_errors  # type: ignore[attr-defined]
    pm.psa_dist_info = dist_info  # type: ignore[attr-defined]
    pm.psa_entry_point_names = entry_point_names  # type: ignore[attr-defined]
    if config.get("PSA_TRACE_PLUGINS"):
        pm.add_hookcall_monitoring(_trace_before, _trace_after)
    return pm


def _load(pm: pluggy.PluginManager, name: str, import_plugin, load_errors: dict) -> bool:
    """Import (``import_plugin()``) and register one plugin; False with the reason kept in
    ``load_errors`` when either fails."""
    try:
        plugin = import_plugin()
    except Exception as exc:  # noqa: BLE001 - any import-time failure leaves the plugin out
        load_errors[name] = f"import failed: {_one_line(exc)}"
        log.error("psa plugin %r is unavailable: %s", name, load_errors[name])
        log.debug("traceback of importing psa plugin %r", name, exc_info=exc)
        return False
    try:
        pm.register(plugin, name=name)
    except Exception as exc:  # noqa: BLE001 - pluggy.PluginValidationError, a name clash
        if pm.has_plugin(name):
            pm.unregister(name=name)
        load_errors[name] = f"refused by the plugin manager: {_one_line(exc, with_type=False)}"
        log.error("psa plugin %r is unavailable: %s", name, load_errors[name])
        return False
    return True


def _one_line(exc: BaseException, with_type: bool = True) -> str:
    """``exc`` as one line (pluggy's validation messages span several)."""
    text = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    return f"{type(exc).__name__}: {text}" if with_type else text


def _load_entry_point(pm, ep, load_errors: dict, dist_info: dict) -> None:
    if _load(pm, ep.name, ep.load, load_errors) and ep.dist is not None:
        dist_info[ep.name] = (ep.dist.name, ep.dist.version)


def _unregister_unknown_hooks(pm: pluggy.PluginManager, load_errors: dict) -> None:
    """Unregister each plugin implementing a hook no hookspec declares (a misspelled name),
    with the reason; pluggy's ``check_pending`` would fail start-up for all of them."""
    unknown: dict[str, list[str]] = {}
    for hook_name, caller in vars(pm.hook).items():
        if hook_name.startswith("_") or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if not impl.optionalhook:
                unknown.setdefault(impl.plugin_name, []).append(hook_name)
    for plugin_name, hook_names in unknown.items():
        pm.unregister(name=plugin_name)
        names = ", ".join(repr(h) for h in sorted(hook_names))
        load_errors[plugin_name] = (f"implements {names}, which is not a hook of the psa "
                                    "contract (misspelled? see hookspecs.py)")
        log.error("psa plugin %r is unavailable: %s", plugin_name, load_errors[plugin_name])


# -- tracing -----------------------------------------------------------------------------------


def redact(value: Any, depth: int = 0) -> Any:
    """A loggable copy of ``value`` with anything that looks like a secret masked."""
    if depth > 3:
        return "..."
    if isinstance(value, Mapping):
        return {
            k: ("***" if _secret(str(k)) else redact(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, depth + 1) for v in value[:20]]
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    return f"<{type(value).__name__}>"


def _secret(name: str) -> bool:
    lowered = name.lower()
    return lowered not in _NOT_SECRET and any(word in lowered for word in _REDACT)


def _trace_before(hook_name, hook_impls, kwargs) -> None:
    shown = {k: (f"<{k}>" if k in _NOT_TRACED else v) for k, v in kwargs.items()}
    trace_log.info("call %s -> %s %s", hook_name, [i.plugin_name for i in hook_impls],
                   redact(shown))


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
