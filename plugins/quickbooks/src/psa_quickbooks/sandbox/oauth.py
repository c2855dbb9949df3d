"""OAuth 2.0 / OpenID Connect endpoints of the sandbox (reference 1).

=====================================================  =======================================
GET  /.well-known/openid-configuration                 discovery (also ``openid_sandbox_configuration``
                                                       and ``openid_configuration``, with or without ``/``)
GET  /connect/oauth2                                   consent page with company picker
POST /connect/oauth2                                   Authorize (redirect with code, state, realmId)
                                                       or Cancel (``error=access_denied``)
POST /oauth2/v1/tokens/bearer                          authorization_code and refresh_token grants
POST /oauth2/v1/tokens/revoke                          revoke a refresh or access token
GET  /v1/openid_connect/userinfo                       user info for a bearer token with ``openid``
GET  /op/v1/jwks                                       the key that signs ``id_token``
=====================================================  =======================================

Token, revoke and userinfo responses carry an ``intuit_tid`` header, as Intuit's do.
"""
from __future__ import annotations

import base64
import binascii
import hmac
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, current_app, jsonify, redirect, render_template, request

from .control import faults_tid
from .idtoken import USER_SUB, id_token, openid_granted
from .tokens import OAuthError

bp = Blueprint("qbo_oauth", __name__)
ACCOUNTING = "com.intuit.quickbooks.accounting"
KNOWN_SCOPES = {ACCOUNTING, "com.intuit.quickbooks.payment", "openid", "profile", "email", "phone",
                "address", "intuit_name"}


def _sandbox():
    return current_app.extensions["qbo_sandbox"]


def _base_url() -> str:
    return (_sandbox().config.get("QBO_PUBLIC_URL") or request.host_url).rstrip("/")


def _issuer() -> str:
    return f"{_base_url()}/op/v1"


@bp.get("/.well-known/openid-configuration")
@bp.get("/.well-known/openid_sandbox_configuration")
@bp.get("/.well-known/openid_sandbox_configuration/")
@bp.get("/.well-known/openid_configuration")
@bp.get("/.well-known/openid_configuration/")
def discovery():
    base = _base_url()
    return jsonify({
        "issuer": _issuer(),
        "authorization_endpoint": f"{base}/connect/oauth2",
        "token_endpoint": f"{base}/oauth2/v1/tokens/bearer",
        "userinfo_endpoint": f"{base}/v1/openid_connect/userinfo",
        "revocation_endpoint": f"{base}/oauth2/v1/tokens/revoke",
        "jwks_uri": f"{base}/op/v1/jwks",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile", "address", "phone"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": ["aud", "exp", "iat", "iss", "realmid", "sub"],
    })


@bp.get("/op/v1/jwks")
def jwks():
    return jsonify(_sandbox().signer.jwks())


def redirect_allowed(client: dict, redirect_uri: str) -> bool:
    if redirect_uri in client.get("redirect_uris", []):
        return True
    if client.get("allow_localhost"):
        parts = urlsplit(redirect_uri or "")
        return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")
    return False


def _with_query(uri: str, params: dict) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode({k: v for k, v in params.items() if v is not None})


