"""Plugin-owned migrations: each loaded provider's Alembic ``versions`` directory joins the
host's ``version_locations``, so ``flask db upgrade heads`` also runs plugin branches.

A plugin declares the directory in ``ProviderInfo.migrations_path``; its first revision has
``branch_labels=("psa_<key>",)``, ``down_revision=None`` and ``depends_on`` the host revision
that creates ``connections``. A blocked or unloaded plugin contributes nothing, because the path
comes from the app's registry (TaxHub does the same through entry points).
"""

from __future__ import annotations

import os

from host.extensions import migrate


def plugin_version_locations(app) -> list[str]:
    from host.integrations.registry import get_registry

    paths = []
    for info in get_registry(app).values():
        if info.migrations_path and os.path.isdir(info.migrations_path):
            paths.append(os.path.abspath(info.migrations_path))
    return paths


@migrate.configure
def add_plugin_version_locations(config):
    """Flask-Migrate configure callback (registered once, reads the current app)."""
    from flask import current_app

    extra = plugin_version_locations(current_app)
    if extra:
        script_location = config.get_main_option("script_location")
        locations = [os.path.join(script_location, "versions"), *extra]
        config.set_main_option("path_separator", "os")
        config.set_main_option("version_locations", os.pathsep.join(locations))
    return config
