"""1. Identity: discovery, consent, code + PKCE, refresh rotation with grace, revocation,
connections, 30-minute access tokens, scopes."""

from __future__ import annotations

import base64
import json

import httpx

from psa_xero.sandbox import NZ_TENANT_ID, UK_TENANT_ID, US_TENANT_ID

from .conftest import FULL_SCOPE, Xero, authorize, pkce_pair

BASIC = {"Authorization": "Basic " + base64.b64encode(b"xero-demo-client:xero-demo-secret").decode()}
REDIRECT = "http://127.0.0.1:9/callback"


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _exchange(base, code, verifier=None, redirect_uri=REDIRECT, headers=BASIC):
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier:
        data["code_verifier"] = verifier
    return httpx.post(f"{base}/connect/token", data=data, headers=headers)


def _refresh(base, token):
    return httpx.post(f"{base}/connect/token", headers=BASIC,
                      data={"grant_type": "refresh_token", "refresh_token": token})


def test_discovery_document_and_jwks(server):
    doc = httpx.get(f"{server.url}/.well-known/openid-configuration").json()
    assert doc["authorization_endpoint"].endswith("/identity/connect/authorize")
    assert doc["token_endpoint"].endswith("/connect/token")
    assert doc["revocation_endpoint"].endswith("/connect/revocation")
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["grant_types_supported"] == ["authorization_code", "refresh_token"]
    keys = httpx.get(doc["jwks_uri"]).json()["keys"]
    assert keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256"


def test_consent_page_lists_every_organisation_with_checkboxes(server):
    page = httpx.get(f"{server.url}/identity/connect/authorize", params={
        "response_type": "code", "client_id": "xero-demo-client", "redirect_uri": REDIRECT,
        "scope": FULL_SCOPE, "state": "s"})
    assert page.status_code == 200
    for tenant in (UK_TENANT_ID, US_TENANT_ID, NZ_TENANT_ID):
        assert f'name="tenant" value="{tenant}"' in page.text
    assert 'id="allow"' in page.text and 'id="deny"' in page.text


def test_authorize_rejects_unknown_client_and_foreign_redirect(server):
    base = {"response_type": "code", "scope": "openid", "state": "s"}
    bad_client = httpx.get(f"{server.url}/identity/connect/authorize",
                           params=dict(base, client_id="nope", redirect_uri=REDIRECT))
    assert bad_client.status_code == 400
    foreign = httpx.get(f"{server.url}/identity/connect/authorize", params=dict(
        base, client_id="xero-demo-client", redirect_uri="https://evil.example/cb"))
    assert foreign.status_code == 400
    localhost = httpx.get(f"{server.url}/identity/connect/authorize", params=dict(
        base, client_id="xero-demo-client", redirect_uri="http://localhost:5000/oauth/cb"))
    assert localhost.status_code == 200


def test_deny_redirects_with_access_denied(server):
    params = authorize(server.url, [UK_TENANT_ID], action="deny", state="xyz")
    assert params == {"error": "access_denied", "state": "xyz"}


def test_code_flow_with_pkce_two_tenants(server):
    verifier, challenge = pkce_pair()
    params = authorize(server.url, [UK_TENANT_ID, US_TENANT_ID], challenge=challenge)
    assert params["state"] == "st-1"
    resp = _exchange(server.url, params["code"], verifier)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["expires_in"] == 1800 and body["token_type"] == "Bearer"
    assert {"id_token", "refresh_token", "scope"} <= set(body)
    claims = _claims(body["access_token"])
    assert claims["exp"] - claims["nbf"] == 1800
    assert "accounting.transactions" in claims["scope"]
    conns = httpx.get(f"{server.url}/connections",
                      headers={"Authorization": f"Bearer {body['access_token']}"})
    assert conns.status_code == 200
    assert "X-AppMinLimit-Remaining" in conns.headers
    assert "X-MinLimit-Remaining" not in conns.headers
    assert sorted(c["tenantId"] for c in conns.json()) == sorted([UK_TENANT_ID, US_TENANT_ID])
    assert {c["authEventId"] for c in conns.json()} == {claims["authentication_event_id"]}
    # the code works once
    assert _exchange(server.url, params["code"], verifier).json() == {"error": "invalid_grant"}


def test_pkce_verifier_is_checked(server):
    _, challenge = pkce_pair()
    params = authorize(server.url, [UK_TENANT_ID], challenge=challenge)
    resp = _exchange(server.url, params["code"], "wrong-verifier-" + "x" * 40)
    assert resp.status_code == 400 and resp.json()["error"] == "invalid_grant"


def test_token_endpoint_client_auth_and_grant_type(server):
    params = authorize(server.url, [UK_TENANT_ID])
    bad = _exchange(server.url, params["code"], headers={"Authorization": "Basic " +
                    base64.b64encode(b"xero-demo-client:wrong").decode()})
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_client"
    post_auth = httpx.post(f"{server.url}/connect/token", data={
        "grant_type": "authorization_code", "code": params["code"], "redirect_uri": REDIRECT,
        "client_id": "xero-demo-client", "client_secret": "xero-demo-secret"})
    assert post_auth.status_code == 200
    odd = httpx.post(f"{server.url}/connect/token", headers=BASIC,
                     data={"grant_type": "password"})
    assert odd.json()["error"] == "unsupported_grant_type"


