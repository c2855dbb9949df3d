""""Reconcile now" on the Manage page, and a failed pass kept visible until one succeeds."""

import time
from decimal import Decimal

import fakeledger
import pytest
from synchelpers import fresh_invoice, make_invoice, records

from host.integrations.testing import csrf_token
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def _manage(admin_client, connection) -> str:
    return admin_client.get(f"/settings/integrations/connections/{connection.id}"
                            ).get_data(as_text=True)


def test_reconcile_now_queues_a_pass_that_applies_what_the_provider_changed(
        app, admin_client, org, db, connection):
    make_invoice(org, amount="100.00", send=True)
    drain(app)
    (record,) = records("invoice")
    assert 'id="reconciled-at">never<' in _manage(admin_client, connection)
    with LEDGER.lock:
        LEDGER.documents[record.external_id]["voided"] = True
        LEDGER.changes.append((time.time(), "invoice", record.external_id))

    url = f"/settings/integrations/connections/{connection.id}"
    resp = admin_client.post(f"{url}/reconcile", data={"csrf_token": csrf_token(admin_client, url)})
    assert resp.status_code == 302
    assert drain(app) == 1
    db.session.expire_all()
    assert record.provider_state == "voided"
    html = _manage(admin_client, connection)
    assert 'id="reconciled-at">never<' not in html and 'id="reconcile-error"' not in html


def test_a_failed_pass_is_shown_with_its_fix_until_a_pass_succeeds(
        app, admin_client, org, db, connection):
    from host.sync.sweeper import reconcile_connection

    LEDGER.fail_next_read()
    reconcile_connection(connection.id)
    db.session.expire_all()
    assert "The Fake Ledger answered 503" in connection.reconcile_error
    assert "The last reconciliation failed: The Fake Ledger answered 503" in _manage(
        admin_client, connection)

    reconcile_connection(connection.id)
    db.session.expire_all()
    assert connection.reconcile_error is None
    assert 'id="reconcile-error"' not in _manage(admin_client, connection)


def test_a_payment_applied_from_a_webhook_is_not_shown_as_a_reconciliation_pass(
        app, client, admin_client, org, db, connection):
    """Only a reconciliation pass moves "Last reconciled": a webhook applies one payment, it
    does not ask the provider what else changed (and a waiter for the pass must not take it for
    one)."""
    make_invoice(org, amount="100.00", send=True)
    drain(app)
    (record,) = records("invoice")
    body, headers = LEDGER.record_payment(record.external_id, Decimal("40.00"))
    assert client.post("/webhooks/fakeprovider", data=body, headers=headers).status_code == 200
    drain(app)
    assert fresh_invoice(record.object_id).status == "partially_paid"
    assert 'id="reconciled-at">never<' in _manage(admin_client, connection)


def test_last_reconciled_is_when_the_pass_asked_the_provider(app, db, connection, monkeypatch):
    """A pass does not see what changed after it asked: "Last reconciled" is the moment it
    asked, not when it finished applying (a pass already running when someone waits for a new
    one must not count as the new one)."""
    from host.integrations import dispatch
    from host.models.mixins import utcnow
    from host.sync.sweeper import reconcile_connection

    asked = []
    ask = dispatch.call_owner

    def noting_when(conn, hook, **kwargs):
        asked.append(utcnow())
        return ask(conn, hook, **kwargs)

    monkeypatch.setattr(dispatch, "call_owner", noting_when)
    before = utcnow()
    reconcile_connection(connection.id)
    db.session.expire_all()
    assert before <= connection.reconciled_at <= asked[0]


def test_members_cannot_reconcile(member_client, connection):
    url = f"/settings/integrations/connections/{connection.id}/reconcile"
    token = csrf_token(member_client, "/invoices/")
    assert member_client.post(url, data={"csrf_token": token}).status_code == 403