@bp.route("/connect/oauth2", methods=["GET", "POST"])
def authorize():
    args = request.values
    client_id, redirect_uri = args.get("client_id", ""), args.get("redirect_uri", "")
    state = args.get("state")
    client = _sandbox().config["QBO_OAUTH_CLIENTS"].get(client_id)
    if client is None:
        return render_template("qbo_sandbox/authorize_error.html",
                               message=f"Unknown client_id {client_id!r}."), 400
    if not redirect_allowed(client, redirect_uri):
        return render_template("qbo_sandbox/authorize_error.html",
                               message=f"The redirect_uri {redirect_uri!r} is not registered for this app."), 400
    if args.get("response_type") != "code":
        return redirect(_with_query(redirect_uri, {"error": "unsupported_response_type", "state": state}))
    scopes = set((args.get("scope") or "").split())
    if not scopes or scopes - KNOWN_SCOPES:
        return redirect(_with_query(redirect_uri, {"error": "invalid_scope", "state": state}))
    companies = _sandbox().state.companies
    if request.method == "GET":
        return render_template("qbo_sandbox/authorize.html", client_id=client_id,
                               redirect_uri=redirect_uri, state=state or "", scope=args.get("scope"),
                               companies=companies, needs_company=bool(scopes & {ACCOUNTING, "com.intuit.quickbooks.payment"}))
    if args.get("action") != "authorize":
        return redirect(_with_query(redirect_uri, {"error": "access_denied", "state": state}))
    realm = args.get("realm_id") or next(iter(companies), "")
    if realm not in companies:
        return render_template("qbo_sandbox/authorize_error.html", message="Choose a company."), 400
    code = _sandbox().tokens.issue_code(client_id, redirect_uri, realm, args.get("scope"))
    _sandbox().persist_tokens()
    params = {"code": code, "state": state}
    if scopes & {ACCOUNTING, "com.intuit.quickbooks.payment"}:
        params["realmId"] = realm
    return redirect(_with_query(redirect_uri, params))


def _authenticate_client() -> str:
    """client_secret_basic or client_secret_post; raises invalid_client (401)."""
    client_id = secret = None
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            client_id, _, secret = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError("invalid_client", status=401)
    else:
        client_id, secret = request.form.get("client_id"), request.form.get("client_secret")
    client = _sandbox().config["QBO_OAUTH_CLIENTS"].get(client_id or "")
    if client is None or not hmac.compare_digest(str(client["client_secret"]), str(secret or "")):
        raise OAuthError("invalid_client", status=401)
    return client_id


@bp.errorhandler(OAuthError)
def _oauth_error(exc: OAuthError):
    return jsonify(exc.body()), exc.status


@bp.after_request
def _transaction_id(response):
    if request.path.startswith(("/oauth2/", "/v1/openid_connect/")):
        response.headers["intuit_tid"] = faults_tid()
    return response


@bp.post("/oauth2/v1/tokens/bearer")
def token():
    client_id = _authenticate_client()
    grant_type = request.form.get("grant_type")
    tokens = _sandbox().tokens
    if grant_type == "authorization_code":
        result = tokens.exchange_code(client_id, request.form.get("code", ""), request.form.get("redirect_uri"))
    elif grant_type == "refresh_token":
        result = tokens.refresh_grant(client_id, request.form.get("refresh_token", ""))
    else:
        raise OAuthError("unsupported_grant_type")
    grant, _ = tokens.check_access(result["access_token"])
    if grant_type == "authorization_code" and openid_granted(grant["scope"]):
        result["id_token"] = id_token(_sandbox().signer, _issuer(), client_id, grant,
                                      _sandbox().clock.now())
    _sandbox().persist_tokens()
    if request.headers.get("x-include-refresh-token-hard-expires-in", "").lower() != "true":
        result.pop("x_refresh_token_hard_expires_in", None)
    response = jsonify(result)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/oauth2/v1/tokens/revoke")
def revoke():
    client_id = _authenticate_client()
    data = request.get_json(silent=True) or request.form
    token_value = data.get("token")
    if not token_value:
        raise OAuthError("invalid_request", "token is required")
    _sandbox().tokens.revoke(client_id, token_value)
    _sandbox().persist_tokens()
    return "", 200


@bp.get("/v1/openid_connect/userinfo")
def userinfo():
    header = request.headers.get("Authorization", "")
    grant, reason = _sandbox().tokens.check_access(header[7:] if header.lower().startswith("bearer ") else "")
    if grant is None:
        return jsonify(error="invalid_token", error_description=reason), 401
    if not openid_granted(grant["scope"]):
        response = jsonify(error="insufficient_scope",
                           error_description="The access token was not granted the openid scope")
        response.headers["WWW-Authenticate"] = 'Bearer error="insufficient_scope", scope="openid"'
        return response, 403
    return jsonify(sub=USER_SUB, email="admin@sandbox.example", emailVerified=True,
                   givenName="Sandbox", familyName="Admin", realmid=grant["realm_id"])
