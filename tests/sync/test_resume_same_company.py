"""Disconnect, then connect the same company again: the new connection resumes the old one's
links (issue 4, point 7), so voids, edits and payments of invoices pushed before still find
their provider copies and nothing is pushed or recorded twice."""

import sqlalchemy as sa

import fakeledger
from synchelpers import make_invoice, records

from host.integrations.testing import connect_via_oauth, csrf_token
from host.models import Connection
from host.services.invoicing import void_invoice
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


def _connect(app, admin_client, bu) -> Connection:
    from host.extensions import db

    resp = connect_via_oauth(app, admin_client, "fakeprovider", bu, consent=fakeledger.consent)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    conn = db.session.scalars(sa.select(Connection).where(Connection.business_unit_id == bu)
                              .order_by(Connection.id.desc())).first()
    setup = f"/settings/integrations/connections/{conn.id}/setup"
    admin_client.post(setup, data={"csrf_token": csrf_token(admin_client, setup),
                                   "default_item": "1", "action": "finish"})
    db.session.expire_all()
    return conn


def test_reconnecting_the_same_company_resumes_links_and_history(app, admin_client, org, db):
    bu = org.business_unit_ids[0]
    first = _connect(app, admin_client, bu)
    invoice = make_invoice(org, amount="250.00", send=True)
    db.session.commit()
    drain(app)
    (pushed,) = records("invoice")
    assert pushed.status == "synced" and pushed.connection_id == first.id
    refs_before = db.session.execute(sa.text(
        "SELECT count(*) FROM external_refs WHERE connection_id = :c"), {"c": first.id}).scalar()

    url = f"/settings/integrations/connections/{first.id}"
    admin_client.post(f"{url}/disconnect", data={"csrf_token": csrf_token(admin_client, url)})
    second = _connect(app, admin_client, bu)
    assert second.id != first.id and second.status == "connected"
    db.session.refresh(pushed)
    assert pushed.connection_id == second.id, "the pushed invoice's record moved over"
    assert second.settings["default_item"] == "1"
    assert "resumed by connection" in db.session.get(Connection, first.id).status_reason
    moved = db.session.execute(sa.text(
        "SELECT count(*) FROM external_refs WHERE connection_id = :c"), {"c": second.id}).scalar()
    assert moved == refs_before > 0

    void_invoice(db.session.merge(invoice))
    db.session.commit()
    drain(app)
    voids = records("invoice_void")
    assert [(r.status, r.connection_id) for r in voids] == [("synced", second.id)]
    assert len(LEDGER.invoices()) == 1 and LEDGER.invoices()[0].get("voided")


def test_another_company_starts_fresh(app, admin_client, org, db):
    bu = org.business_unit_ids[0]
    first = _connect(app, admin_client, bu)
    make_invoice(org, send=True)
    db.session.commit()
    drain(app)
    url = f"/settings/integrations/connections/{first.id}"
    admin_client.post(f"{url}/disconnect", data={"csrf_token": csrf_token(admin_client, url)})
    with app.app_context():
        db.session.execute(sa.update(Connection).where(Connection.id == first.id)
                           .values(tenant_id="another-company"))
        db.session.commit()
    second = _connect(app, admin_client, bu)
    (pushed,) = records("invoice")
    assert pushed.connection_id == first.id
    assert second.status == "connected"
