"""Xero identity, the mechanics: RS256 JWTs, grants, codes, token issue/refresh/revoke, scopes.

- Access tokens are RS256 JWTs carrying Xero's observed claims (``authentication_event_id``,
  ``scope`` as an array, ...), valid 30 minutes on the sandbox clock.
- Refresh tokens rotate on every use; the previous one keeps working for the 30-minute grace
  period after its first use, then gives ``invalid_grant``. Unused refresh tokens expire after
  60 days.
- A grant is one (client, user) consent; scopes add up across repeated consents; revocation
  removes the grant, its tokens and all its connections.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import uuid

from host.sandbox_kit.signing import RsaSigner, b64url

from .state import DEMO_USER, new_id

ACCESS_TOKEN_SECONDS = 1800
REFRESH_TOKEN_SECONDS = 60 * 24 * 3600
REFRESH_GRACE_SECONDS = 1800
CODE_SECONDS = 300

BROAD_SCOPES = {
    "openid", "profile", "email", "offline_access",
    "accounting.transactions", "accounting.transactions.read",
    "accounting.contacts", "accounting.contacts.read",
    "accounting.settings", "accounting.settings.read",
    "accounting.attachments", "accounting.attachments.read",
    "accounting.reports.read", "accounting.journals.read", "accounting.budgets.read",
    "paymentservices",
}
GRANULAR_SCOPES = {
    f"accounting.{name}{suffix}"
    for name in ("invoices", "payments", "banktransactions", "manualjournals", "classicexpenses")
    for suffix in ("", ".read")
}


def scope_known(scope: str) -> bool:
    return scope in BROAD_SCOPES or scope in GRANULAR_SCOPES or (
        scope.startswith("accounting.reports.") and scope.endswith(".read"))


def pkce_ok(verifier: str | None, challenge: str | None, method: str | None) -> bool:
    if not challenge:
        return True  # the plain code flow (confidential client) without PKCE
    if not verifier or (method or "plain") != "S256":
        return False
    digest = b64url(hashlib.sha256(verifier.encode()).digest())
    return secrets.compare_digest(digest, challenge)


class Identity:
    """Token book-keeping on :class:`~.state.XeroState`. Call with ``state.lock`` held."""

    def __init__(self, state, signer: RsaSigner, issuer_getter) -> None:
        self.state = state
        self.signer = signer
        self.issuer = issuer_getter

    # -- grants and connections ----------------------------------------------------------------
    def consent(self, client_id: str, scopes: list[str], tenant_ids: list[str]) -> tuple[dict, str]:
        """Record a consent for the demo user; returns (grant, auth_event_id)."""
        st = self.state
        grant = next((g for g in st.grants.values()
                      if g["client_id"] == client_id and g["user"] == DEMO_USER["xero_userid"]),
                     None)
        if grant is None:
            grant = {"id": new_id(), "client_id": client_id, "user": DEMO_USER["xero_userid"],
                     "scopes": [], "session": new_id()}
            st.grants[grant["id"]] = grant
        grant["scopes"] = sorted(set(grant["scopes"]) | set(scopes))
        auth_event = new_id()
        now = st.now_iso() + "0000Z"  # spec: format date-time needs a zone (see NOTES.md)
        for tenant_id in tenant_ids:
            conn = next((c for c in st.connections.values() if c["client_id"] == client_id
                         and c["tenantId"] == tenant_id), None)
            if conn is None:
                conn = {"id": new_id(), "client_id": client_id, "tenantId": tenant_id,
                        "createdDateUtc": now}
                st.connections[conn["id"]] = conn
            conn.update({"authEventId": auth_event, "updatedDateUtc": now,
                         "grant_id": grant["id"]})
        return grant, auth_event

    def connections_for(self, client_id: str, auth_event: str | None = None) -> list[dict]:
        out = []
        for conn in self.state.connections.values():
            if conn["client_id"] != client_id:
                continue
            if auth_event and conn["authEventId"] != auth_event:
                continue
            org = self.state.org(conn["tenantId"])
            out.append({"id": conn["id"], "authEventId": conn["authEventId"],
                        "tenantId": conn["tenantId"], "tenantType": "ORGANISATION",
                        "tenantName": org["organisation"]["Name"] if org else "",
                        "createdDateUtc": conn["createdDateUtc"],
                        "updatedDateUtc": conn["updatedDateUtc"]})
        return sorted(out, key=lambda c: c["createdDateUtc"])

    def is_connected(self, client_id: str, tenant_id: str) -> bool:
        return any(c["client_id"] == client_id and c["tenantId"] == tenant_id
                   for c in self.state.connections.values())

    # -- codes ---------------------------------------------------------------------------------
    def new_code(self, grant: dict, auth_event: str, redirect_uri: str, scopes: list[str],
                 challenge: str | None, method: str | None) -> str:
        code = secrets.token_hex(32)
        self.state.codes[code] = {
            "grant_id": grant["id"], "client_id": grant["client_id"], "auth_event": auth_event,
            "redirect_uri": redirect_uri, "scopes": scopes, "challenge": challenge,
            "method": method, "expires": self.state.clock.now() + CODE_SECONDS, "used": False}
        return code

    # -- tokens --------------------------------------------------------------------------------
    def issue(self, grant: dict, auth_event: str, scopes: list[str]) -> dict:
        st = self.state
        now = int(st.clock.now())
        jti = uuid.uuid4().hex
        claims = {
            "nbf": now, "exp": now + ACCESS_TOKEN_SECONDS, "iss": self.issuer(),
            "aud": f"{self.issuer()}/resources", "client_id": grant["client_id"],
            "sub": hashlib.sha256(grant["user"].encode()).hexdigest()[:32],
            "auth_time": now, "xero_userid": grant["user"],
            "global_session_id": grant["session"], "sid": grant["session"], "jti": jti,
            "authentication_event_id": auth_event, "scope": scopes,
        }
        access = self.signer.sign(claims)
        st.access_tokens[jti] = {"grant_id": grant["id"], "client_id": grant["client_id"],
                                 "scopes": scopes, "exp": claims["exp"],
                                 "auth_event": auth_event}
        body = {"access_token": access, "expires_in": ACCESS_TOKEN_SECONDS,
                "token_type": "Bearer", "scope": " ".join(scopes)}
        if "openid" in scopes:
            id_claims = {"nbf": now, "exp": now + 300, "iss": self.issuer(),
                         "aud": grant["client_id"], "iat": now, "auth_time": now,
                         "sub": claims["sub"], "xero_userid": grant["user"],
                         "global_session_id": grant["session"], "sid": grant["session"],
                         "preferred_username": DEMO_USER["email"], "email": DEMO_USER["email"],
                         "given_name": DEMO_USER["given_name"],
                         "family_name": DEMO_USER["family_name"]}
            body["id_token"] = self.signer.sign(id_claims)
        if "offline_access" in scopes:
            refresh = secrets.token_hex(32)
            st.refresh_tokens[refresh] = {
                "grant_id": grant["id"], "client_id": grant["client_id"], "scopes": scopes,
                "auth_event": auth_event, "expires": st.clock.now() + REFRESH_TOKEN_SECONDS,
                "used_at": None}
            body["refresh_token"] = refresh
        return body

    def refresh(self, client_id: str, token: str) -> dict | None:
        """Rotate; None means ``invalid_grant``."""
        st = self.state
        record = st.refresh_tokens.get(token)
        now = st.clock.now()
        if (record is None or record["client_id"] != client_id or record["expires"] < now
                or record["grant_id"] not in st.grants):
            return None
        if record["used_at"] is not None and now - record["used_at"] > REFRESH_GRACE_SECONDS:
            return None
        if record["used_at"] is None:
            record["used_at"] = now
        grant = st.grants[record["grant_id"]]
        return self.issue(grant, record["auth_event"], record["scopes"])

    def revoke(self, client_id: str, token: str) -> bool:
        st = self.state
        record = st.refresh_tokens.get(token)
        if record is None or record["client_id"] != client_id:
            return False
        self.drop_grant(record["grant_id"])
        return True

    def drop_grant(self, grant_id: str) -> None:
        st = self.state
        st.grants.pop(grant_id, None)
        for table in (st.refresh_tokens, st.access_tokens):
            for key in [k for k, v in table.items() if v["grant_id"] == grant_id]:
                del table[key]
        for key in [k for k, c in st.connections.items() if c.get("grant_id") == grant_id]:
            del st.connections[key]

    def access(self, token: str) -> tuple[dict | None, str | None]:
        """Look up a bearer token; returns (record, problem detail for a 401)."""
        try:
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            jti = claims["jti"]
        except (IndexError, ValueError, KeyError, TypeError):
            return None, "AuthenticationUnsuccessful"
        record = self.state.access_tokens.get(jti)
        if record is None:
            return None, "AuthenticationUnsuccessful"
        if record["exp"] <= self.state.clock.now():
            from datetime import datetime, timezone
            when = datetime.fromtimestamp(record["exp"], timezone.utc).strftime(
                "%m/%d/%Y %H:%M:%S")
            return None, f"TokenExpired: token expired at {when}"
        return record, None

    def mint(self, client_id: str, tenant_ids: list[str], scopes: list[str]) -> dict:
        """Control API: consent + tokens without the browser."""
        grant, auth_event = self.consent(client_id, scopes, tenant_ids)
        body = self.issue(grant, auth_event, scopes)
        body["auth_event_id"] = auth_event
        body["connections"] = self.connections_for(client_id, auth_event)
        return body
