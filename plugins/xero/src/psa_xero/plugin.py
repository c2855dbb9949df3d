"""The Xero provider plugin: thin hook implementations (entry point ``xero``).

Outbound (``push``), connecting (``connect``), checks (``checks``), choices and previews
(``lookups``) are X1's modules; webhooks, changes and payments to Xero are in ``webhooks``,
``changes`` and ``payments_out``; two-way sync in ``fields`` (``list_sync_fields``),
``records`` (``list_records``, mapped by ``mappers.inbound``) and ``records_out``
(``push_record``). See the plugin README, section Plugin.
"""

from __future__ import annotations

from hookspecs import hookimpl

from . import checks, connect, lookups, push
from .info import provider_info


@hookimpl
def register_provider(config):
    return provider_info(config)


# -- connection lifecycle ----------------------------------------------------------------------


@hookimpl
def on_connect(connection, callback_params):
    return connect.on_connect(connection, callback_params)


@hookimpl
def test_connection(connection, write_check):
    return checks.test_connection(connection, write_check)


@hookimpl
def on_disconnect(connection):
    return connect.on_disconnect(connection)


# -- outbound ----------------------------------------------------------------------------------


@hookimpl
def on_invoice_sent(connection, invoice, idempotency_key):
    return push.on_invoice_sent(connection, invoice, idempotency_key)


@hookimpl
def on_invoice_voided(connection, invoice, idempotency_key):
    return push.on_invoice_voided(connection, invoice, idempotency_key)


@hookimpl
def on_credit_note(connection, credit_note, idempotency_key):
    return push.on_credit_note(connection, credit_note, idempotency_key)


@hookimpl
def on_payment(connection, payment, idempotency_key):
    from . import payments_out

    return payments_out.push(connection, payment, idempotency_key)


# -- inbound -----------------------------------------------------------------------------------


@hookimpl
def verify_webhook(headers, body, config):
    from . import webhooks

    return webhooks.verify(headers, body, config)


@hookimpl
def parse_webhook(headers, body):
    from . import webhooks

    return webhooks.parse(headers, body)


@hookimpl
def fetch_changes(connection, events):
    from . import changes

    return changes.fetch(connection, events)


@hookimpl
def reconcile(connection, cursor):
    from . import changes

    return changes.reconcile(connection, cursor)


# -- two-way sync ------------------------------------------------------------------------------


@hookimpl
def list_sync_fields(connection, object):  # noqa: A002 (the hook's argument name)
    from . import fields

    return fields.list_sync_fields(connection, object)


@hookimpl
def list_records(connection, object, cursor, page_size):  # noqa: A002
    from . import records

    return records.list_records(connection, object, cursor, page_size)


@hookimpl
def push_record(connection, object, record, idempotency_key):  # noqa: A002
    from . import records_out

    return records_out.push_record(connection, object, record, idempotency_key)


# -- mapping support ---------------------------------------------------------------------------


@hookimpl
def list_mapping_choices(connection, kind):
    return lookups.list_mapping_choices(connection, kind)


@hookimpl
def preview_matches(connection, kind, records):
    return lookups.preview_matches(connection, kind, records)
