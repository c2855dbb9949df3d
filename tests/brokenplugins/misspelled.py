"""A misspelled hook name (``on_invoice_send`` for ``on_invoice_sent``): no hookspec has it."""

from brokenplugins import declare
from hookspecs import hookimpl


@hookimpl
def register_provider(config):
    return declare(config, "misspelled", "Misspelled Ledger")


@hookimpl
def on_invoice_send(connection, invoice, idempotency_key):
    raise AssertionError("never called: the hook does not exist")
