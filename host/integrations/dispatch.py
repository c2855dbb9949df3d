"""Calls into the plugin that owns a connection or a provider key, through the guard.

Interface (stable for the rest of the host)::

    call_owner(connection, "on_invoice_sent", invoice=..., idempotency_key=...) -> result
    call_provider(provider_key, "verify_webhook", headers=..., body=..., config=...) -> result
    implements(provider_key, "reconcile") -> bool
    build_settings_form(info, handle, formdata) -> the plugin's settings form

``connection`` is a ``host.models.Connection`` (dispatch wraps it in the plugin-facing
:class:`~host.integrations.handle.ConnectionHandle` and closes its HTTP client afterwards) or an
existing handle. The call goes through ``pm.subset_hook_caller`` with every other plugin removed,
so pluggy's argument validation, tracing and wrappers still apply, and runs under
:func:`host.integrations.guard.guarded`: a time limit in a web request, typed
``ProviderError`` subclasses propagating to the caller (an ``AuthError`` also marks an active
connection ``needs_reauth``), and anything else the plugin raises, ``None`` or a result of the
wrong type raised as :class:`~host.contract.errors.PluginFailure` naming the plugin and the hook.
"""

from __future__ import annotations

from typing import Any

from host.contract.errors import AuthError, PluginContractError
from host.integrations.guard import guarded, hook_return_type
from host.integrations.handle import ConnectionHandle, handle_for
from host.integrations.registry import get_plugin_manager, get_registry


# -- hooks -------------------------------------------------------------------------------------


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
    label = get_registry(app)[provider_key].label
    return guarded(plugin_name, hook_name, lambda: caller(**kwargs), label=label,
                   expect=hook_return_type(hook_name))


def call_owner(connection, hook_name: str, **kwargs: Any) -> Any:
    """Call ``hook_name`` on the plugin owning ``connection`` only; returns its single result."""
    own_handle = not isinstance(connection, ConnectionHandle)
    handle = handle_for(connection) if own_handle else connection
    caller, plugin_name = _owner_caller(handle.provider_key, hook_name)

    def call() -> Any:
        try:
            return caller(connection=handle, **kwargs)
        finally:
            if own_handle:  # here, so a call left running after a timeout closes it itself
                handle.close()

    try:
        return guarded(plugin_name, hook_name, call, label=handle.provider_label,
                       expect=hook_return_type(hook_name))
    except AuthError as exc:
        from host.integrations.connections import mark_needs_reauth

        mark_needs_reauth(handle.id, exc.message)
        raise


# -- plugin functions that are not hooks -------------------------------------------------------


def build_settings_form(info, handle, formdata=None):
    """The plugin's settings form for ``handle`` (``ProviderInfo.settings_form``), guarded.

    Runs in the request's own thread (the form reads the posted data and the CSRF token), so
    it has no time limit of its own; the ``list_mapping_choices`` calls it makes for its
    choices do (see :meth:`ProviderSettingsForm.choices_from`).
    """
    from host.forms.provider_settings import ProviderSettingsForm

    plugin = get_registry().plugin_name(info.key)
    return guarded(plugin, "settings_form", lambda: info.settings_form(handle, formdata),
                   expect=ProviderSettingsForm, time_limit=False)
