"""A replayed OAuth callback (the session cookie from before the callback, a double click, a
browser retry) must not spend the authorization code again: QuickBooks answers a second use of
a code by revoking the grant, which would leave the fresh connection needing re-authorization."""

from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from host.integrations.testing import csrf_token
from psa_quickbooks.sandbox import DEFAULT_REALMS


def consent(authorize_url: str, realm: str) -> str:
    """Authorize at the sandbox's consent screen; returns the callback URL it redirects to."""
    resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": realm})
    assert resp.status_code in (302, 303), resp.text
    return resp.headers["Location"]


def start(client, bu_id: int) -> str:
    token = csrf_token(client, f"/settings/integrations?business_unit={bu_id}")
    resp = client.post("/oauth/quickbooks/start",
                       data={"business_unit": bu_id, "csrf_token": token})
    assert resp.status_code in (302, 303), resp.get_data(True)
    return resp.headers["Location"]


def connections(app, bu_id):
    with app.app_context():
        from host.extensions import db
        from host.models import Connection

        return [(c.status, c.tenant_id) for c in db.session.scalars(
            sa.select(Connection).where(Connection.business_unit_id == bu_id))]


def code_exchanges(qbo) -> int:
    return sum(1 for r in qbo.requests("/oauth2/v1/tokens/bearer", "POST")
               if "grant_type=authorization_code" in r["body"])


def test_callback_replayed_with_the_old_session_cookie_spends_the_code_once(app, admin_client,
                                                                           org, qbo):
    bu = org.business_unit_ids[0]
    realm = DEFAULT_REALMS["us"]
    callback = urlsplit(consent(start(admin_client, bu), realm))
    cookie = admin_client.get_cookie("psa_session")
    before_callback = cookie.value

    first = admin_client.get(f"{callback.path}?{callback.query}")
    assert first.status_code == 302 and "/setup" in first.headers["Location"]

    admin_client.set_cookie("psa_session", before_callback, domain=cookie.domain,
                            path=cookie.path)
    replay = admin_client.get(f"{callback.path}?{callback.query}")
    again = admin_client.get(f"{callback.path}?{callback.query}")

    for resp in (replay, again):
        assert resp.status_code == 409
        assert "already used" in resp.get_data(as_text=True)
    assert code_exchanges(qbo) == 1
    assert connections(app, bu) == [("connected", realm)]
    # the grant QuickBooks issued for that code was not revoked: its token still reads the company
    resp = httpx.get(f"{qbo.url}/v3/company/{realm}/companyinfo/{realm}",
                     headers={"Authorization": f"Bearer {access_token(app, bu)}",
                              "Accept": "application/json"})
    assert resp.status_code == 200, resp.text


def access_token(app, bu_id) -> str:
    with app.app_context():
        from host.extensions import db
        from host.models import Connection
        from host.security.crypto import decrypt_tokens

        conn = db.session.scalars(sa.select(Connection).filter_by(business_unit_id=bu_id)).one()
        return decrypt_tokens(conn.token_ciphertext)["access_token"]
