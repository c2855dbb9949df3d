"""``test_connection`` returns a dict where the contract wants a ``TestResult``."""

from brokenplugins import declare
from fakeprovider import list_mapping_choices, on_connect, on_disconnect  # noqa: F401
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "wrongresult", "Wrong Result Ledger")


@hookimpl
def test_connection(connection, write_check):
    return {"ok": True}
