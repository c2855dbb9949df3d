"""The host's OAuth flow against the fake ledger over real HTTP."""

import threading

import pytest
import sqlalchemy as sa

import fakeledger
from host.integrations.testing import connect_via_oauth, csrf_token


def connect(app, client, bu_id, allow=True):
    return connect_via_oauth(app, client, "fakeprovider", bu_id, allow=allow,
                             consent=fakeledger.consent)


def statuses(app, bu_id):
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        return [(c.provider_key, c.status) for c in db.session.scalars(
            sa.select(Connection).where(Connection.business_unit_id == bu_id)
            .order_by(Connection.id))]


def test_hook_on_connect_connect_flow_ends_in_setup_wizard(app, admin_client, org):
    bu = org.business_unit_ids[0]
    resp = connect(app, admin_client, bu)
    assert resp.status_code == 302
    assert "/setup" in resp.headers["Location"]
    assert statuses(app, bu) == [("fakeprovider", "connected")]
    page = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Test connection" in page and 'id="run-test"' in page
    tiles = admin_client.get(f"/settings/integrations?business_unit={bu}").get_data(as_text=True)
    assert "Fake Books Inc" in tiles


def test_pkce_challenge_is_sent_and_checked(app, admin_client, org):
    token = csrf_token(admin_client)
    start = admin_client.post("/oauth/fakeprovider/start",
                              data={"business_unit": org.business_unit_ids[0], "csrf_token": token})
    location = start.headers["Location"]
    assert "code_challenge_method=S256" in location and "state=" in location


def test_state_mismatch_is_refused(app, admin_client, org):
    bu = org.business_unit_ids[0]
    resp = connect_via_oauth(app, admin_client, "fakeprovider", bu,
                             consent=lambda url, allow: fakeledger.consent(
                                 url.replace("state=", "state=forged"), allow))
    assert resp.status_code == 400
    assert "could not be verified" in resp.get_data(as_text=True)
    assert statuses(app, bu) == []


def test_access_denied_leaves_the_old_connection_connected(app, admin_client, org):
    bu = org.business_unit_ids[0]
    connect(app, admin_client, bu)
    resp = connect(app, admin_client, bu, allow=False)
    assert resp.status_code == 302
    follow = admin_client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "was cancelled" in follow
    assert statuses(app, bu) == [("fakeprovider", "connected")]


def test_new_connection_replaces_the_old_one_only_when_oauth_completes(app, admin_client, org):
    bu = org.business_unit_ids[0]
    connect(app, admin_client, bu)
    connect(app, admin_client, bu)
    assert statuses(app, bu) == [("fakeprovider", "replaced"), ("fakeprovider", "connected")]
    assert fakeledger.LEDGER.revoked, "the replaced connection's token is revoked"


def test_two_concurrent_callbacks_leave_exactly_one_active_connection(app, org):
    from host.integrations.testing import login

    bu = org.business_unit_ids[0]
    clients = [login(app.test_client(), org.admin_email, org.password) for _ in range(2)]
    callbacks = []
    for c in clients:
        token = csrf_token(c)
        start = c.post("/oauth/fakeprovider/start", data={"business_unit": bu, "csrf_token": token})
        callbacks.append(fakeledger.consent(start.headers["Location"]))
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(i):
        from urllib.parse import urlsplit

        parts = urlsplit(callbacks[i])
        barrier.wait()
        results[i] = clients[i].get(f"{parts.path}?{parts.query}").status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    active = [s for s in statuses(app, bu) if s[1] == "connected"]
    assert len(active) == 1
    assert sorted(results) in ([302, 302], [302, 409])


def test_tenant_picker_when_the_grant_reaches_several_companies(app, admin_client, org):
    fakeledger.LEDGER.tenants = [("t-1", "Fake Books Inc"), ("t-2", "Other Books Ltd")]
    bu = org.business_unit_ids[0]
    resp = connect(app, admin_client, bu)
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Other Books Ltd" in page
    import re

    action = re.search(r'action="(/oauth/fakeprovider/tenant/\d+)"', page).group(1)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = admin_client.post(action, data={"tenant": "t-2", "csrf_token": token})
    assert done.status_code == 302
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        conn = db.session.scalars(sa.select(Connection).filter_by(status="connected")).one()
        assert conn.tenant_name == "Other Books Ltd"


