"""Two deliveries of the same provider payment processed at the same moment record it once,
and both end processed."""

import json
import threading
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
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def deliver_twice(client, invoice_external_id: str) -> None:
    """The ledger reports one payment in two different deliveries (two event ids)."""
    body, headers = LEDGER.record_payment(invoice_external_id, Decimal("40.00"))
    again = json.loads(body)
    again["events"][0]["event_id"] += "-resent"
    again = json.dumps(again).encode()
    for payload in (body, again):
        resp = client.post("/webhooks/fakeprovider", data=payload, headers={
            "Content-Type": "application/json", "X-Fake-Signature": fakeledger.sign(payload)})
        assert resp.status_code == 200


def deliveries(db):
    db.session.expire_all()
    return list(db.session.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def synced_invoice(app, org, db):
    invoice = make_invoice(org, amount="100.00", send=True)
    drain(app)
    (record,) = records("invoice")
    return invoice, record.external_id


def test_two_deliveries_of_one_payment_processed_at_once_record_it_once(
        app, client, org, db, connection, monkeypatch):
    invoice, external_id = synced_invoice(app, org, db)
    deliver_twice(client, external_id)
    ids = [d.id for d in deliveries(db)]
    assert len(ids) == 2

    # Both workers look for the payment before either records it (the race, made certain).
    both_looked = threading.Barrier(2, timeout=10)
    looked = threading.local()
    find = payment_service.find_provider_payment

    def find_then_wait(*args):
        found = find(*args)
        if found is None and not getattr(looked, "done", False):
            looked.done = True
            both_looked.wait()
        return found

    monkeypatch.setattr(payment_service, "find_provider_payment", find_then_wait)
    outcomes = {}

    def work(delivery_id):
        with app.app_context():
            outcomes[delivery_id] = process_delivery(delivery_id)

    threads = [threading.Thread(target=work, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcomes == {ids[0]: "processed", ids[1]: "processed"}
    assert [d.status for d in deliveries(db)] == ["processed", "processed"]
    payments = db.session.scalars(sa.select(Payment).filter_by(invoice_id=invoice.id)).all()
    assert [(p.amount, p.source) for p in payments] == [(Decimal("40.00"), "provider")]
    assert fresh_invoice(invoice.id).status == "partially_paid"
    assert fresh_invoice(invoice.id).amount_paid == Decimal("40.00")
