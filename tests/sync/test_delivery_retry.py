"""A delivery interrupted by a concurrent write (SQLite's write lock held by another process)
goes back to be retried, rather than ending "failed" for good."""

import sqlite3
from decimal import Decimal

import fakeledger
import pytest
import sqlalchemy as sa
from synchelpers import fresh_invoice, make_invoice, records

from host.models import Payment, WebhookDelivery
from host.services import payments as payment_service
from host.sync.deliveries import process_delivery
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


@pytest.fixture
def app(make_app):
    """SQLite gives up on a held write lock after 0.1 s instead of 5 s."""
    return make_app(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.1}})


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def test_a_delivery_interrupted_by_a_locked_database_is_retried_not_failed(
        app, client, org, db, connection, monkeypatch):
    invoice = make_invoice(org, amount="100.00", send=True)
    drain(app)
    (record,) = records("invoice")
    body, headers = LEDGER.record_payment(record.external_id, Decimal("40.00"))
    assert client.post("/webhooks/fakeprovider", data=body, headers=headers).status_code == 200
    (delivery_id,) = db.session.scalars(sa.select(WebhookDelivery.id))

    # Another process takes the database's write lock just as the payment is about to be
    # recorded, and lets go once this worker's write has failed on it.
    other = sqlite3.connect(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"),
                            isolation_level=None)
    find = payment_service.find_provider_payment

    def find_then_lock(*args):
        if not other.in_transaction and not released:
            other.execute("BEGIN IMMEDIATE")
        return find(*args)

    released = []

    def release(_context):
        if other.in_transaction:
            other.execute("ROLLBACK")
            released.append(True)

    sa.event.listen(db.engine, "handle_error", release)
    monkeypatch.setattr(payment_service, "find_provider_payment", find_then_lock)
    try:
        assert process_delivery(delivery_id) == "received"
        db.session.expire_all()
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert released and delivery.status == "received"
        assert delivery.next_attempt_at is not None and "Retrying" in delivery.error
        assert db.session.scalars(sa.select(Payment)).all() == []

        assert process_delivery(delivery_id) == "processed"
    finally:
        sa.event.remove(db.engine, "handle_error", release)
        other.close()
    payments = db.session.scalars(sa.select(Payment).filter_by(invoice_id=invoice.id)).all()
    assert [p.amount for p in payments] == [Decimal("40.00")]
    assert fresh_invoice(invoice.id).status == "partially_paid"
