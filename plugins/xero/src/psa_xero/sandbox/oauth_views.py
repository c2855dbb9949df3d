"""Identity routes: discovery, JWKS, authorize + consent screen, token, revocation, userinfo,
and the tenant-less ``/connections`` endpoints.

Paths follow the real hosts (login.xero.com, identity.xero.com, api.xero.com) on one app.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, current_app, g, jsonify, redirect, render_template, request

from . import errors as E
from .identity import pkce_ok, scope_known

bp = Blueprint("xero_identity", __name__)


def sandbox():
    return current_app.extensions["xero_sandbox"]


def _redirect_allowed(client: dict, uri: str) -> bool:
    if uri in client.get("redirect_uris", []):
        return True
    if not client.get("allow_localhost"):
        return False
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost")


def _with_query(uri: str, params: dict) -> str:
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


@bp.get("/.well-known/openid-configuration")
def discovery():
    base = request.host_url.rstrip("/")
    return jsonify({
        "issuer": base,
        "authorization_endpoint": f"{base}/identity/connect/authorize",
        "token_endpoint": f"{base}/connect/token",
        "userinfo_endpoint": f"{base}/connect/userinfo",
        "revocation_endpoint": f"{base}/connect/revocation",
        "jwks_uri": f"{base}/.well-known/openid-configuration/jwks",
        "scopes_supported": sorted(sandbox().known_scopes()),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": ["sub", "email", "given_name", "family_name", "xero_userid",
                             "global_session_id", "authentication_event_id"],
    })


@bp.get("/.well-known/openid-configuration/jwks")
def jwks():
    return jsonify(sandbox().signer.jwks())


def _authorize_params(source) -> tuple[dict, Response | None]:
    sb = sandbox()
    params = {k: source.get(k, "") for k in ("response_type", "client_id", "redirect_uri",
                                             "scope", "state", "code_challenge",
                                             "code_challenge_method")}
    client = sb.state.clients.get(params["client_id"])
    if client is None:
        return params, Response("Unknown client or client not enabled (unauthorized_client)",
                                status=400, mimetype="text/plain")
    if not _redirect_allowed(client, params["redirect_uri"]):
        return params, Response("Invalid redirect_uri (invalid_request)", status=400,
                                mimetype="text/plain")
    error = None
    scopes = params["scope"].split()
    if params["response_type"] != "code":
        error = "unsupported_response_type"
    elif not scopes or not all(scope_known(s) for s in scopes):
        error = "invalid_scope"
    elif params["code_challenge"] and params["code_challenge_method"] != "S256":
        error = "invalid_request"
    if error:
        target = _with_query(params["redirect_uri"], {"error": error, "state": params["state"]})
        return params, redirect(target)
    return params, None


@bp.get("/identity/connect/authorize")
def authorize():
    params, failure = _authorize_params(request.args)
    if failure:
        return failure
    sb = sandbox()
    orgs = [org["organisation"] for org in sb.state.orgs.values()]
    client = sb.state.clients[params["client_id"]]
    return render_template("xero_sandbox/consent.html", params=params, orgs=orgs,
                           client=client, scopes=params["scope"].split(), error=None)


@bp.post("/identity/connect/authorize")
def authorize_decision():
    params, failure = _authorize_params(request.form)
    if failure:
        return failure
    sb = sandbox()
    if request.form.get("action") != "allow":
        return redirect(_with_query(params["redirect_uri"],
                                    {"error": "access_denied", "state": params["state"]}))
    tenants = [t for t in request.form.getlist("tenant") if t in sb.state.orgs]
    scopes = params["scope"].split()
    if not tenants:
        orgs = [org["organisation"] for org in sb.state.orgs.values()]
        return render_template("xero_sandbox/consent.html", params=params, orgs=orgs,
                               client=sb.state.clients[params["client_id"]], scopes=scopes,
                               error="Select at least one organisation."), 400
    with sb.state.lock:
        grant, auth_event = sb.identity.consent(params["client_id"], scopes, tenants)
        code = sb.identity.new_code(grant, auth_event, params["redirect_uri"], scopes,
                                    params["code_challenge"] or None,
                                    params["code_challenge_method"] or None)
        sb.state.save()
    return redirect(_with_query(params["redirect_uri"], {
        "code": code, "scope": " ".join(scopes), "state": params["state"],
        "session_state": secrets.token_urlsafe(16)}))


def _client_credentials() -> tuple[str | None, str | None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("basic "):
        try:
            raw = base64.b64decode(header[6:].strip()).decode()
            client_id, _, secret = raw.partition(":")
            return client_id, secret
        except (binascii.Error, UnicodeDecodeError):
            return None, None
    return request.form.get("client_id"), request.form.get("client_secret")


def _authenticate_client():
    client_id, secret = _client_credentials()
    client = sandbox().state.clients.get(client_id or "")
    if client is None or not secrets.compare_digest(client["secret"], secret or ""):
        return None
    return client


@bp.post("/connect/token")
def token():
    sb = sandbox()
    client = _authenticate_client()
    if client is None:
        return E.oauth_error("invalid_client", status=400)
    grant_type = request.form.get("grant_type")
    with sb.state.lock:
        if grant_type == "authorization_code":
            code = sb.state.codes.get(request.form.get("code", ""))
            if (code is None or code["used"] or code["client_id"] != client["client_id"]
                    or code["expires"] < sb.state.clock.now()):
                return E.oauth_error("invalid_grant")
            code["used"] = True
            if code["redirect_uri"] != request.form.get("redirect_uri"):
                return E.oauth_error("invalid_grant", "redirect_uri does not match")
            if not pkce_ok(request.form.get("code_verifier"), code["challenge"], code["method"]):
                return E.oauth_error("invalid_grant", "invalid code_verifier")
            grant = sb.state.grants.get(code["grant_id"])
            if grant is None:
                return E.oauth_error("invalid_grant")
            # scopes add up across consents (Xero's Scopes page); a token carries them all
            scopes = sorted(set(code["scopes"]) | set(grant["scopes"]))
            body = sb.identity.issue(grant, code["auth_event"], scopes)
        elif grant_type == "refresh_token":
            body = sb.identity.refresh(client["client_id"], request.form.get("refresh_token", ""))
            if body is None:
                return E.oauth_error("invalid_grant")
        else:
            return E.oauth_error("unsupported_grant_type")
        sb.state.save()
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.post("/connect/revocation")
def revocation():
    sb = sandbox()
    client = _authenticate_client()
    if client is None:
        return E.oauth_error("invalid_client", status=400)
    with sb.state.lock:
        sb.identity.revoke(client["client_id"], request.form.get("token", ""))
        sb.state.save()
    return Response(status=200)  # RFC 7009: 200 even for an unknown token


def _bearer():
    sb = sandbox()
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None, E.unauthorized()
    record, problem = sb.identity.access(header[7:].strip())
    if record is None:
        return None, E.unauthorized(problem)
    g.client_id = record["client_id"]
    return record, None


@bp.get("/connect/userinfo")
def userinfo():
    from .state import DEMO_USER

    record, failure = _bearer()
    if failure:
        return failure
    return jsonify({"sub": DEMO_USER["xero_userid"].replace("-", ""), **DEMO_USER,
                    "preferred_username": DEMO_USER["email"]})


@bp.get("/connections")
@bp.get("/Connections")
def list_connections():
    sb = sandbox()
    record, failure = _bearer()
    if failure:
        return failure
    limited = sb.limits.check_app()
    if limited is not None:
        return limited
    with sb.state.lock:
        items = sb.identity.connections_for(record["client_id"],
                                            request.args.get("authEventId") or None)
    resp = jsonify(items)
    sb.limits.headers(resp, None)
    return resp


@bp.delete("/connections/<conn_id>")
@bp.delete("/Connections/<conn_id>")
def delete_connection(conn_id: str):
    sb = sandbox()
    record, failure = _bearer()
    if failure:
        return failure
    with sb.state.lock:
        conn = sb.state.connections.get(conn_id.lower())
        if conn is None or conn["client_id"] != record["client_id"]:
            return E.not_found()
        del sb.state.connections[conn_id.lower()]
        sb.state.save()
    resp = Response(status=204)
    sb.limits.headers(resp, None)
    return resp
