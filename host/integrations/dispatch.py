"""Calls a connection hook on the one plugin that owns the connection.

Interface (stable for the rest of the host)::

    call_owner(connection, "on_invoice_sent", invoice=..., idempotency_key=...) -> result
    call_provider(provider_key, "verify_webhook", headers=..., body=..., config=...) -> result

``connection`` is a ``host.models.Connection``; dispatch wraps it in the plugin-facing handle
(``host.contract.types.Connection``: authed ``http`` client, ``refs``, ``mapping()``) before the
call. Typed ``ProviderError`` subclasses propagate to the caller; a ``None`` result where a value
is due raises ``PluginContractError``.
"""

from __future__ import annotations
