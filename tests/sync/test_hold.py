"""Automatic push off: what the host sends is held (a real state of the sync record) until an
admin pushes it, one by one or all at once; switching automatic push on offers to push what is
held. The fake provider's ledger shows what reached the provider."""

from decimal import Decimal

import fakeledger
import pytest
from synchelpers import fresh_invoice, make_invoice, queued_record_ids, records, reload

from host.integrations.testing import csrf_token
from host.services.credit_notes import issue_credit_note
from host.services.invoicing import void_invoice
from host.services.payments import record_payment
from host.sync import sweeper
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


@pytest.fixture
def held_connection(db, connection):
    connection.auto_push = False
    db.session.commit()
    return connection


def _fresh(object_type: str | None = None):
    """The sync records as the database has them now (after requests and worker jobs)."""
    from host.extensions import db

    db.session.expire_all()
    return records(object_type)


def _manage(connection) -> str:
    return f"/settings/integrations/connections/{connection.id}"


def _post(admin_client, connection, action: str, data: dict | None = None):
    token = csrf_token(admin_client, _manage(connection))
    return admin_client.post(f"{_manage(connection)}/{action}",
                             data={"csrf_token": token, **(data or {})})


def test_switch_off_holds_a_sent_invoice_and_nothing_reaches_the_provider(
        app, admin_client, org, db, held_connection):
    invoice = make_invoice(org, send=True)
    (record,) = records("invoice")
    assert record.status == "held"
    assert queued_record_ids(app) == []
    # The sweeper never picks a held record up, however old it is.
    assert record.id not in sweeper.stale_record_ids(now=record.updated_at.replace(year=2100))
    drain(app)
    assert LEDGER.invoices() == []
    panel = admin_client.get(f"/invoices/{invoice.id}/sync").get_data(as_text=True)
    assert 'data-status="held"' in panel
    assert "Automatic push is off" in panel
    assert 'class="button push-sync"' in panel  # the admin's Push


def test_push_one_from_the_invoice_panel_sends_it_once(app, admin_client, org, db,
                                                       held_connection):
    invoice = make_invoice(org, send=True)
    (record,) = records("invoice")
    page = f"/invoices/{invoice.id}"
    resp = admin_client.post(f"/sync/records/{record.id}/push",
                             data={"csrf_token": csrf_token(admin_client, page), "next": page})
    assert resp.status_code == 302
    assert reload(record).status == "pending"
    assert queued_record_ids(app) == [record.id]  # enqueued: the request called nobody
    assert LEDGER.invoices() == []
    drain(app)
    assert reload(record).status == "synced"
    (pushed,) = LEDGER.invoices()
    assert pushed["id"] == reload(record).external_id
    assert fresh_invoice(invoice.id).status == "sent"


def test_credit_note_void_and_payment_are_held_too(app, org, db, connection):
    """One rule for everything the outbox writes: with automatic push off it is held."""
    paid = make_invoice(org, send=True)
    voided = make_invoice(org, send=True)
    drain(app)
    assert len(LEDGER.invoices()) == 2
    connection.auto_push = False
    db.session.commit()
    issue_credit_note(paid, amount=Decimal("25.00"), reason="Goodwill")
    record_payment(fresh_invoice(paid.id), Decimal("30.00"), source="host")
    void_invoice(fresh_invoice(voided.id))
    assert sorted((r.object_type, r.status) for r in _fresh() if r.object_type != "invoice") \
        == [("credit_note", "held"), ("invoice_void", "held"), ("payment", "held")]
    drain(app)
    assert sorted(d["type"] for d in LEDGER.documents.values()) == ["invoice", "invoice"]
    assert not any(d.get("voided") for d in LEDGER.invoices())


def test_pushing_a_held_credit_note_takes_its_held_invoice_along(
        app, admin_client, org, db, held_connection):
    invoice = make_invoice(org, send=True)
    issue_credit_note(invoice, amount=Decimal("25.00"), reason="Goodwill")
    (credit_record,) = records("credit_note")
    page = f"/invoices/{invoice.id}"
    admin_client.post(f"/sync/records/{credit_record.id}/push",
                      data={"csrf_token": csrf_token(admin_client, page)})
    drain(app)
    assert [(r.object_type, r.status) for r in _fresh()] == [("invoice", "synced"),
                                                              ("credit_note", "synced")]
    (credit,) = [d for d in LEDGER.documents.values() if d["type"] == "credit_note"]
    assert credit["invoice"] == _fresh("invoice")[0].external_id


def test_a_held_invoice_voided_before_it_was_pushed_is_excluded(app, org, db, held_connection):
    invoice = make_invoice(org, send=True)
    void_invoice(invoice)
    (record,) = records("invoice")
    assert record.status == "excluded"
    assert "Voided in the host before it reached the provider" in record.excluded_reason
    assert records("invoice_void") == []


