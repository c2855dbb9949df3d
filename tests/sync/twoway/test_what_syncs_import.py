"""From the "What syncs" card to the ledger's records in the host, with the fake provider and
its ledger: switching customers to "Fake Ledger -> PSA" queues the import (nothing is called
while the admin waits), the worker imports, the card's progress and the "From the ledger" tab
show what came in and what waits with its reason; Retry after the fix imports it; switching
off keeps links and cursor; "Import again" lists from the beginning without duplicates."""

from __future__ import annotations

import re

from host.extensions import db
from host.integrations.testing import csrf_token
from host.models import Client, SyncLink, SyncObjectSetting
from host.sync.queue import drain


def _save(client, conn_id: int, obj: str, **data):
    url = f"/settings/integrations/connections/{conn_id}"
    form = {"csrf_token": csrf_token(client, url), "conflict": "host", "created_after": "",
            **data}
    return client.post(f"{url}/sync-objects/{obj}", data=form)


def _setting(conn_id: int, obj: str) -> SyncObjectSetting:
    db.session.expire_all()
    return db.session.query(SyncObjectSetting).filter_by(connection_id=conn_id,
                                                         object=obj).one()


def test_switching_customers_in_imports_them_and_shows_what_waits(app, org, admin_client,
                                                                  connection, fake_ledger):
    fake_ledger.create_record("customer", {"name": "Initech", "email": "ap@initech.example"})
    nameless = fake_ledger.create_record("customer", {"name": "", "email": "x@y.example"})
    resp = _save(admin_client, connection.id, "customer", direction="in")
    assert resp.status_code == 302
    setting = _setting(connection.id, "customer")
    assert setting.import_status == "running" and setting.seen == 0  # queued, not run
    assert drain(app) >= 1
    setting = _setting(connection.id, "customer")
    assert setting.import_status == "done"
    assert (setting.seen, setting.created, setting.failed) == (2, 1, 1)
    assert [c.name for c in db.session.query(Client).filter_by(organization_id=org.id)] == [
        "Initech"]

    progress = admin_client.get(
        f"/settings/integrations/connections/{connection.id}/sync-objects/progress").get_json()
    assert progress["objects"]["customer"]["status"] == "done"
    assert progress["objects"]["customer"]["percent"] == 100 and progress["running"] is False

    ledger = admin_client.get(f"/settings/integrations/{connection.id}/sync/ledger")
    page = ledger.get_data(as_text=True)
    link = db.session.query(SyncLink).filter_by(external_id=nameless).one()
    assert link.status == "waiting" and link.reason in page

    # the accountant gives it a name; Retry applies the record it waited with, so it waits
    # again until the next change in the ledger brings the name
    fake_ledger.edit_record("customer", nameless, {"name": "Hooli"})
    token = csrf_token(admin_client, f"/settings/integrations/{connection.id}/sync/ledger")
    resp = admin_client.post(
        f"/settings/integrations/{connection.id}/sync/ledger/{link.id}/retry",
        data={"csrf_token": token})
    assert resp.status_code == 302
    assert "is still waiting" in admin_client.get(resp.location).get_data(as_text=True)

    # "Import again" lists everything from the beginning: Hooli comes in, Initech is matched
    url = f"/settings/integrations/connections/{connection.id}/sync-objects/customer/import"
    resp = admin_client.post(url, data={"csrf_token": token})
    assert resp.status_code == 302
    drain(app)
    names = sorted(c.name for c in db.session.query(Client).filter_by(organization_id=org.id))
    assert names == ["Hooli", "Initech"]
    db.session.expire_all()
    assert db.session.get(SyncLink, link.id).status == "linked"


def test_switching_off_keeps_links_and_cursor(app, org, admin_client, connection, fake_ledger):
    fake_ledger.create_record("customer", {"name": "Initech"})
    _save(admin_client, connection.id, "customer", direction="both")
    drain(app)
    cursor = _setting(connection.id, "customer").cursor
    assert cursor
    assert _save(admin_client, connection.id, "customer", direction="off").status_code == 302
    setting = _setting(connection.id, "customer")
    assert setting.direction == "off" and setting.cursor == cursor
    assert db.session.query(SyncLink).filter_by(connection_id=connection.id).count() == 1
    assert drain(app) == 0  # nothing queued by switching off


def test_import_again_needs_an_inbound_direction(app, admin_client, connection):
    url = f"/settings/integrations/connections/{connection.id}"
    token = csrf_token(admin_client, url)
    resp = admin_client.post(f"{url}/sync-objects/customer/import", data={"csrf_token": token})
    assert resp.status_code == 302
    assert "Turn on a direction from the ledger first" in admin_client.get(
        resp.location).get_data(as_text=True)
    assert drain(app) == 0


def test_an_ambiguous_customer_is_linked_to_the_client_the_admin_chooses(
        app, org, admin_client, connection, fake_ledger):
    for name in ("Acme Corp", "Acme Ltd"):
        db.session.add(Client(organization_id=org.id, name=name,
                              billing_email="ap@acme.example"))
    db.session.add(Client(organization_id=org.id, name="Unrelated"))
    db.session.commit()
    fake_ledger.create_record("customer", {"name": "ACME", "email": "ap@acme.example"})
    _save(admin_client, connection.id, "customer", direction="in")
    drain(app)
    link = db.session.query(SyncLink).filter_by(connection_id=connection.id).one()
    assert link.status == "ambiguous"
    base = f"/settings/integrations/{connection.id}/sync/ledger"
    assert f"{base}/{link.id}" in admin_client.get(base).get_data(as_text=True)
    page = admin_client.get(f"{base}/{link.id}").get_data(as_text=True)
    options = {name: cid for cid, name in re.findall(
        r'<option value="(\d+)">([^<(]+?)(?: \(|<)', page)}
    assert set(options) == {"Acme Corp", "Acme Ltd"}  # the matches, not every client
    token = csrf_token(admin_client, f"{base}/{link.id}")
    unrelated = db.session.query(Client).filter_by(name="Unrelated").one()
    for bad in ("", "abc", "-1", str(unrelated.id)):
        resp = admin_client.post(f"{base}/{link.id}/choose",
                                 data={"csrf_token": token, "client_id": bad})
        assert resp.status_code == 400
    resp = admin_client.post(f"{base}/{link.id}/choose",
                             data={"csrf_token": token, "client_id": options["Acme Ltd"]})
    assert resp.status_code == 302
    assert "linked to the client Acme Ltd" in admin_client.get(resp.location).get_data(
        as_text=True)
    db.session.expire_all()
    link = db.session.get(SyncLink, link.id)
    assert link.status == "linked" and link.host_id == int(options["Acme Ltd"])
    assert db.session.query(Client).filter_by(organization_id=org.id).count() == 3
