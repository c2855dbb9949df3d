"""Point 1: OAuth 2.0 the Intuit way."""
import base64
import re
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from psa_quickbooks.sandbox import DEFAULT_REALMS

REDIRECT = "http://127.0.0.1:8765/oauth/quickbooks/callback"
SCOPE = "com.intuit.quickbooks.accounting openid"


def basic(client_id="qbo-demo-client", secret="qbo-demo-secret"):
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def authorize(http, action="authorize", realm=DEFAULT_REALMS["uk"], state="xyz"):
    params = {"client_id": "qbo-demo-client", "response_type": "code", "scope": SCOPE,
              "redirect_uri": REDIRECT, "state": state}
    page = http.get("/connect/oauth2", params=params)
    assert page.status_code == 200
    r = http.post("/connect/oauth2", data={**params, "realm_id": realm, "action": action})
    assert r.status_code == 302
    location = r.headers["location"]
    assert location.startswith(REDIRECT)
    return page.text, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(http, code, **kw):
    return http.post("/oauth2/v1/tokens/bearer", headers=basic(**kw),
                     data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT})


def refresh(http, token, **kw):
    return http.post("/oauth2/v1/tokens/bearer", headers=basic(**kw),
                     data={"grant_type": "refresh_token", "refresh_token": token})


@pytest.fixture
def http(qbo_server):
    with httpx.Client(base_url=qbo_server.url) as client:
        yield client


def test_discovery_documents(http, qbo_server):
    for path in ("/.well-known/openid-configuration", "/.well-known/openid_sandbox_configuration/",
                 "/.well-known/openid_configuration"):
        doc = http.get(path).json()
        assert doc["authorization_endpoint"] == qbo_server.url + "/connect/oauth2"
        assert doc["token_endpoint"].endswith("/oauth2/v1/tokens/bearer")
        assert doc["revocation_endpoint"].endswith("/oauth2/v1/tokens/revoke")
        assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post", "client_secret_basic"]


def test_consent_page_and_code_exchange(http):
    page, params = authorize(http)
    for marker in ('id="company-select"', 'id="authorize"', 'id="cancel"', DEFAULT_REALMS["us"]):
        assert marker in page
    assert params["state"] == "xyz" and params["realmId"] == DEFAULT_REALMS["uk"]
    r = exchange(http, params["code"])
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8726400 and body["refresh_token"].startswith("RT1-")
    assert "x_refresh_token_hard_expires_in" not in body
    api = http.get(f"/v3/company/{DEFAULT_REALMS['uk']}/companyinfo/{DEFAULT_REALMS['uk']}",
                   headers={"Authorization": "Bearer " + body["access_token"]})
    assert api.status_code == 200 and api.json()["CompanyInfo"]["Country"] == "GB"


def test_cancel_redirects_with_access_denied(http):
    _, params = authorize(http, action="cancel")
    assert params == {"error": "access_denied", "state": "xyz"}


def test_unregistered_redirect_uri_is_refused(http):
    r = http.get("/connect/oauth2", params={"client_id": "qbo-demo-client", "response_type": "code",
                                            "scope": SCOPE, "redirect_uri": "https://evil.example/cb"})
    assert r.status_code == 400


def test_client_secret_post_and_bad_client(http):
    _, params = authorize(http)
    bad = exchange(http, params["code"], secret="wrong")
    assert bad.status_code == 401 and bad.json() == {"error": "invalid_client"}
    r = http.post("/oauth2/v1/tokens/bearer", data={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT,
        "client_id": "qbo-demo-client", "client_secret": "qbo-demo-secret"})
    assert r.status_code == 200


def test_code_is_single_use_and_reuse_revokes(http):
    _, params = authorize(http)
    first = exchange(http, params["code"]).json()
    again = exchange(http, params["code"])
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert refresh(http, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_wrong_redirect_uri_and_unknown_grant(http):
    _, params = authorize(http)
    r = http.post("/oauth2/v1/tokens/bearer", headers=basic(), data={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT + "x"})
    assert r.json()["error"] == "invalid_grant"
    r = http.post("/oauth2/v1/tokens/bearer", headers=basic(), data={"grant_type": "password"})
    assert r.json()["error"] == "unsupported_grant_type"


def test_refresh_rotation_and_grace(http, qbo):
    _, params = authorize(http)
    first = exchange(http, params["code"]).json()
    second = refresh(http, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    # the superseded value still works (24 h grace) and hands out the current refresh token
    again = refresh(http, first["refresh_token"]).json()
    assert again["refresh_token"] == second["refresh_token"]
    # once the new value is used, the old one is dead
    third = refresh(http, second["refresh_token"]).json()
    assert refresh(http, first["refresh_token"]).json() == {
        "error_description": "Incorrect or invalid refresh token", "error": "invalid_grant"}
    # grace period runs out on the sandbox clock
    fourth = refresh(http, third["refresh_token"]).json()
    qbo.control("POST", "clock/advance", json={"seconds": 86401})
    assert refresh(http, third["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(http, fourth["refresh_token"]).status_code == 200


def test_hard_expiry_header(http):
    _, params = authorize(http)
    r = http.post("/oauth2/v1/tokens/bearer",
                  headers={**basic(), "x-include-refresh-token-hard-expires-in": "true"},
                  data={"grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT})
    assert r.json()["x_refresh_token_hard_expires_in"] > 150_000_000


def test_access_token_expires_after_3600s(qbo):
    assert qbo.get("preferences").status_code == 200
    qbo.control("POST", "clock/advance", json={"seconds": 3601})
    r = qbo.get("preferences")
    assert r.status_code == 401
    error = r.json()["fault"]["error"][0]
    assert error["code"] == "3200" and "Token expired" in error["detail"]
    assert r.json()["fault"]["type"] == "AUTHENTICATION" and isinstance(r.json()["time"], int)


def test_invalid_token_and_wrong_realm(qbo):
    qbo.token = "nonsense"
    assert qbo.get("preferences").status_code == 401
    us_token = qbo.mint(DEFAULT_REALMS["us"])["access_token"]
    r = httpx.get(qbo.base + f"/v3/company/{DEFAULT_REALMS['uk']}/preferences",
                  headers={"Authorization": "Bearer " + us_token})
    assert r.status_code == 403 and r.json()["fault"]["error"][0]["code"] == "3100"


def test_revoke_disconnects(http):
    _, params = authorize(http)
    tokens = exchange(http, params["code"]).json()
    r = http.post("/oauth2/v1/tokens/revoke", headers={**basic(), "Content-Type": "application/json"},
                  json={"token": tokens["refresh_token"]})
    assert r.status_code == 200
    assert refresh(http, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    api = http.get(f"/v3/company/{params['realmId']}/preferences",
                   headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert api.status_code == 401


def test_userinfo(http):
    _, params = authorize(http)
    tokens = exchange(http, params["code"]).json()
    r = http.get("/v1/openid_connect/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert r.status_code == 200 and re.match(r".+@.+", r.json()["email"])
