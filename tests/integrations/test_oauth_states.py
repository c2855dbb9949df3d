"""Pending OAuth authorizations live server-side, are spent once and expire."""

import threading
from datetime import timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa

import fakeledger
from host.integrations.testing import csrf_token


def pending(app):
    with app.app_context():
        from host.extensions import db
        from host.models import OAuthAuthorization

        return db.session.scalars(sa.select(OAuthAuthorization)).all()


def test_an_authorization_abandoned_past_its_lifetime_is_refused_and_deleted(app, admin_client,
                                                                             org):
    bu = org.business_unit_ids[0]
    token = csrf_token(admin_client, f"/settings/integrations?business_unit={bu}")
    start = admin_client.post("/oauth/fakeprovider/start",
                              data={"business_unit": bu, "csrf_token": token})
    callback = fakeledger.consent(start.headers["Location"], allow=True)
    with app.app_context():
        from host.extensions import db
        from host.integrations.oauth_states import TTL
        from host.models import OAuthAuthorization

        db.session.execute(sa.update(OAuthAuthorization).values(
            created_at=OAuthAuthorization.created_at - TTL - timedelta(seconds=1)))
        db.session.commit()
    parts = urlsplit(callback)
    resp = admin_client.get(f"{parts.path}?{parts.query}")
    assert resp.status_code == 400
    assert "could not be verified" in resp.get_data(as_text=True)
    assert pending(app) == []
    page = admin_client.get(f"/settings/integrations?business_unit={bu}").get_data(as_text=True)
    assert "Fake Books Inc" not in page  # nothing was connected


def test_a_double_clicked_callback_is_exchanged_once(app, admin_client, org):
    """Two requests for the same callback at the same moment, with the same session cookie:
    one finishes the connection, the other is told the authorization was already used."""
    bu = org.business_unit_ids[0]
    token = csrf_token(admin_client, f"/settings/integrations?business_unit={bu}")
    start = admin_client.post("/oauth/fakeprovider/start",
                              data={"business_unit": bu, "csrf_token": token})
    parts = urlsplit(fakeledger.consent(start.headers["Location"], allow=True))
    cookie = admin_client.get_cookie("psa_session")
    clients = [admin_client, app.test_client()]
    clients[1].set_cookie("psa_session", cookie.value, domain=cookie.domain, path=cookie.path)
    barrier = threading.Barrier(2, timeout=10)
    answers = [None, None]

    def callback(i):
        barrier.wait()
        answers[i] = clients[i].get(f"{parts.path}?{parts.query}")

    threads = [threading.Thread(target=callback, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(a.status_code for a in answers) == [302, 409]
    (used,) = [a for a in answers if a.status_code == 409]
    assert "already used" in used.get_data(as_text=True)
    (done,) = [a for a in answers if a.status_code == 302]
    assert done.headers["Location"].endswith("/setup")
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        assert [c.status for c in db.session.scalars(sa.select(Connection))] == ["connected"]
