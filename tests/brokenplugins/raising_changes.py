"""``fetch_changes`` has a bug: it raises ``AttributeError`` on every webhook event."""

from brokenplugins import declare
from fakeprovider import list_mapping_choices, parse_webhook, verify_webhook  # noqa: F401
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingchanges", "Raising Changes Ledger")


@hookimpl
def fetch_changes(connection, events):
    return [event.payment for event in events]
