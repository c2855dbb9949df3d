"""``reconcile`` has a bug: it raises ``ValueError`` parsing the cursor it stored itself."""

from datetime import datetime

from brokenplugins import declare
from fakeprovider import list_mapping_choices, on_disconnect, test_connection  # noqa: F401
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingreconcile", "Raising Reconcile Ledger")


@hookimpl
def reconcile(connection, cursor):
    return datetime.fromisoformat(cursor or "yesterday")
