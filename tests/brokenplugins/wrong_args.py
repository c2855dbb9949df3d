"""A hookimpl asking for an argument the hookspec does not have (``write_checks``)."""

from brokenplugins import declare
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "wrongargs", "Wrong Arguments Ledger")


@hookimpl
def test_connection(connection, write_checks):
    raise AssertionError("never called: pluggy refuses the plugin")
