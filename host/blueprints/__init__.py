"""Blueprints, one module per area. Each module exposes ``bp``."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

BLUEPRINT_MODULES = (
    "host.blueprints.faults",
    "host.blueprints.auth",
    "host.blueprints.home",
    "host.blueprints.sync",
    "host.blueprints.sync_controls",
    "host.blueprints.webhooks",
    "host.blueprints.clients",
    "host.blueprints.projects",
    "host.blueprints.invoices",
    "host.blueprints.payments",
    "host.blueprints.credit_notes",
    "host.blueprints.settings",
    "host.blueprints.gl_accounts",
    "host.blueprints.api",
    "host.blueprints.integrations",
    "host.blueprints.sync_objects",
    "host.blueprints.oauth",
    "host.blueprints.plugins_page",
    "host.blueprints.errors",
)


def register_blueprints(app: Flask) -> None:
    for name in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(name).bp)
