"""An offline QuickBooks Online: OAuth, the v3 Accounting API, webhooks, a small UI and a
control API for tests. Run it with::

    flask --app psa_quickbooks.sandbox run --port 5001

``create_app(config)`` builds the app; ``DEFAULT_REALMS`` names the seeded companies and
``DEMO_CLIENT_ID`` / ``DEMO_CLIENT_SECRET`` the built-in OAuth client. See the plugin README.
"""
from __future__ import annotations

from flask import Flask

from .config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, build_config
from .seed import (CLASSES_REALM, CUSTOM_NUMBERS_REALM, DEFAULT_REALMS, MULTICURRENCY_REALM,
                   UK_REALM, US_REALM)

__all__ = ["create_app", "DEFAULT_REALMS", "DEMO_CLIENT_ID", "DEMO_CLIENT_SECRET", "US_REALM",
           "UK_REALM", "CUSTOM_NUMBERS_REALM", "CLASSES_REALM", "MULTICURRENCY_REALM"]


def create_app(config: dict | None = None) -> Flask:
    """Build the sandbox app. ``app.extensions["qbo_sandbox"]`` is the :class:`QboSandbox`."""
    from . import accountant, api, oauth, pages
    from .control import QboSandbox

    app = Flask(__name__)
    settings = build_config(config)
    app.config.update({k: v for k, v in settings.items() if k.isupper()})
    sandbox = QboSandbox(settings)
    app.extensions["qbo_sandbox"] = sandbox
    app.register_blueprint(oauth.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(accountant.bp)
    sandbox.install(app, start_webhooks=settings.get("QBO_START_WEBHOOKS", True))
    return app
