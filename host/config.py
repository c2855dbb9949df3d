"""Configuration defaults: embedded everything (SQLite, Huey on SQLite), overridable by env.

Every key can be set from the environment with a ``PSA_`` prefix (``PSA_DATABASE_URL``,
``PSA_SECRET_KEY`` ...); values are parsed as JSON when they look like JSON (Flask's
``from_prefixed_env``). ``DATABASE_URL`` is also read unprefixed, as deployments expect.
"""

from __future__ import annotations

import os
from pathlib import Path


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
        "SYNC_SWEEP_SECONDS": 60,
        "RECONCILE_INTERVAL_MINUTES": 15,
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


def load(app, test_config: dict | None) -> None:
    instance_dir = Path(
        (test_config or {}).get("INSTANCE_DIR") or default_instance_dir()
    )
    instance_dir.mkdir(parents=True, exist_ok=True)
    app.config["INSTANCE_DIR"] = str(instance_dir)
    app.config.from_mapping(defaults(instance_dir))
    app.config.from_prefixed_env("PSA")
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
