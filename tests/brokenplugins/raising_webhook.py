"""``verify_webhook`` has a bug: it raises ``TypeError`` on every delivery."""

from brokenplugins import declare
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingwebhook", "Raising Webhook Ledger")


@hookimpl
def verify_webhook(headers, body, config):
    return body + "signature"
