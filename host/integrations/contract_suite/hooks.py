"""Which hooks a provider must implement, and how the suite calls the others.

A plugin implements the hooks its provider needs. The suite runs the scenarios of every hook
the plugin implements; a scenario whose hook the plugin does not implement is skipped with the
reason, except for the hooks in :data:`REQUIRED_HOOKS`: without them the host cannot connect,
push an invoice or bring a payment back, so their absence fails the suite.
"""

from __future__ import annotations

import pytest

#: Hooks every provider plugin implements (a missing one fails the suite, never skips).
REQUIRED_HOOKS: frozenset[str] = frozenset({
    "register_provider", "on_connect", "test_connection", "on_invoice_sent",
    "verify_webhook", "parse_webhook", "fetch_changes", "reconcile",
})

#: Hooks a provider may leave out; their scenarios skip, saying so.
OPTIONAL_HOOKS: frozenset[str] = frozenset({
    "on_invoice_voided", "on_credit_note", "on_payment", "on_disconnect",
    "list_mapping_choices", "preview_matches",
    "list_sync_fields", "list_records", "push_record",
})


def need(app, provider_key: str, *hook_names: str) -> None:
    """Skip the calling scenario when the plugin leaves out an optional hook it needs; fail it
    when a required one is missing."""
    from host.integrations.dispatch import implements

    with app.app_context():
        for name in hook_names:
            if implements(provider_key, name, app):
                continue
            if name in REQUIRED_HOOKS:
                pytest.fail(f"Your plugin does not implement {name}, which every provider "
                            f"must: add a @hookimpl def {name}(...) to your hook module.")
            pytest.skip(f"{provider_key} does not implement {name} (optional)")


def call(connection, hook_name: str, **kwargs):
    """Call ``hook_name`` on the plugin owning ``connection`` (the host's own dispatch)."""
    from host.integrations.dispatch import call_owner

    return call_owner(connection, hook_name, **kwargs)


def call_keyless(app, provider_key: str, hook_name: str, **kwargs):
    """Call a hook that has no connection (``verify_webhook``, ``parse_webhook``)."""
    from host.integrations.dispatch import call_provider

    with app.app_context():
        return call_provider(provider_key, hook_name, app=app, **kwargs)
