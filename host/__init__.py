"""The PSA host: a Flask application whose accounting integrations are plugins."""

from __future__ import annotations

from flask import Flask

__version__ = "0.1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Application factory (flaskr shape). ``test_config`` overrides configuration."""
    from host import config, extensions
    from host.blueprints import register_blueprints
    from host.cli import register_commands

    app = Flask(__name__)
    config.load(app, test_config)
    from host.security.secret_key import ensure_secret_key

    ensure_secret_key(app)

    extensions.db.init_app(app)
    extensions.migrate.init_app(
        app, extensions.db, directory=_migrations_dir(), render_as_batch=True, compare_type=True
    )
    extensions.login_manager.init_app(app)
    extensions.csrf.init_app(app)
    extensions.oauth.init_app(app)
    from host.security import headers

    headers.init_app(app)

    import host.models  # noqa: F401  (registers every table on the metadata)
    from host.auth import load_user  # noqa: F401  (user loader)
    from host.integrations.manager import init_app as init_plugins

    init_plugins(app)
    register_blueprints(app)
    from host.navigation import inject_nav

    app.context_processor(inject_nav)
    from host.numbers import plain_decimal

    app.add_template_filter(plain_decimal)
    register_commands(app)
    return app


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).parent / "migrations")
