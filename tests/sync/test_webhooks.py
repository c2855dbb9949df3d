"""POST /webhooks/<provider>: verified, stored once, answered at once, processed by a job."""

from decimal import Decimal

import fakeledger
import pytest
from synchelpers import fresh_invoice, make_invoice, records

from host.models import WebhookDelivery
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def _deliveries(db):
    db.session.expire_all()
    return list(db.session.scalars(db.select(WebhookDelivery)))


def _synced_invoice(app, org, db, amount="100.00"):
    invoice = make_invoice(org, amount=amount, send=True)
    drain(app)
    (record,) = records("invoice")
    db.session.expire_all()
    assert record.status == "synced"
    return invoice, record


def test_bad_signature_gets_401_and_nothing_is_stored(app, client, db, connection):
    body = b'{"events": []}'
    resp = client.post("/webhooks/fakeprovider", data=body,
                       headers={"X-Fake-Signature": "forged", "Content-Type": "application/json"})
    assert resp.status_code == 401
    assert _deliveries(db) == []
    assert app.extensions["psa_huey"].pending_count() == 0


def test_unknown_provider_is_404(client, db):
    body = b'{"events": []}'
    resp = client.post("/webhooks/nosuchledger", data=body,
                       headers={"X-Fake-Signature": fakeledger.sign(body)})
    assert resp.status_code == 404
    assert _deliveries(db) == []


def test_valid_delivery_is_answered_empty_and_stored_once(app, client, db, connection):
    body = b'{"events": []}'
    headers = {"X-Fake-Signature": fakeledger.sign(body), "Content-Type": "application/json"}
    first = client.post("/webhooks/fakeprovider", data=body, headers=headers)
    again = client.post("/webhooks/fakeprovider", data=body, headers=headers)
    assert (first.status_code, first.get_data()) == (200, b"")
    assert "Set-Cookie" not in first.headers  # Xero's intent-to-receive check refuses cookies
    assert (again.status_code, again.get_data()) == (200, b"")
    (delivery,) = _deliveries(db)
    assert delivery.status == "received"
    assert drain(app) == 1  # one job for two identical deliveries
    (delivery,) = _deliveries(db)
    assert delivery.status == "processed"


def test_payment_at_provider_marks_invoice_partially_paid_then_paid(
        app, client, org, db, connection):
    invoice, record = _synced_invoice(app, org, db)
    body, headers = LEDGER.record_payment(record.external_id, Decimal("40.00"))
    assert client.post("/webhooks/fakeprovider", data=body, headers=headers).status_code == 200
    client.post("/webhooks/fakeprovider", data=body, headers=headers)  # redelivered
    drain(app)
    assert fresh_invoice(invoice.id).status == "partially_paid"
    assert fresh_invoice(invoice.id).amount_paid == Decimal("40.00")
    body, headers = LEDGER.record_payment(record.external_id, Decimal("60.00"))
    client.post("/webhooks/fakeprovider", data=body, headers=headers)
    drain(app)
    assert fresh_invoice(invoice.id).status == "paid"
    # Payments that came from the provider are not pushed back.
    assert records("payment") == []


def test_reconcile_records_a_missed_payment_once(app, org, db, connection):
    from host.sync.sweeper import reconcile_connection

    invoice, record = _synced_invoice(app, org, db)
    LEDGER.record_payment(record.external_id, Decimal("100.00"))  # webhook never delivered
    reconcile_connection(connection.id)
    reconcile_connection(connection.id)
    invoice = fresh_invoice(invoice.id)
    assert invoice.status == "paid"
    assert len([p for p in invoice.payments if p.status == "recorded"]) == 1


def test_malformed_payload_marks_the_delivery_failed_with_the_reason(
        app, client, db, connection):
    body = b'{"not": "events"}'
    client.post("/webhooks/fakeprovider", data=body,
                headers={"X-Fake-Signature": fakeledger.sign(body)})
    drain(app)
    (delivery,) = _deliveries(db)
    assert delivery.status == "failed"
    assert "Malformed" in delivery.error