def test_no_token_in_plaintext_in_the_database_file(app, admin_client, org):
    connect(app, admin_client, org.business_unit_ids[0])
    with fakeledger.LEDGER.lock:
        tokens = list(fakeledger.LEDGER.access_tokens) + list(fakeledger.LEDGER.refresh_tokens)
    assert tokens
    with app.app_context():
        from host.extensions import db

        db.session.remove()
        db.engine.dispose()
    path = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    raw = open(path, "rb").read()
    for token in tokens:
        assert token.encode() not in raw


def test_hook_on_disconnect_revokes_wipes_tokens_and_keeps_data(app, admin_client, org):
    bu = org.business_unit_ids[0]
    connect(app, admin_client, bu)
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        cid = db.session.scalars(sa.select(Connection.id)).one()
    token = csrf_token(admin_client, f"/settings/integrations/connections/{cid}")
    resp = admin_client.post(f"/settings/integrations/connections/{cid}/disconnect",
                             data={"csrf_token": token})
    assert resp.status_code == 302
    assert "t-1" in fakeledger.LEDGER.disconnected_tenants
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        conn = db.session.get(Connection, cid)
        assert conn.status == "disconnected" and conn.token_ciphertext is None


def test_reconnect_from_the_banner_keeps_the_connection_and_its_settings(app, admin_client, org):
    from urllib.parse import urlsplit

    from hookspecs import AuthError
    from host.integrations.dispatch import call_owner

    bu = org.business_unit_ids[0]
    connect(app, admin_client, bu)
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        conn = db.session.scalars(sa.select(Connection)).one()
        conn.settings = {"default_item": "2"}
        db.session.commit()
        cid = conn.id
        fakeledger.LEDGER.revoke_all()
        with pytest.raises(AuthError):
            call_owner(conn, "reconcile", cursor=None)
    page = admin_client.get("/settings/integrations").get_data(as_text=True)
    assert "reconnect-banner" in page and f'name="reconnect" value="{cid}"' in page
    start = admin_client.post("/oauth/fakeprovider/start", data={
        "business_unit": bu, "reconnect": cid, "csrf_token": csrf_token(admin_client)})
    parts = urlsplit(fakeledger.consent(start.headers["Location"]))
    done = admin_client.get(f"{parts.path}?{parts.query}")
    assert done.status_code == 302
    assert statuses(app, bu) == [("fakeprovider", "connected")]
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        conn = db.session.get(Connection, cid)
        assert conn.settings == {"default_item": "2"} and conn.status_reason is None
        assert call_owner(conn, "reconcile", cursor=None).cursor
    assert "reconnect-banner" not in admin_client.get("/settings/integrations").get_data(True)


def test_lifecycle_signals_and_active_connection(app, admin_client, org):
    from host.integrations.connections import connection_activated, connection_disconnected
    from host.integrations.registry import active_connection

    seen = []

    def on_activated(sender, replaced):
        seen.append(("activated", sender.id, replaced.id if replaced else None))

    def on_disconnected(sender):
        seen.append(("disconnected", sender.id, None))

    connection_activated.connect(on_activated)
    connection_disconnected.connect(on_disconnected)
    try:
        bu = org.business_unit_ids[0]
        connect(app, admin_client, bu)
        connect(app, admin_client, bu)
        with app.app_context():
            current = active_connection(bu)
            assert current.status == "connected"
            cid = current.id
        admin_client.post(f"/settings/integrations/connections/{cid}/disconnect",
                          data={"csrf_token": csrf_token(admin_client)})
        with app.app_context():
            assert active_connection(bu) is None
    finally:
        connection_activated.disconnect(on_activated)
        connection_disconnected.disconnect(on_disconnected)
    assert seen == [("activated", cid - 1, None), ("activated", cid, cid - 1),
                    ("disconnected", cid, None)]
