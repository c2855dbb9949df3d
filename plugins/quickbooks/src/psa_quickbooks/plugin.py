"""QuickBooks Online hook implementations (entry point ``quickbooks`` in ``psa.plugins``).

Each hook delegates to the module that owns the concept; see the plugin README ("Plugin").
"""

from __future__ import annotations

from hookspecs import hookimpl

from . import (changes, checks, connect, fields, info, lookups, payments_out, push,
               push_records, records, webhooks)


@hookimpl
def register_provider(config):
    return info.provider_info(config)


@hookimpl
def on_connect(connection, callback_params):
    return connect.on_connect(connection, callback_params)


@hookimpl
def test_connection(connection, write_check):
    return checks.test_connection(connection, write_check)


@hookimpl
def on_disconnect(connection):
    return connect.on_disconnect(connection)


@hookimpl
def on_invoice_sent(connection, invoice, idempotency_key):
    return push.invoice_sent(connection, invoice, idempotency_key)


@hookimpl
def on_invoice_voided(connection, invoice, idempotency_key):
    return push.invoice_voided(connection, invoice, idempotency_key)


@hookimpl
def on_credit_note(connection, credit_note, idempotency_key):
    return push.credit_note(connection, credit_note, idempotency_key)


@hookimpl
def on_payment(connection, payment, idempotency_key):
    return payments_out.push(connection, payment, idempotency_key)


@hookimpl
def list_mapping_choices(connection, kind):
    return lookups.list_mapping_choices(connection, kind)


@hookimpl
def preview_matches(connection, kind, records):
    return lookups.preview_matches(connection, kind, records)


@hookimpl
def verify_webhook(headers, body, config):
    return webhooks.verify(headers, body, config)


@hookimpl
def parse_webhook(headers, body):
    return webhooks.parse(headers, body)


@hookimpl
def fetch_changes(connection, events):
    return changes.fetch(connection, events)


@hookimpl
def reconcile(connection, cursor):
    return changes.reconcile(connection, cursor)


@hookimpl
def list_sync_fields(connection, object):
    return fields.list_sync_fields(connection, object)


@hookimpl
def list_records(connection, object, cursor, page_size):
    return records.list_records(connection, object, cursor, page_size)


@hookimpl
def push_record(connection, object, record, idempotency_key):
    return push_records.push_record(connection, object, record, idempotency_key)
