"""Sync paused: nothing goes out, nothing received is applied (webhooks are still verified and
stored), reconciliation waits; resuming applies the stored deliveries in order and sends what
waited. The fake provider's ledger is the provider."""

from decimal import Decimal

import fakeledger
import pytest
from synchelpers import fresh_invoice, make_invoice, queued_record_ids, records, reload

from host.integrations.testing import csrf_token
from host.models import WebhookDelivery
from host.services.payments import record_payment
from host.sync import pause, sweeper
from host.sync.queue import drain
from host.sync.tasks import process_sync_record

LEDGER = fakeledger.LEDGER


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def _fresh(object_type=None):
    from host.extensions import db

    db.session.expire_all()
    return records(object_type)


def _deliveries(db):
    db.session.expire_all()
    return list(db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _synced_invoice(app, org, amount="100.00"):
    invoice = make_invoice(org, amount=amount, send=True)
    drain(app)
    (record,) = [r for r in _fresh("invoice") if r.object_id == invoice.id]
    assert record.status == "synced"
    return invoice, record


def _manage(connection) -> str:
    return f"/settings/integrations/connections/{connection.id}"


def _post(admin_client, connection, action: str):
    token = csrf_token(admin_client, _manage(connection))
    return admin_client.post(f"{_manage(connection)}/{action}", data={"csrf_token": token})


def test_paused_nothing_goes_out_and_resume_sends_what_waited(app, admin_client, org, db,
                                                              connection):
    paid, _ = _synced_invoice(app, org)
    assert _post(admin_client, connection, "pause").status_code == 302
    assert reload(connection).is_paused
    invoice = make_invoice(org, send=True)
    record_payment(fresh_invoice(paid.id), Decimal("30.00"), source="host")
    waiting = [r for r in _fresh() if r.status == "pending"]
    assert sorted(r.object_type for r in waiting) == ["invoice", "payment"]
    assert queued_record_ids(app) == []  # nothing enqueued
    # a message that reached the queue anyway (a retry scheduled before the pause, the sweeper)
    # is refused by the claim, and the sweeper leaves the records alone
    assert [process_sync_record(r.id) for r in waiting] == ["skipped", "skipped"]
    far = waiting[0].updated_at.replace(year=2100)
    assert sweeper.stale_record_ids(now=far) == []
    assert len(LEDGER.invoices()) == 1 and LEDGER.documents and \
        [d["type"] for d in LEDGER.documents.values()] == ["invoice"]

    assert _post(admin_client, connection, "resume").status_code == 302
    assert not reload(connection).is_paused
    drain(app)  # the resume job, then the records it enqueued
    assert sorted((r.object_type, r.status) for r in _fresh()) == [
        ("invoice", "synced"), ("invoice", "synced"), ("payment", "synced")]
    assert len(LEDGER.invoices()) == 2
    assert [d["amount"] for d in LEDGER.documents.values() if d["type"] == "payment"] \
        == ["30.00"]
    assert fresh_invoice(invoice.id).status == "sent"


def test_paused_webhooks_are_verified_and_stored_but_applied_only_on_resume(
        app, client, admin_client, org, db, connection):
    invoice, record = _synced_invoice(app, org)
    pause.pause(connection, "admin@acme.test")
    forged = b'{"events": []}'
    assert client.post("/webhooks/fakeprovider", data=forged,
                       headers={"X-Fake-Signature": "forged"}).status_code == 401
    first = LEDGER.record_payment(record.external_id, Decimal("40.00"))
    second = LEDGER.record_payment(record.external_id, Decimal("60.00"))
    for body, headers in (first, second):
        assert client.post("/webhooks/fakeprovider", data=body, headers=headers).status_code \
            == 200
    drain(app)
    assert [(d.status, d.held_tenant_ids) for d in _deliveries(db)] == [
        ("held", ["t-1"]), ("held", ["t-1"])]
    assert fresh_invoice(invoice.id).status == "sent"  # stored, not applied
    assert sweeper.stale_delivery_ids(now=_deliveries(db)[0].received_at.replace(year=2100)) \
        == []
    panel = admin_client.get(f"/invoices/{invoice.id}/sync").get_data(as_text=True)
    assert 'id="sync-paused"' in panel and "Sync paused" in panel

    pause.resume(reload(connection))
    drain(app)
    invoice = fresh_invoice(invoice.id)
    assert invoice.status == "paid"
    # applied in the order they arrived: the 40 first
    assert [p.amount for p in sorted(invoice.payments, key=lambda p: p.id)] == [
        Decimal("40.00"), Decimal("60.00")]
    assert [d.status for d in _deliveries(db)] == ["processed", "processed"]


def test_reconciliation_is_skipped_while_paused_and_runs_on_resume(
        app, admin_client, org, db, connection):
    invoice, record = _synced_invoice(app, org)
    LEDGER.record_payment(record.external_id, Decimal("100.00"))  # no webhook arrives
    pause.pause(connection, "admin@acme.test")
    assert sweeper.reconcile_all() == 0
    assert sweeper.reconcile_connection(connection.id) is None
    assert fresh_invoice(invoice.id).status == "sent"
    resp = _post(admin_client, connection, "reconcile")
    html = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Sync is paused: reconciliation is skipped until it resumes." in html
    assert 'id="reconcile-skipped"' in html
    assert queued_record_ids(app) == [] and app.extensions["psa_huey"].pending_count() == 0

    pause.resume(reload(connection))
    drain(app)
    assert fresh_invoice(invoice.id).status == "paid"


def test_a_delivery_held_as_sync_resumed_is_released_by_the_sweeper(app, client, org, db,
                                                                   connection):
    """The resume job may look before a delivery held at that moment is written: the sweeper
    applies held deliveries whose connection runs again."""
    invoice, record = _synced_invoice(app, org)
    pause.pause(connection, "admin@acme.test")
    body, headers = LEDGER.record_payment(record.external_id, Decimal("100.00"))
    client.post("/webhooks/fakeprovider", data=body, headers=headers)
    drain(app)
    connection = reload(connection)
    connection.sync_paused_at = None  # resumed, but its job was lost
    db.session.commit()
    assert fresh_invoice(invoice.id).status == "sent"
    sweeper.sweep()
    assert fresh_invoice(invoice.id).status == "paid"
    assert [d.status for d in _deliveries(db)] == ["processed"]


def test_paused_is_shown_on_the_tile_and_the_manage_page(admin_client, org, db, connection):
    pause.pause(connection, "admin@acme.test")
    tile = admin_client.get(f"/settings/integrations?business_unit={org.business_unit_ids[0]}"
                            ).get_data(as_text=True)
    assert "Sync paused" in tile
    manage = admin_client.get(_manage(connection)).get_data(as_text=True)
    assert 'data-paused="yes"' in manage and "Sync paused" in manage
    assert "by admin@acme.test" in manage and 'id="resume-sync"' in manage
    # paused is not disconnected: the connection stays active, with its settings
    assert reload(connection).status == "connected"


def test_paused_is_shown_on_the_credit_note_page(app, admin_client, org, db, connection):
    from host.services.credit_notes import issue_credit_note

    invoice, _ = _synced_invoice(app, org)
    pause.pause(connection, "admin@acme.test")
    note = issue_credit_note(invoice, amount=Decimal("25.00"), reason="Goodwill")
    (credit_record,) = _fresh("credit_note")
    assert credit_record.status == "pending" and queued_record_ids(app) == []
    html = admin_client.get(f"/credit-notes/{note.id}").get_data(as_text=True)
    assert 'id="sync-paused"' in html and "Sync paused" in html
