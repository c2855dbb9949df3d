"""The guard around every call into a plugin: time limit, typed errors, result check, naming.

:func:`guarded` is what :mod:`host.integrations.dispatch` (hooks, settings forms) and
:mod:`host.integrations.registry` (``register_provider``) run plugin code through; nothing else
in the host calls a plugin. Its rules:

* **Time limit in a web request.** Inside a request the call runs in a thread of its own (with
  its own app context) and the request waits at most ``PSA_WEB_HOOK_TIMEOUT`` seconds (default
  20). Then it gets :class:`~host.contract.errors.HookTimeout` ("QuickBooks did not answer
  within 20 s ...") and the call is left to finish on its own, its result dropped. Later calls
  into the same plugin during that request fail at once with the same error instead of
  waiting again, and so do calls from any request while ``PSA_WEB_HOOK_MAX_LATE`` (4) calls
  into that plugin are still running late: a hanging plugin holds a few threads, not one per
  page view. Outside a request (the worker, the CLI) there is no limit here: the sync
  lease governs long calls.
* **Typed errors pass through.** A :class:`~host.contract.errors.ProviderError` is the plugin
  speaking on purpose: it reaches the caller unchanged.
* **Anything else is the plugin's fault.** Any other exception, a ``None`` where a value is
  due, or a result of the wrong type (for hooks: checked against the hookspec's return
  annotation) becomes :class:`~host.contract.errors.PluginFailure` naming the plugin and the
  hook, logged here once with the traceback. Callers show its ``message`` and ``fix`` like a
  provider error's and do not log it again.
"""

from __future__ import annotations

import logging
import threading
import types
import typing
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import hookspecs
from host.contract.errors import HookTimeout, PluginFailure, ProviderError

log = logging.getLogger(__name__)

#: Default of ``PSA_WEB_HOOK_TIMEOUT``: seconds a web request waits for one call into a plugin.
WEB_HOOK_TIMEOUT = 20.0

#: Default of ``PSA_WEB_HOOK_MAX_LATE``: while this many calls into one plugin are still
#: running after their requests gave up, web requests get the timeout at once instead of
#: starting another thread that would hang beside them.
MAX_LATE_CALLS = 4

#: The ``flask.g`` attribute listing the plugins that timed out earlier in this request.
_TIMED_OUT = "psa_plugins_timed_out"

#: Calls still running after their request gave up, per plugin (process-wide: they are threads).
_late: dict[str, int] = {}
_late_lock = threading.Lock()

_NOTHING = object()


# -- the guard ---------------------------------------------------------------------------------


def guarded(plugin: str, hook: str, function: Callable[[], Any], *, label: str | None = None,
            expect: Any = _NOTHING, time_limit: bool = True, start_up: bool = False) -> Any:
    """Run ``function()``, which calls into ``plugin``, under the rules above.

    ``hook`` names what is called (a hook name, ``"register_provider"``, ``"settings_form"``);
    ``label`` is the provider's label for the timeout message; ``expect`` the type the result
    must have (a type or a typing form such as ``list[MappingChoice]``; default: anything but
    ``None``); ``time_limit=False`` runs it in the caller's thread even in a web request (for
    code that needs the request itself, such as building a form from posted data).
    ``start_up=True`` (``register_provider``) logs the failure as one line and its traceback at
    DEBUG, so ``flask integrations plugins`` prints a list rather than tracebacks.
    """
    try:
        if time_limit and _in_web_request():
            result = _with_time_limit(plugin, hook, label, function)
        else:
            result = function()
    except (ProviderError, PluginFailure):
        raise  # the plugin speaking on purpose, or a nested call already named and logged
    except Exception as exc:  # noqa: BLE001 - the point of the guard
        failure = PluginFailure(plugin, hook, f"{type(exc).__name__}: {exc}")
        log.error("plugin %r failed in %s: %s", plugin, hook, failure.reason,
                  exc_info=None if start_up else exc)
        if start_up:
            log.debug("traceback of plugin %r in %s", plugin, hook, exc_info=exc)
        raise failure from exc
    problem = wrong_result(result, expect)
    if problem:
        log.error("plugin %r broke the contract of %s: %s", plugin, hook, problem)
        raise PluginFailure(plugin, hook, problem)
    return result


def _in_web_request() -> bool:
    from flask import has_request_context

    return has_request_context()


def web_hook_timeout(config) -> float:
    """``PSA_WEB_HOOK_TIMEOUT`` in seconds (0 or less: no limit); a value that is not a number
    is logged and replaced by the default rather than breaking every page."""
    value = config.get("PSA_WEB_HOOK_TIMEOUT", WEB_HOOK_TIMEOUT)
    try:
        return float(value)
    except (TypeError, ValueError):
        log.warning("PSA_WEB_HOOK_TIMEOUT=%r is not a number of seconds; using %g", value,
                    WEB_HOOK_TIMEOUT)
        return WEB_HOOK_TIMEOUT


