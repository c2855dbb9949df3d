"""``on_invoice_sent`` has a bug: it raises ``IndexError`` on an invoice with one line."""

from brokenplugins import declare
from fakeprovider import list_mapping_choices, on_disconnect, test_connection  # noqa: F401
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "raisingpush", "Raising Push Ledger")


@hookimpl
def on_invoice_sent(connection, invoice, idempotency_key):
    return invoice.lines[1]
