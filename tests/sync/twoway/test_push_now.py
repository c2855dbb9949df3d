"""Seed 004's per-invoice action: "Push to <provider> now", with or without emailing it.

Over real HTTP to the fake ledger: the button only enqueues; the worker pushes with
``InvoiceData.send_email`` set for that push only, a held invoice is released for it, and the
history says who asked and whether email was requested.
"""

import fakeledger
import pytest
from synchelpers import make_invoice

from host.integrations.testing import create_org, csrf_token, make_connection
from host.models import Connection, SyncRecord
from host.sync.tasks import process_sync_record
from host.sync.twoway import outbound

LEDGER = fakeledger.LEDGER


@pytest.fixture
def conn(connection_factory):
    """A fake-ledger connection with automatic push off and automatic emailing on."""
    with LEDGER.lock:
        tokens = LEDGER.issue_tokens()
    connection = connection_factory(tokens=tokens,
                                    settings={"default_item": "1", "auto_send": True})
    connection.auto_push = False
    return connection


def url(conn, invoice):
    return f"/settings/integrations/connections/{conn.id}/invoices/{invoice.id}/push-now"


def push_now(client, conn, invoice, email, token=True):
    data = {"email": email} if email is not None else {}
    if token:
        data["csrf_token"] = csrf_token(client, f"/invoices/{invoice.id}")
    return client.post(url(conn, invoice), data=data)


def invoice_record(db, invoice):
    db.session.expire_all()
    return db.session.scalars(db.select(SyncRecord).filter_by(
        object_type="invoice", object_id=invoice.id)).one()


def ledger_invoice(record):
    return LEDGER.record("invoice", record.external_id)


@pytest.mark.parametrize("email", ["1", "0"])
def test_a_held_invoice_is_pushed_now_with_the_admin_s_email_choice(db, org, conn,
                                                                    admin_client, email):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    assert invoice_record(db, invoice).status == "held"
    response = push_now(admin_client, conn, invoice, email)
    assert response.status_code == 302
    record = invoice_record(db, invoice)
    assert record.status == "pending"  # queued only: the request never called the ledger
    (asked,) = [e for e in record.events if e.kind.startswith("push_now")]
    assert org.admin_email in asked.message
    assert ("and email it" in asked.message) == (email == "1")
    assert process_sync_record(record.id) == "synced"
    record = invoice_record(db, invoice)
    assert ledger_invoice(record)["emailed"] is (email == "1")
    assert record.emailed is (email == "1")


def test_the_email_choice_is_for_that_push_only(db, org, conn):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    record = outbound.push_invoice_now(invoice, email=False, user=None)
    db.session.commit()
    assert outbound.email_choice(record) is False
    assert process_sync_record(record.id) == "synced"
    db.session.get(Connection, conn.id).auto_push = True
    from host.services.invoicing import send_invoice

    send_invoice(invoice)  # re-sent after an edit: an automatic push with a new key
    record = invoice_record(db, invoice)
    assert record.status == "pending" and outbound.email_choice(record) is None


def test_the_choice_holds_through_a_retry(db, org, conn):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    record = outbound.push_invoice_now(invoice, email=True, user=None)
    db.session.commit()
    LEDGER.fail_next("provider_down")
    assert process_sync_record(record.id) == "pending"
    record = invoice_record(db, invoice)
    record.next_attempt_at = None
    db.session.commit()
    assert outbound.email_choice(record) is True
    assert process_sync_record(record.id) == "synced"
    assert ledger_invoice(invoice_record(db, invoice))["emailed"] is True


def test_only_open_invoices_are_pushed_now(db, org, conn, admin_client):
    draft = make_invoice(org)
    db.session.commit()
    response = push_now(admin_client, conn, draft, "1")
    assert response.status_code == 302
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only an open invoice" in page
    assert db.session.scalar(db.select(db.func.count(SyncRecord.id))) == 0


def test_push_now_refuses_bad_requests(app, db, org, conn, admin_client):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    assert push_now(admin_client, conn, invoice, None).status_code == 400  # no choice
    assert push_now(admin_client, conn, invoice, "yes").status_code == 400
    assert push_now(admin_client, conn, invoice, "1", token=False).status_code == 400  # CSRF
    other = create_org(app, name="Other Firm", admin_email="a@other.test",
                       member_email="m@other.test")
    theirs = make_invoice(other, send=True)
    db.session.commit()
    other_conn = make_connection(app, other.business_unit_ids[0], "fakeprovider",
                                 settings={"default_item": "1"})
    token = csrf_token(admin_client, f"/invoices/{invoice.id}")
    for path in (url(conn, theirs),
                 f"/settings/integrations/connections/{other_conn}/invoices/{invoice.id}"
                 "/push-now"):
        assert admin_client.post(path, data={"email": "1", "csrf_token": token}).status_code \
            == 404
    assert invoice_record(db, invoice).status == "held"  # nothing was pushed


def test_push_now_is_for_admins(db, org, conn, member_client):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    assert push_now(member_client, conn, invoice, "1").status_code == 403
    assert invoice_record(db, invoice).status == "held"
