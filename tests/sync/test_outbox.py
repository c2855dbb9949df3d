"""The transactional outbox: the invoice's status and its sync record commit together."""

from decimal import Decimal

import pytest
from synchelpers import fresh_invoice, make_invoice, queued_record_ids, records

from host.services.invoicing import send_invoice, update_invoice, void_invoice
from host.services.payments import record_payment
from host.sync import outbox


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"})


def test_sending_writes_the_record_in_the_same_transaction_and_enqueues_after_commit(
        app, org, db, connection):
    invoice = make_invoice(org)
    send_invoice(invoice, commit=False)
    # Before the commit: the record is in the session, nothing is queued yet.
    assert queued_record_ids(app) == []
    db.session.commit()
    (record,) = records("invoice")
    assert record.status == "pending"
    assert record.connection_id == connection.id
    assert record.object_id == invoice.id
    assert len(record.idempotency_key) == 36
    assert fresh_invoice(invoice.id).status == "sent"
    assert queued_record_ids(app) == [record.id]


def test_rollback_writes_neither_the_status_nor_the_record_and_enqueues_nothing(
        app, org, db, connection):
    invoice = make_invoice(org)
    invoice_id = invoice.id
    send_invoice(invoice, commit=False)
    db.session.rollback()
    assert fresh_invoice(invoice_id).status == "draft"
    assert records() == []
    assert queued_record_ids(app) == []


def test_no_active_connection_writes_nothing(app, org, db):
    make_invoice(org, send=True)
    assert records() == []
    assert queued_record_ids(app) == []


def test_other_business_unit_is_not_synced(app, org, db, connection):
    make_invoice(org, bu_index=1, send=True)
    assert records() == []


def test_payment_from_provider_is_never_echoed(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    (invoice_record,) = records("invoice")
    invoice_record.external_id, invoice_record.status = "X-1", "synced"
    db.session.commit()
    record_payment(invoice, Decimal("40.00"), source="provider", external_id="P-1:X-1",
                   connection_id=connection.id)
    assert records("payment") == []
    record_payment(invoice, Decimal("10.00"), source="host")
    (payment_record,) = records("payment")
    assert payment_record.status == "pending"


def test_resend_after_edit_updates_the_same_record_with_a_new_key(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    (record,) = records("invoice")
    first_key = record.idempotency_key
    record.status, record.external_id, record.number = "synced", "X-9", "INV-9"
    db.session.commit()
    update_invoice(invoice, [{"quantity": 2, "unit_price": Decimal("100.00"),
                              "description": "More consulting"}])
    send_invoice(invoice)
    (record,) = records("invoice")
    assert record.status == "pending"
    assert record.operation == "update"
    assert record.external_id == "X-9"
    assert record.idempotency_key != first_key


def test_resend_before_the_first_push_was_confirmed_keeps_the_key(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    (record,) = records("invoice")
    record.status = "failed"
    key = record.idempotency_key
    db.session.commit()
    send_invoice(invoice)
    (record,) = records("invoice")
    assert (record.status, record.operation, record.idempotency_key) == ("pending", "create", key)


def test_void_of_a_synced_invoice_queues_a_void_record(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    (record,) = records("invoice")
    record.status, record.external_id = "synced", "X-3"
    db.session.commit()
    void_invoice(invoice)
    (void,) = records("invoice_void")
    assert (void.status, void.operation) == ("pending", "void")


def test_void_before_the_push_excludes_the_pending_push(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    void_invoice(invoice)
    (record,) = records("invoice")
    assert record.status == "excluded"
    assert "Voided in the host" in record.excluded_reason
    assert records("invoice_void") == []


def test_invoices_sent_before_the_connection_are_excluded_and_can_be_pushed(
        app, org, db, connection_factory):
    invoice = make_invoice(org, send=True)
    connection = connection_factory(settings={"default_item": "1"})
    assert outbox.exclude_earlier_invoices(connection) == 1
    db.session.commit()
    assert outbox.exclude_earlier_invoices(connection) == 0  # idempotent
    (record,) = records("invoice")
    assert record.status == "excluded"
    assert record.excluded_reason == outbox.EXCLUDED_BEFORE_CONNECT
    outbox.push(record, actor="admin@acme.test")
    db.session.commit()
    assert records("invoice")[0].status == "pending"
    assert queued_record_ids(app) == [record.id]
    assert record.object_id == invoice.id
