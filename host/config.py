"""Configuration defaults: embedded everything (SQLite, Huey on SQLite), overridable by env.

Every key can be set from the environment, and the variable's name is the one the docs give:

* a key that itself starts with ``PSA_`` (``PSA_PLUGINS_BLOCKED``, ``PSA_BASE_URL`` ... every
  ``PSA_`` key of :func:`defaults`) is set by the variable of the same name:
  ``PSA_PLUGINS_BLOCKED=myledger``;
* any other key, the host's (``SECRET_KEY``, ``HUEY_BACKEND``) or a plugin's
  (``QUICKBOOKS_CLIENT_ID``), is set by ``PSA_`` + its name: ``PSA_SECRET_KEY``,
  ``PSA_QUICKBOOKS_CLIENT_ID``.

:func:`env_name` gives the variable for a key, :func:`config_key` the key for a variable.
Values are parsed as JSON when they are JSON (``1``, ``true``, ``["a", "b"]``), else kept as
text; ``PSA_PLUGINS`` and ``PSA_PLUGINS_BLOCKED`` also take a comma-separated list.
``DATABASE_URL`` is also read unprefixed, as deployments expect. Two variables are read by the
process rather than the configuration: ``PSA_INSTANCE_DIR`` (where the SQLite files live) and
``PSA_DEMO_PASSWORD`` (the demo admin's password).

Names of the form ``PSA_PSA_...`` (``PSA_`` + a ``PSA_`` key), the only ones that worked
before, still set the key.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

ENV_PREFIX = "PSA_"


def default_instance_dir() -> Path:
    return Path(os.environ.get("PSA_INSTANCE_DIR", Path.cwd() / "var")).resolve()


def defaults(instance_dir: Path) -> dict:
    return {
        # Required outside tests and the demo: create_app refuses to start without a real one
        # (host.security.secret_key). The demo generates one in its instance folder.
        "SECRET_KEY": None,
        "DEMO": False,
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{instance_dir / 'psa.sqlite3'}"
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        # Fernet keys for tokens at rest, newest first (MultiFernet rotation). Comma-separated
        # string or list. Without them a key is derived from SECRET_KEY; set real keys.
        "PSA_TOKEN_KEYS": None,
        # Background work: "sqlite" (default, file beside the database), "redis", "memory".
        "HUEY_BACKEND": "sqlite",
        "HUEY_SQLITE_PATH": str(instance_dir / "huey.sqlite3"),
        "HUEY_REDIS_URL": "redis://127.0.0.1:6379/0",
        "HUEY_IMMEDIATE": False,
        # Plugins (pytest / Datasette style switches).
        "PSA_PLUGINS_BLOCKED": [],
        "PSA_DISABLE_PLUGIN_AUTOLOAD": False,
        "PSA_PLUGINS": [],
        "PSA_TRACE_PLUGINS": False,
        # Public base URL of this host (OAuth redirect URIs, webhook URLs shown to admins).
        "PSA_BASE_URL": "http://127.0.0.1:5000",
        # Sync behaviour.
        "SYNC_MAX_ATTEMPTS": 8,
        "SYNC_BACKOFF_BASE_SECONDS": 30,
        "SYNC_BACKOFF_MAX_SECONDS": 3600,
        "SYNC_STALE_PENDING_SECONDS": 300,
        "SYNC_LEASE_SECONDS": 300,
        # How often a worker renews its lease while a hook runs (None: a third of the lease).
        "SYNC_HEARTBEAT_SECONDS": None,
        "SYNC_SWEEP_SECONDS": 60,
        "RECONCILE_INTERVAL_MINUTES": 15,
        # Two-way sync: how many records the importer asks the plugin for per page
        # (list_records' page_size; the provider's own page limit may be smaller).
        "PSA_IMPORT_PAGE_SIZE": 100,
        # Provider calls: timeout, and how long one may wait for a rate-limit slot in the
        # worker (a job holds on) and in a web request (an admin is looking at the page).
        "PSA_HTTP_TIMEOUT": 30,
        "PSA_RATE_LIMIT_MAX_WAIT": 120,
        "PSA_RATE_LIMIT_MAX_WAIT_WEB": 5,
        # Seconds a web request waits for one plugin hook (Test, Connect, mapping choices ...)
        # before answering "<provider> did not answer within N s" (host.integrations.guard);
        # 0 turns the limit off.
        "PSA_WEB_HOOK_TIMEOUT": 20,
        # While this many calls into one plugin still run after their requests gave up, web
        # requests get the timeout message at once (no new thread).
        "PSA_WEB_HOOK_MAX_LATE": 4,
        "WTF_CSRF_TIME_LIMIT": None,
        # Login throttling (host.security.login_throttle): wrong passwords in a row per account
        # and per client address, each within the window of the previous one, before 429.
        "PSA_LOGIN_MAX_FAILURES": 5,
        "PSA_LOGIN_MAX_FAILURES_PER_ADDRESS": 20,
        "PSA_LOGIN_WINDOW_SECONDS": 900,
        # Largest request body accepted (API, forms, webhooks): a larger one is a 413 before
        # it is read (Werkzeug checks Content-Length and caps the stream).
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        # Own cookie names: browsers share cookies across ports, so with Flask's default
        # "session" any other app on the same host name (the demo's sandboxes on 127.0.0.1)
        # would overwrite the login.
        "SESSION_COOKIE_NAME": "psa_session",
        "REMEMBER_COOKIE_NAME": "psa_remember",
        # Cookie flags (host.security.headers): Secure follows PSA_BASE_URL's scheme unless set.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SECURE": None,
        "REMEMBER_COOKIE_SECURE": None,
    }


def prefixed_keys() -> frozenset[str]:
    """The configuration keys whose own name starts with ``PSA_``: set by the same-named
    environment variable."""
    return frozenset(k for k in defaults(Path(".")) if k.startswith(ENV_PREFIX))


def env_name(key: str) -> str:
    """The environment variable that sets configuration ``key``:
    ``env_name("PSA_PLUGINS") == "PSA_PLUGINS"``, ``env_name("SECRET_KEY") == "PSA_SECRET_KEY"``."""
    return key if key in prefixed_keys() else ENV_PREFIX + key


def config_key(variable: str) -> str | None:
    """The configuration key environment ``variable`` sets, or None when it is not a ``PSA_``
    variable: ``PSA_PLUGINS_BLOCKED`` -> ``PSA_PLUGINS_BLOCKED``, ``PSA_SECRET_KEY`` ->
    ``SECRET_KEY``, ``PSA_PSA_PLUGINS`` -> ``PSA_PLUGINS``."""
    if not variable.startswith(ENV_PREFIX) or variable == ENV_PREFIX:
        return None
    return variable if variable in prefixed_keys() else variable[len(ENV_PREFIX):]


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text


def from_environment(environ: Mapping[str, str]) -> dict:
    """The configuration the ``PSA_`` variables of ``environ`` set (see the module docstring).

    When both spellings of a key are set (``PSA_PLUGINS`` and ``PSA_PSA_PLUGINS``) the
    documented one wins.
    """
    found: dict = {}
    documented: set[str] = set()
    for variable in sorted(environ):
        key = config_key(variable)
        if key is None:
            continue
        if key in documented:
            continue
        found[key] = _value(environ[variable])
        if env_name(key) == variable:
            documented.add(key)
    return found


def load(app, test_config: dict | None) -> None:
    instance_dir = Path(
        (test_config or {}).get("INSTANCE_DIR") or default_instance_dir()
    )
    instance_dir.mkdir(parents=True, exist_ok=True)
    app.config["INSTANCE_DIR"] = str(instance_dir)
    app.config.from_mapping(defaults(instance_dir))
    app.config.from_mapping(from_environment(os.environ))
    if test_config:
        app.config.from_mapping(test_config)
    https = str(app.config.get("PSA_BASE_URL") or "").startswith("https://")
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = https
    for key in ("PSA_PLUGINS_BLOCKED", "PSA_PLUGINS"):
        value = app.config.get(key)
        if isinstance(value, str):
            app.config[key] = [v.strip() for v in value.split(",") if v.strip()]
