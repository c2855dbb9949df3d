"""Deliberately broken plugins: what the host must survive (issue 11, section 2).

Each module is a plugin with one fault, loaded by name (``make_app(plugins=("fakeprovider",
"brokenplugins.raising_choices", ...))``) or as an entry point (``import_error``). The working
hooks are the fake provider's own (``tests/fakeprovider.py``, imported by name, so pluggy
registers them for the broken plugin too); :func:`declare` gives each one its own provider
key and label on the same fake ledger. ``tests/integrations/test_broken_plugins.py`` shows for
each fault that the host stays up and names the plugin.
"""

from __future__ import annotations

import dataclasses

import fakeprovider


def declare(config, key: str, label: str):
    """The fake provider's ``ProviderInfo`` under another key and label."""
    return dataclasses.replace(fakeprovider.register_provider(config), key=key, label=label,
                               description=f"{label}: a deliberately broken test plugin.")
