"""Configuration defaults of the QBO sandbox; ``create_app(config)`` overrides them, and the
environment variables ``SANDBOX_DB_PATH`` and ``SANDBOX_TIME_SCALE`` are honoured for
``flask --app psa_quickbooks.sandbox run``."""
from __future__ import annotations

import os

DEMO_CLIENT_ID = "qbo-demo-client"
DEMO_CLIENT_SECRET = "qbo-demo-secret"

#: Intuit's 2025 retry schedule: first attempt at once, then retries after 0 s, 10 s, 20 s, 30 s,
#: 5 min, 20 min, 2 h, 4 h, 6 h, and every 6 h after that (reference 10.6).
WEBHOOK_SCHEDULE = (0, 0, 10, 20, 30, 300, 1200, 7200, 14400, 21600)

DEFAULTS = {
    "SANDBOX_DB_PATH": None,            # SQLite file to persist state; None = memory only
    "SANDBOX_TIME_SCALE": 1.0,          # 60 => a provider minute lasts one real second
    "QBO_SEED": True,                   # seed the demo companies when state is empty
    # Registered OAuth clients: client_id -> {client_secret, redirect_uris, allow_localhost}
    "QBO_OAUTH_CLIENTS": {
        DEMO_CLIENT_ID: {"client_secret": DEMO_CLIENT_SECRET, "redirect_uris": [],
                         "allow_localhost": True},
    },
    "QBO_ACCESS_TOKEN_TTL": 3600,
    "QBO_REFRESH_ROTATE": True,
    "QBO_REFRESH_GRACE_SECONDS": 86400,
    # Throttles (reference 9); the control API can change them at run time.
    "QBO_RATE_PER_MINUTE": 500,         # per realm
    "QBO_RATE_PER_SECOND": 10,          # per realm and app
    "QBO_CONCURRENT_PER_REALM": 10,     # in-flight per realm and app
    "QBO_BATCH_PER_MINUTE": 40,         # batch calls per realm and app
    "QBO_THROTTLE_FORMAT": "xml",       # "xml" like QBO, or "json"
    "QBO_RETRY_AFTER": None,            # seconds to send in Retry-After (QBO sends none)
    "QBO_HANDLER_DELAY_MS": 0,          # artificial service time (to test concurrency)
    # Webhooks per app: client_id -> {url, verifier_token, format: "legacy" | "cloudevents"}
    "QBO_WEBHOOKS": {},
    "QBO_WEBHOOK_BATCH_SECONDS": 1.0,   # provider seconds events are collected into one POST
    "QBO_WEBHOOK_SCHEDULE": WEBHOOK_SCHEDULE,
    "QBO_WEBHOOK_TIMEOUT": 3.0,
}

RUNTIME_SETTINGS = {
    "rate_per_minute": "QBO_RATE_PER_MINUTE",
    "rate_per_second": "QBO_RATE_PER_SECOND",
    "concurrent_per_realm": "QBO_CONCURRENT_PER_REALM",
    "batch_per_minute": "QBO_BATCH_PER_MINUTE",
    "throttle_format": "QBO_THROTTLE_FORMAT",
    "retry_after": "QBO_RETRY_AFTER",
    "handler_delay_ms": "QBO_HANDLER_DELAY_MS",
    "refresh_rotate": "QBO_REFRESH_ROTATE",
    "refresh_grace_seconds": "QBO_REFRESH_GRACE_SECONDS",
}


def build_config(overrides: dict | None) -> dict:
    config = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    if os.environ.get("SANDBOX_DB_PATH"):
        config["SANDBOX_DB_PATH"] = os.environ["SANDBOX_DB_PATH"]
    if os.environ.get("SANDBOX_TIME_SCALE"):
        config["SANDBOX_TIME_SCALE"] = float(os.environ["SANDBOX_TIME_SCALE"])
    config.update(overrides or {})
    return config
