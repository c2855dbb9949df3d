"""Token refresh: before expiry, once on 401, serialized across workers, needs_reauth when
refused for good (Reconnect banner, pending work waits)."""

import threading

import pytest

import fakeledger
from hookspecs import AuthError
from host.integrations.dispatch import call_owner
from host.integrations.handle import handle_for


def ledger_tokens(ttl=3600):
    with fakeledger.LEDGER.lock:
        fakeledger.LEDGER.access_ttl = ttl
        tokens = fakeledger.LEDGER.issue_tokens()
        fakeledger.LEDGER.access_ttl = 3600
    return tokens


def stored_tokens(db, conn):
    from host.security.crypto import decrypt_tokens

    db.session.refresh(conn)
    return decrypt_tokens(conn.token_ciphertext)


def test_expired_token_is_refreshed_before_the_call(connection_factory, db):
    conn = connection_factory(tokens=ledger_tokens(ttl=0), expires_in=0)
    info = call_owner(conn, "on_connect", callback_params={})
    assert info.tenants
    assert fakeledger.LEDGER.refresh_calls == 1
    stored = stored_tokens(db, conn)
    assert stored["refresh_token"] in fakeledger.LEDGER.refresh_tokens
    assert conn.token_version == 1


def test_a_401_triggers_one_refresh_and_a_retry(connection_factory, db):
    conn = connection_factory(tokens=ledger_tokens())
    with fakeledger.LEDGER.lock:
        fakeledger.LEDGER.access_tokens.clear()  # the provider forgot the access token
    assert call_owner(conn, "on_connect", callback_params={}).tenants
    assert fakeledger.LEDGER.refresh_calls == 1


def test_concurrent_refreshes_keep_the_newest_refresh_token(connection_factory, db, app):
    conn = connection_factory(tokens=ledger_tokens(ttl=0), expires_in=0)
    handles = [handle_for(conn) for _ in range(4)]
    barrier = threading.Barrier(len(handles))
    errors = []

    def work(handle):
        with app.app_context():
            barrier.wait()
            try:
                handle.http.get(f"{fakeledger.serve()}/api/tenants")
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                handle.close()

    threads = [threading.Thread(target=work, args=(h,)) for h in handles]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert fakeledger.LEDGER.refresh_calls == 1, "one refresh, the others reused its result"
    stored = stored_tokens(db, conn)
    assert stored["refresh_token"] in fakeledger.LEDGER.refresh_tokens
    # the stored refresh token still works: the customer stays connected
    assert call_owner(conn, "on_connect", callback_params={}).tenants


def test_refresh_refused_for_good_sets_needs_reauth_and_shows_the_banner(
        connection_factory, db, admin_client):
    conn = connection_factory(tokens=ledger_tokens(ttl=0), expires_in=0)
    fakeledger.LEDGER.revoke_all()
    with pytest.raises(AuthError):
        call_owner(conn, "on_connect", callback_params={})
    db.session.refresh(conn)
    assert conn.status == "needs_reauth"
    assert "refused" in conn.status_reason
    page = admin_client.get("/settings/integrations").get_data(as_text=True)
    assert "needs to be reconnected" in page and "reconnect-banner" in page


def test_hook_reconcile_waits_with_auth_error_while_needs_reauth(connection_factory, db):
    conn = connection_factory(tokens=ledger_tokens(), status="needs_reauth")
    with pytest.raises(AuthError):
        call_owner(conn, "reconcile", cursor=None)
    assert fakeledger.LEDGER.requests == 0


def test_waiter_reuses_the_token_of_the_lease_holder_and_stale_leases_expire(
        connection_factory, db, app, org):
    from datetime import timedelta

    from host.integrations import oauth
    from host.models.mixins import utcnow
    from host.security.crypto import encrypt_tokens, token_box

    conn = connection_factory(tokens=ledger_tokens(ttl=0), expires_in=0)
    conn.token_refresh_lease_until = utcnow() + timedelta(seconds=30)  # another worker refreshes
    db.session.commit()
    meta = app.extensions["psa_registry"]["fakeprovider"].oauth

    def other_worker_finishes(_seconds):
        with db.engine.begin() as c:
            c.execute(conn.__table__.update().values(
                token_ciphertext=encrypt_tokens({"access_token": "from-other", "refresh_token": "r2"}),
                token_version=1, token_refresh_lease_until=None))

    tokens, version = oauth.refresh_serialized(db.engine, token_box(), meta, conn.id, 0,
                                               sleep=other_worker_finishes)
    assert (tokens["access_token"], version) == ("from-other", 1)
    assert fakeledger.LEDGER.refresh_calls == 0

    stale = connection_factory(business_unit_id=org.business_unit_ids[1],
                               tokens=ledger_tokens(ttl=0), expires_in=0)
    stale.token_refresh_lease_until = utcnow() - timedelta(seconds=1)  # its holder crashed
    db.session.commit()
    tokens, version = oauth.refresh_serialized(db.engine, token_box(), meta, stale.id, 0)
    assert version == 1 and fakeledger.LEDGER.refresh_calls == 1
    db.session.refresh(stale)
    assert stale.token_refresh_lease_until is None


def test_unreachable_token_endpoint_is_retryable_and_keeps_the_connection(
        connection_factory, db, app):
    import dataclasses

    from hookspecs import ProviderDown
    from host.integrations import oauth
    from host.security.crypto import token_box

    conn = connection_factory(tokens=ledger_tokens(ttl=0), expires_in=0)
    meta = dataclasses.replace(app.extensions["psa_registry"]["fakeprovider"].oauth,
                               token_url="http://127.0.0.1:9/token")
    with pytest.raises(ProviderDown):
        oauth.refresh_serialized(db.engine, token_box(), meta, conn.id, 0)
    db.session.refresh(conn)
    assert conn.status == "connected" and conn.token_refresh_lease_until is None