def _with_time_limit(plugin: str, hook: str, label: str | None, call: Callable[[], Any]) -> Any:
    from flask import current_app, g

    config = current_app.config
    seconds = web_hook_timeout(config)
    if seconds <= 0:
        return call()
    if plugin in getattr(g, _TIMED_OUT, ()):
        raise HookTimeout(plugin, hook, seconds, label)
    if late_calls(plugin) >= int(config.get("PSA_WEB_HOOK_MAX_LATE", MAX_LATE_CALLS)):
        raise HookTimeout(plugin, hook, seconds, label)  # no new thread while so many hang
    app = current_app._get_current_object()
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        with app.app_context():
            try:
                outcome["result"] = call()
            except BaseException as exc:  # noqa: BLE001 - handed to the waiting request
                outcome["error"] = exc
            finally:
                with _late_lock:
                    done.set()
                    late = outcome.get("abandoned", False)
                    if late:
                        _late[plugin] -= 1
                if late:
                    error = outcome.get("error")
                    log.warning("plugin %r: %s ended after its request gave up (%s); dropped",
                                plugin, hook, f"{type(error).__name__}: {error}" if error
                                else "answered", exc_info=error)

    threading.Thread(target=run, name=f"psa-hook-{plugin}-{hook}", daemon=True).start()
    if not done.wait(seconds):
        with _late_lock:
            if not done.is_set():  # else it answered just now: use the answer
                outcome["abandoned"] = True
                _late[plugin] = _late.get(plugin, 0) + 1
        if outcome.get("abandoned"):
            setattr(g, _TIMED_OUT, {*getattr(g, _TIMED_OUT, ()), plugin})
            log.error("plugin %r: %s did not answer within %g s; the request went on without "
                      "it", plugin, hook, seconds)
            raise HookTimeout(plugin, hook, seconds, label)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def late_calls(plugin: str) -> int:
    """How many calls into ``plugin`` are still running after their request gave up on them."""
    with _late_lock:
        return _late.get(plugin, 0)


# -- results -----------------------------------------------------------------------------------


@lru_cache(maxsize=None)
def hook_return_type(hook: str) -> Any:
    """The return annotation of ``hook`` in ``hookspecs`` (``Any`` when it has none)."""
    spec = getattr(hookspecs, hook, None)
    if spec is None:
        return Any
    return typing.get_type_hints(spec).get("return", Any)


def wrong_result(value: Any, expected: Any) -> str | None:
    """Why ``value`` is not a result of type ``expected``, or None when it is one."""
    if expected is _NOTHING:
        return "returned None (a missing return statement, or the hook is not implemented)" if value is None else None
    if _conforms(value, expected):
        return None
    if value is None:
        return f"returned None, not {_type_name(expected)} (a missing return statement, or the hook is not implemented)"
    if isinstance(value, (list, tuple)) and typing.get_origin(expected) in (list, tuple,
                                                                             Sequence):
        odd = next((item for item in value if not _conforms(item, typing.get_args(expected)[0])),
                   None)
        return (f"returned a {type(value).__name__} holding {type(odd).__name__}, not "
                f"{_type_name(expected)}")
    return f"returned {type(value).__name__}, not {_type_name(expected)}"


def _conforms(value: Any, expected: Any) -> bool:
    if expected is Any:
        return True
    origin = typing.get_origin(expected)
    if origin in (typing.Union, types.UnionType):
        return any(_conforms(value, arg) for arg in typing.get_args(expected))
    if origin in (list, tuple, Sequence):
        if not isinstance(value, (list, tuple)):
            return False
        item_types = [a for a in typing.get_args(expected) if a is not Ellipsis]
        return all(_conforms(item, item_types[0]) for item in value) if item_types else True
    if expected is None or expected is type(None):
        return value is None
    if isinstance(expected, type):
        try:
            return isinstance(value, expected)
        except TypeError:  # a Protocol that is not runtime-checkable
            return True
    return True  # an annotation this check does not read (a TypeVar, a string): trust it


def _type_name(expected: Any) -> str:
    """``list[MappingChoice]``, ``SyncResult``, ``str | None``: as a plugin author writes it."""
    origin, args = typing.get_origin(expected), typing.get_args(expected)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is not None:
        inner = ", ".join("..." if a is Ellipsis else _type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if expected is type(None):
        return "None"
    return expected.__name__ if isinstance(expected, type) else str(expected)