def test_sweeper_reprocesses_a_delivery_whose_job_was_lost(app, client, org, db, connection):
    from datetime import timedelta

    from host.models.mixins import utcnow
    from host.sync import sweeper

    invoice, record = _synced_invoice(app, org, db)
    body, headers = LEDGER.record_payment(record.external_id, Decimal("100.00"))
    client.post("/webhooks/fakeprovider", data=body, headers=headers)
    app.extensions["psa_huey"].flush()  # the job is lost
    (delivery,) = _deliveries(db)
    delivery.received_at = utcnow() - timedelta(seconds=app.config["SYNC_STALE_PENDING_SECONDS"] + 1)
    db.session.commit()
    sweeper.sweep()
    drain(app)
    assert fresh_invoice(invoice.id).status == "paid"
    assert [d.status for d in _deliveries(db)] == ["processed"]


def test_invoice_voided_at_the_provider_is_shown_and_not_recreated(
        app, admin_client, org, db, connection):
    import time

    from host.sync.sweeper import reconcile_connection

    invoice, record = _synced_invoice(app, org, db)
    with LEDGER.lock:
        LEDGER.documents[record.external_id]["voided"] = True
        LEDGER.changes.append((time.time(), "invoice", record.external_id))
    reconcile_connection(connection.id)
    db.session.expire_all()
    assert record.provider_state == "voided"
    assert record.status == "synced"  # nothing re-sent
    panel = admin_client.get(f"/invoices/{invoice.id}/sync").get_data(as_text=True)
    assert 'data-state="voided"' in panel
    assert "Voided at the provider" in panel
    assert len(LEDGER.invoices()) == 1


def test_a_delivery_parked_for_a_retry_is_left_alone_until_it_is_due(
        app, client, org, db, connection):
    """The sweeper must not re-run a delivery waiting out the provider's Retry-After: it would
    spend every attempt inside the provider's window (Xero's minute or day limit)."""
    from datetime import timedelta

    from host.models.mixins import utcnow
    from host.sync.sweeper import stale_delivery_ids

    invoice, record = _synced_invoice(app, org, db)
    body, headers = LEDGER.record_payment(record.external_id, Decimal("100.00"))
    client.post("/webhooks/fakeprovider", data=body, headers=headers)
    LEDGER.fail_next_read()  # fetching the payment answers 503
    drain(app)
    (delivery,) = _deliveries(db)
    assert delivery.status == "received" and "Retrying in" in delivery.error
    assert delivery.next_attempt_at > utcnow()
    stale = timedelta(seconds=app.config["SYNC_STALE_PENDING_SECONDS"] + 1)
    delivery.received_at = utcnow() - stale * 10  # arrived long ago ...
    db.session.commit()
    assert stale_delivery_ids() == []  # ... but it is not due yet
    assert stale_delivery_ids(now=delivery.next_attempt_at + stale) == [delivery.id]
    app.extensions["psa_huey"].flush()
    from host.sync.deliveries import process_delivery

    process_delivery(delivery.id)
    (delivery,) = _deliveries(db)
    assert delivery.status == "processed" and delivery.next_attempt_at is None
    assert fresh_invoice(invoice.id).status == "paid"


def test_a_provider_payment_on_an_invoice_voided_in_the_host_is_skipped_with_a_note(
        app, client, org, db, connection):
    from host.services.invoicing import void_invoice

    invoice, record = _synced_invoice(app, org, db)
    void_invoice(fresh_invoice(invoice.id))
    body, headers = LEDGER.record_payment(record.external_id, Decimal("40.00"))
    client.post("/webhooks/fakeprovider", data=body, headers=headers)
    drain(app)
    assert [(d.status, d.error) for d in _deliveries(db)] == [("processed", None)]
    invoice = fresh_invoice(invoice.id)
    assert (invoice.status, invoice.payments) == ("void", [])
    assert "payment_skipped" in [event.kind for event in records("invoice")[0].events]