def test_manage_page_lists_held_records_and_pushes_them_all(
        app, admin_client, org, db, held_connection):
    first = make_invoice(org, send=True)
    second = make_invoice(org, send=True)
    html = admin_client.get(_manage(held_connection)).get_data(as_text=True)
    assert 'data-auto-push="off"' in html
    assert "Push all held (2)" in html
    assert f"Invoice {first.number}" in html and f"Invoice {second.number}" in html
    assert 'id="held-offer"' not in html  # the offer comes when automatic push is switched on
    resp = _post(admin_client, held_connection, "held/push")
    assert resp.status_code == 302
    assert sorted(queued_record_ids(app)) == [r.id for r in records("invoice")]
    drain(app)
    assert [r.status for r in _fresh("invoice")] == ["synced", "synced"]
    assert len(LEDGER.invoices()) == 2
    assert "Nothing is held." in admin_client.get(_manage(held_connection)).get_data(as_text=True)


def test_switching_automatic_push_on_offers_to_push_what_is_held(
        app, admin_client, org, db, connection):
    resp = _post(admin_client, connection, "auto-push", {})  # the box unticked: off
    assert resp.status_code == 302
    assert reload(connection).auto_push is False
    make_invoice(org, send=True)
    make_invoice(org, send=True)
    resp = _post(admin_client, connection, "auto-push", {"auto_push": "1"})
    assert reload(connection).auto_push is True
    html = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "2 record(s) held while it was off are still held" in html
    assert 'id="held-offer"' in html and "Push all held (2)" in html
    # switching on pushes nothing by itself; new invoices go at once again
    assert [r.status for r in _fresh("invoice")] == ["held", "held"]
    make_invoice(org, send=True)
    assert [r.status for r in _fresh("invoice")] == ["held", "held", "pending"]
    drain(app)
    assert len(LEDGER.invoices()) == 1


def test_the_reconciliation_pass_switch_is_the_same_switch(app, admin_client, org, db,
                                                           connection):
    url = f"/settings/integrations/connections/{connection.id}/reconciliation"
    assert 'id="auto-push" value="1" checked' in admin_client.get(url).get_data(as_text=True)
    admin_client.post(url, data={"csrf_token": csrf_token(admin_client, url)})  # unticked
    assert reload(connection).auto_push is False
    make_invoice(org, send=True)
    assert _fresh("invoice")[0].status == "held"


def test_tile_shows_automatic_push_off(admin_client, org, db, held_connection):
    html = admin_client.get(f"/settings/integrations?business_unit={org.business_unit_ids[0]}"
                            ).get_data(as_text=True)
    assert "Automatic push off" in html


def test_controls_are_admin_only_and_need_the_csrf_token(app, member_client, admin_client, org,
                                                         db, held_connection):
    make_invoice(org, send=True)
    (record,) = records("invoice")
    base = _manage(held_connection)
    member_token = {"csrf_token": csrf_token(member_client, "/invoices/")}
    for action in ("auto-push", "held/push", "pause", "resume"):
        assert member_client.post(f"{base}/{action}", data=member_token).status_code == 403
        assert admin_client.post(f"{base}/{action}", data={"auto_push": "1"}).status_code == 400
    assert member_client.post(f"/sync/records/{record.id}/push",
                              data=member_token).status_code == 403
    assert admin_client.post(f"/sync/records/{record.id}/push").status_code == 400
    assert (reload(held_connection).auto_push, reload(held_connection).is_paused) == \
        (False, False)
    assert reload(record).status == "held"


def test_reconnecting_the_same_company_keeps_the_switch_and_what_is_held(app, admin_client,
                                                                        org, db):
    import sqlalchemy as sa

    from host.integrations.testing import connect_via_oauth
    from host.models import Connection

    bu = org.business_unit_ids[0]

    def connect():
        connect_via_oauth(app, admin_client, "fakeprovider", bu, consent=fakeledger.consent)
        db.session.expire_all()
        conn = db.session.scalars(sa.select(Connection).where(Connection.business_unit_id == bu)
                                  .order_by(Connection.id.desc())).first()
        setup = f"/settings/integrations/connections/{conn.id}/setup"
        admin_client.post(setup, data={"csrf_token": csrf_token(admin_client, setup),
                                       "default_item": "1", "action": "finish"})
        return conn

    first = connect()
    _post(admin_client, first, "auto-push", {})
    make_invoice(org, send=True)
    url = _manage(first)
    admin_client.post(f"{url}/disconnect", data={"csrf_token": csrf_token(admin_client, url)})
    second = connect()
    assert second.id != first.id and reload(second).auto_push is False
    assert [(r.connection_id, r.status) for r in _fresh("invoice")] == [(second.id, "held")]
