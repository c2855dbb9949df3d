"""``test_connection`` has a bug: it raises ``KeyError`` instead of failing a check."""

from brokenplugins import declare
from fakeprovider import list_mapping_choices, on_connect, on_disconnect  # noqa: F401
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingcheck", "Raising Check Ledger")


@hookimpl
def test_connection(connection, write_check):
    return {"company": "ok"}["CompanyName"]
