"""Pending OAuth authorizations live server-side, are spent once and expire."""

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
