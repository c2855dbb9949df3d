"""``list_mapping_choices`` has a bug: it raises ``RuntimeError`` instead of answering."""

from brokenplugins import declare
from fakeprovider import on_connect, on_disconnect, test_connection  # noqa: F401 (working hooks)
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingchoices", "Raising Choices Ledger")


@hookimpl
def list_mapping_choices(connection, kind):
    raise RuntimeError("the choices cache is corrupt")
