"""``on_connect`` has a bug: it raises ``ZeroDivisionError`` after the OAuth grant."""

from brokenplugins import declare
from fakeprovider import list_mapping_choices, on_disconnect, test_connection  # noqa: F401
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingconnect", "Raising Connect Ledger")


@hookimpl
def on_connect(connection, callback_params):
    return len(callback_params) / 0
