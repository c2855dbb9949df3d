"""Calls a connection hook on the one plugin that owns the connection.

Interface (stable for the rest of the host)::

    call_owner(connection, "on_invoice_sent", invoice=..., idempotency_key=...) -> result
    call_provider(provider_key, "verify_webhook", headers=..., body=..., config=...) -> result
    implements(provider_key, "reconcile") -> bool

``connection`` is a ``host.models.Connection`` (dispatch wraps it in the plugin-facing
:class:`~host.integrations.handle.ConnectionHandle` and closes its HTTP client afterwards) or an
existing handle. The call goes through ``pm.subset_hook_caller`` with every other plugin removed,
so pluggy's argument validation, tracing and wrappers still apply. Typed ``ProviderError``
subclasses propagate to the caller; an ``AuthError`` also marks an active connection
``needs_reauth``. A ``None`` result where a value is due raises ``PluginContractError``
(``on_disconnect`` may return False).
"""

from __future__ import annotations

from typing import Any

from host.contract.errors import AuthError, PluginContractError
from host.integrations.handle import ConnectionHandle, handle_for
from host.integrations.registry import get_plugin_manager, get_registry

#: Hooks whose ``None`` result is tolerated.
MAY_RETURN_NOTHING = frozenset()


def _owner_caller(provider_key: str, hook_name: str, app=None):
    pm = get_plugin_manager(app)
    registry = get_registry(app)
    if provider_key not in registry:
        reason = registry.unavailable_reason(provider_key) or "not installed"
        raise PluginContractError(f"provider {provider_key!r} is not available ({reason})")
    owner = pm.get_plugin(registry.plugin_name(provider_key))
    others = [p for p in pm.get_plugins() if p is not owner]
    if not hasattr(pm.hook, hook_name):
        raise PluginContractError(f"there is no hook named {hook_name!r}")
    return pm.subset_hook_caller(hook_name, remove_plugins=others), registry.plugin_name(provider_key)


def implements(provider_key: str, hook_name: str, app=None) -> bool:
    """Whether the provider's plugin implements ``hook_name``."""
    pm = get_plugin_manager(app)
    registry = get_registry(app)
    if provider_key not in registry or not hasattr(pm.hook, hook_name):
        return False
    name = registry.plugin_name(provider_key)
    return any(i.plugin_name == name for i in getattr(pm.hook, hook_name).get_hookimpls())


def call_provider(provider_key: str, hook_name: str, app=None, **kwargs: Any) -> Any:
    """Call ``hook_name`` on the plugin that declared ``provider_key`` (no connection)."""
    caller, plugin_name = _owner_caller(provider_key, hook_name, app)
    result = caller(**kwargs)
    if result is None and hook_name not in MAY_RETURN_NOTHING:
        raise PluginContractError(
            f"plugin {plugin_name!r} returned nothing from {hook_name} (or does not implement it)"
        )
    return result


def call_owner(connection, hook_name: str, **kwargs: Any) -> Any:
    """Call ``hook_name`` on the plugin owning ``connection`` only; returns its single result."""
    own_handle = not isinstance(connection, ConnectionHandle)
    handle = handle_for(connection) if own_handle else connection
    caller, plugin_name = _owner_caller(handle.provider_key, hook_name)
    try:
        result = caller(connection=handle, **kwargs)
    except AuthError as exc:
        from host.integrations.connections import mark_needs_reauth

        mark_needs_reauth(handle.id, exc.message)
        raise
    finally:
        if own_handle:
            handle.close()
    if result is None and hook_name not in MAY_RETURN_NOTHING:
        raise PluginContractError(
            f"plugin {plugin_name!r} returned nothing from {hook_name} (or does not implement it)"
        )
    return result
