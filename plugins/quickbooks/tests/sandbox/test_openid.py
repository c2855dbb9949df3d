"""OpenID Connect the Intuit way: a verifiable id_token, userinfo only with openid, intuit_tid."""
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from intuitlib.utils import validate_id_token

from psa_quickbooks.sandbox import DEFAULT_REALMS

from .test_oauth import REDIRECT, basic, exchange

UK = DEFAULT_REALMS["uk"]


@pytest.fixture
def http(qbo_server):
    with httpx.Client(base_url=qbo_server.url) as client:
        yield client


def code_for(http, scope: str) -> str:
    params = {"client_id": "qbo-demo-client", "response_type": "code", "scope": scope,
              "redirect_uri": REDIRECT, "state": "s"}
    r = http.post("/connect/oauth2", data={**params, "realm_id": UK, "action": "authorize"})
    assert r.status_code == 302
    return parse_qs(urlsplit(r.headers["location"]).query)["code"][0]


def test_openid_code_exchange_returns_an_id_token_intuit_oauth_validates(http):
    r = exchange(http, code_for(http, "com.intuit.quickbooks.accounting openid"))
    assert r.status_code == 200
    id_token = r.json()["id_token"]
    discovery = http.get("/.well-known/openid_sandbox_configuration/").json()
    # intuit-oauth's own check: iss, aud[0], exp, then the RS256 signature with the JWKS key (kid)
    assert validate_id_token(id_token, "qbo-demo-client", discovery["issuer"], discovery["jwks_uri"])
    header = jwt.get_unverified_header(id_token)
    keys = http.get("/op/v1/jwks").json()["keys"]
    assert header["alg"] == "RS256" and [k["kid"] for k in keys] == [header["kid"]]
    claims = jwt.decode(id_token, jwt.PyJWK(keys[0]).key, algorithms=["RS256"],
                        audience="qbo-demo-client", issuer=discovery["issuer"])
    assert claims["realmid"] == UK and claims["aud"] == ["qbo-demo-client"]
    assert claims["exp"] - claims["iat"] == 3600 and claims["sub"]
    userinfo = http.get("/v1/openid_connect/userinfo",
                        headers={"Authorization": "Bearer " + r.json()["access_token"]})
    assert userinfo.status_code == 200 and userinfo.json()["sub"] == claims["sub"]


def test_without_openid_no_id_token_and_userinfo_refused(http):
    r = exchange(http, code_for(http, "com.intuit.quickbooks.accounting"))
    assert r.status_code == 200 and "id_token" not in r.json()
    userinfo = http.get("/v1/openid_connect/userinfo",
                        headers={"Authorization": "Bearer " + r.json()["access_token"]})
    assert userinfo.status_code == 403
    assert userinfo.json()["error"] == "insufficient_scope"
    refreshed = http.post("/oauth2/v1/tokens/bearer", headers=basic(),
                          data={"grant_type": "refresh_token", "refresh_token": r.json()["refresh_token"]})
    assert refreshed.status_code == 200 and "id_token" not in refreshed.json()


def test_every_token_endpoint_answer_carries_intuit_tid(http):
    tokens = exchange(http, code_for(http, "com.intuit.quickbooks.accounting"))
    refused = exchange(http, "not-a-code")
    bad_client = exchange(http, "not-a-code", secret="wrong")
    revoked = http.post("/oauth2/v1/tokens/revoke", headers=basic(),
                        json={"token": tokens.json()["refresh_token"]})
    answers = [tokens, refused, bad_client, revoked]
    assert [a.status_code for a in answers] == [200, 400, 401, 200]
    tids = [a.headers.get("intuit_tid") for a in answers]
    assert all(tids) and len(set(tids)) == len(tids)