def test_refresh_rotates_with_thirty_minute_grace(server, mint, control):
    first = mint()["refresh_token"]
    r1 = _refresh(server.url, first)
    assert r1.status_code == 200
    second = r1.json()["refresh_token"]
    assert second != first
    control.post("/clock/advance", json={"seconds": 29 * 60})
    retry = _refresh(server.url, first)  # response lost: the previous token still works
    assert retry.status_code == 200
    control.post("/clock/advance", json={"seconds": 2 * 60})
    late = _refresh(server.url, first)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert _refresh(server.url, second).status_code == 200


def test_access_token_expires_after_thirty_minutes(server, mint, control):
    client = Xero(server.url, mint()["access_token"])
    assert client.get("Organisation").status_code == 200
    control.post("/clock/advance", json={"seconds": 1801})
    resp = client.get("Organisation")
    assert resp.status_code == 401
    body = resp.json()
    assert body["Title"] == "Unauthorized" and body["Detail"].startswith("TokenExpired: ")


def test_revocation_removes_grant_tokens_and_connections(server, mint):
    tokens = mint()
    resp = httpx.post(f"{server.url}/connect/revocation",
                      data={"token": tokens["refresh_token"], "client_id": "xero-demo-client",
                            "client_secret": "xero-demo-secret"})
    assert resp.status_code == 200
    assert _refresh(server.url, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert Xero(server.url, tokens["access_token"]).get("Organisation").status_code == 401


def test_delete_connection_only_removes_that_tenant(server, mint):
    tokens = mint(tenants=[UK_TENANT_ID, US_TENANT_ID])
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    uk = next(c for c in tokens["connections"] if c["tenantId"] == UK_TENANT_ID)
    assert httpx.delete(f"{server.url}/connections/{uk['id']}", headers=auth).status_code == 204
    assert httpx.delete(f"{server.url}/connections/{uk['id']}", headers=auth).status_code == 404
    left = httpx.get(f"{server.url}/connections", headers=auth).json()
    assert [c["tenantId"] for c in left] == [US_TENANT_ID]
    assert Xero(server.url, tokens["access_token"]).get("Organisation").status_code == 403
    us = Xero(server.url, tokens["access_token"], tenant=US_TENANT_ID)
    assert us.get("Organisation").status_code == 200


def test_connections_filter_by_auth_event(server, mint):
    first = mint(tenants=[UK_TENANT_ID])
    second = mint(tenants=[NZ_TENANT_ID])
    auth = {"Authorization": f"Bearer {second['access_token']}"}
    every = httpx.get(f"{server.url}/connections", headers=auth).json()
    assert {c["tenantId"] for c in every} == {UK_TENANT_ID, NZ_TENANT_ID}
    only = httpx.get(f"{server.url}/connections", headers=auth,
                     params={"authEventId": first["auth_event_id"]}).json()
    assert [c["tenantId"] for c in only] == [UK_TENANT_ID]


def test_scopes_are_enforced_broad_and_granular(server, mint):
    contacts_only = Xero(server.url, mint("offline_access accounting.contacts")["access_token"])
    assert contacts_only.get("Contacts").status_code == 200
    denied = contacts_only.get("Invoices")
    assert denied.status_code == 403 and denied.json()["Detail"] == "AuthenticationUnsuccessful"
    read_only = Xero(server.url, mint("accounting.transactions.read accounting.contacts")[
        "access_token"])
    assert read_only.get("Invoices").status_code == 200
    assert read_only.put("Invoices", {"Invoices": []}).status_code == 403
    granular = Xero(server.url, mint("accounting.invoices accounting.payments.read "
                                     "accounting.contacts accounting.settings.read")["access_token"])
    assert granular.get("Invoices").status_code == 200
    assert granular.get("Payments").status_code == 200
    assert granular.get("Items").status_code == 200
    assert granular.put("Payments", {"Payments": []}).status_code == 403


def test_wrong_or_missing_tenant_header_is_403(server, mint):
    client = Xero(server.url, mint(tenants=[UK_TENANT_ID])["access_token"])
    assert client.get("Organisation", tenant=US_TENANT_ID).status_code == 403
    resp = client.http.get("/api.xro/2.0/Organisation",
                           headers={"Authorization": f"Bearer {client.token}"})
    assert resp.status_code == 403 and resp.json()["Title"] == "Forbidden"


def test_scopes_add_up_across_consents(server):
    first = authorize(server.url, [UK_TENANT_ID], scope="offline_access accounting.contacts")
    _exchange(server.url, first["code"])
    second = authorize(server.url, [UK_TENANT_ID], scope="offline_access accounting.settings")
    token = _exchange(server.url, second["code"]).json()
    assert {"accounting.contacts", "accounting.settings"} <= set(token["scope"].split())
    client = Xero(server.url, token["access_token"])
    assert client.get("Contacts").status_code == 200
    assert client.get("Organisation").status_code == 200
