"""Settings > Integrations > Plugins: what the plugin manager loaded (admin diagnostics).

Name, distribution and version, implemented hooks, blocked state and load/compatibility
errors, like Datasette's ``/-/plugins``. Also as JSON at ``/settings/plugins.json``.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from host.integrations.registry import get_plugin_manager, get_registry
from host.security.permissions import admin_required

bp = Blueprint("plugins_page", __name__, url_prefix="/settings", cli_group="integrations")


def plugin_rows() -> list[dict]:
    """One row per plugin: loaded ones (with their hooks and provider key), then unavailable
    ones (``error``: why, from loading or from ``register_provider``), then blocked names.
    Reads only what the plugin manager and the registry recorded; calls no plugin."""
    pm = get_plugin_manager()
    registry = get_registry()
    dist = getattr(pm, "psa_dist_info", {})
    keys_by_plugin = {registry.plugin_name(k): k for k in registry}
    errors = {item.plugin_name: item for item in registry.unavailable}
    rows = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda np: np[0]):
        if plugin is None:
            continue
        hooks = sorted(h.name for h in (pm.get_hookcallers(plugin) or []))
        dist_name, version = dist.get(name, ("", getattr(plugin, "__version__", "")))
        item = errors.pop(name, None)
        rows.append({"name": name, "distribution": dist_name, "version": str(version or ""),
                     "provider_key": keys_by_plugin.get(name) or (item.key if item else None),
                     "hooks": hooks, "blocked": False, "error": item.reason if item else ""})
    for name, item in errors.items():
        rows.append({"name": name, "distribution": "", "version": "", "provider_key": item.key,
                     "hooks": [], "blocked": False, "error": item.reason})
    for name in current_app.config.get("PSA_PLUGINS_BLOCKED") or ():
        rows.append({"name": name, "distribution": "", "version": "", "provider_key": None,
                     "hooks": [], "blocked": True, "error": ""})
    return rows


@bp.get("/plugins")
@admin_required
def index():
    return render_template("integrations/plugins.html", rows=plugin_rows(), tab="integrations")


@bp.get("/plugins.json")
@admin_required
def as_json():
    return jsonify(plugin_rows())


# -- command line: ``flask --app host integrations <command>`` -------------------------------

@bp.cli.command("plugins")
def plugins_command():
    """List the plugins: available ones with their hooks, unavailable ones with the reason."""
    import click

    rows = plugin_rows()
    if not rows:
        click.echo("No plugin is installed.")
    for row in rows:
        state = "blocked" if row["blocked"] else (f"unavailable: {row['error']}" if row["error"]
                                                  else "available")
        click.echo(f"{row['name']:<16} {row['version']:<10} {state}")
        if row["hooks"]:
            click.echo(f"    hooks: {', '.join(row['hooks'])}")


@bp.cli.command("rotate-token-keys")
def rotate_token_keys_command():
    """Re-encrypt every stored token with the first key of PSA_TOKEN_KEYS."""
    import click

    from host.security.crypto import rotate_connection_tokens

    click.echo(f"re-encrypted the tokens of {rotate_connection_tokens()} connection(s)")
