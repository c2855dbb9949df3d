"""OAuth 2.0 grants, codes and tokens the Intuit way (reference 1.3-1.7).

- Authorization codes are single use (10 min); a second exchange fails with ``invalid_grant``
  and revokes the tokens already issued from that code.
- Access tokens live ``QBO_ACCESS_TOKEN_TTL`` (3600 s) on the sandbox clock.
- Refresh tokens: rolling window (``x_refresh_token_expires_in``, 8,726,400 s), 5-year hard cap.
  Every refresh rotates the value (``QBO_REFRESH_ROTATE``); the superseded value keeps working
  for ``QBO_REFRESH_GRACE_SECONDS`` (24 h) or until the new value is used, whichever is first,
  and during that time it returns the current (new) refresh token again.
- Revoking any token of a grant revokes the whole grant (the app is disconnected from the realm).
"""
from __future__ import annotations

import secrets
import threading

ROLLING_SECONDS = 8726400
HARD_SECONDS = 5 * 365 * 86400
CODE_TTL = 600


class OAuthError(Exception):
    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict:
        out = {"error": self.error}
        if self.description:
            out["error_description"] = self.description
        return out


class TokenService:
    """All OAuth state; JSON-able through :meth:`dump` / :meth:`load`."""

    def __init__(self, clock, *, access_ttl: int = 3600, rotate: bool = True,
                 grace_seconds: float = 86400) -> None:
        self.clock = clock
        self.access_ttl = access_ttl
        self.rotate = rotate
        self.grace_seconds = grace_seconds
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.codes: dict[str, dict] = {}
            self.access: dict[str, dict] = {}
            self.refresh: dict[str, dict] = {}
            self.grants: dict[str, dict] = {}

    def dump(self) -> dict:
        return {"codes": self.codes, "access": self.access, "refresh": self.refresh, "grants": self.grants}

    def load(self, data: dict) -> None:
        with self.lock:
            self.codes = data.get("codes", {})
            self.access = data.get("access", {})
            self.refresh = data.get("refresh", {})
            self.grants = data.get("grants", {})

    # -- codes ---------------------------------------------------------------------------------
    def issue_code(self, client_id: str, redirect_uri: str, realm_id: str, scope: str) -> str:
        code = "AB" + secrets.token_urlsafe(40)
        with self.lock:
            self.codes[code] = {"client_id": client_id, "redirect_uri": redirect_uri,
                                "realm_id": realm_id, "scope": scope,
                                "expires_at": self.clock.now() + CODE_TTL, "grant": None}
        return code

    def exchange_code(self, client_id: str, code: str, redirect_uri: str | None) -> dict:
        with self.lock:
            record = self.codes.get(code or "")
            if record is None or record["client_id"] != client_id:
                raise OAuthError("invalid_grant")
            if record["grant"] is not None:
                self._revoke_grant(record["grant"])  # reuse: kill what the code produced
                raise OAuthError("invalid_grant")
            if self.clock.now() > record["expires_at"] or redirect_uri != record["redirect_uri"]:
                raise OAuthError("invalid_grant")
            grant = self._new_grant(client_id, record["realm_id"], record["scope"])
            record["grant"] = grant
            return self._token_response(grant, self._new_refresh(grant))

    # -- grants and tokens ---------------------------------------------------------------------
    def mint(self, client_id: str, realm_id: str, scope: str = "com.intuit.quickbooks.accounting") -> dict:
        """Issue a fresh grant without the browser dance (control API)."""
        with self.lock:
            grant = self._new_grant(client_id, realm_id, scope)
            return dict(self._token_response(grant, self._new_refresh(grant)), realmId=realm_id)

    def _new_grant(self, client_id: str, realm_id: str, scope: str) -> str:
        grant = secrets.token_hex(8)
        self.grants[grant] = {"client_id": client_id, "realm_id": realm_id, "scope": scope,
                              "revoked": False, "hard_expires_at": self.clock.now() + HARD_SECONDS}
        return grant

    def _new_refresh(self, grant: str) -> str:
        token = f"RT1-{secrets.randbelow(900) + 100}-H0-{int(self.clock.now())}{secrets.token_hex(10)}"
        self.refresh[token] = {"grant": grant, "expires_at": self.clock.now() + ROLLING_SECONDS,
                               "superseded_by": None, "superseded_at": None, "used": False}
        return token

    def _token_response(self, grant: str, refresh_token: str) -> dict:
        access = "eyJlbmMiOiJBMTI4Q0JDLUhTMjU2IiwiYWxnIjoiZGlyIn0.." + secrets.token_urlsafe(48)
        info = self.grants[grant]
        self.access[access] = {"grant": grant, "expires_at": self.clock.now() + self.access_ttl}
        now = self.clock.now()
        rt = self.refresh[refresh_token]
        return {
            "token_type": "bearer", "access_token": access, "expires_in": self.access_ttl,
            "refresh_token": refresh_token,
            "x_refresh_token_expires_in": int(round(min(rt["expires_at"], info["hard_expires_at"]) - now)),
            "x_refresh_token_hard_expires_in": int(round(info["hard_expires_at"] - now)),
        }

    def refresh_grant(self, client_id: str, token: str) -> dict:
        with self.lock:
            record = self.refresh.get(token or "")
            if record is None:
                raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
            grant = self.grants[record["grant"]]
            now = self.clock.now()
            if (grant["client_id"] != client_id or grant["revoked"] or now > record["expires_at"]
                    or now > grant["hard_expires_at"]):
                raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
            if record["superseded_by"]:
                successor = self.refresh.get(record["superseded_by"])
                if (successor is None or successor["used"]
                        or now > record["superseded_at"] + self.grace_seconds):
                    raise OAuthError("invalid_grant", "Incorrect or invalid refresh token")
                return self._token_response(record["grant"], record["superseded_by"])
            record["used"] = True
            if self.rotate:
                new = self._new_refresh(record["grant"])
                record["superseded_by"], record["superseded_at"] = new, now
            else:
                record["expires_at"] = now + ROLLING_SECONDS
                new = token
            return self._token_response(record["grant"], new)

    def revoke(self, client_id: str, token: str) -> bool:
        with self.lock:
            record = self.refresh.get(token or "") or self.access.get(token or "")
            if record is None or self.grants[record["grant"]]["client_id"] != client_id:
                return False
            self._revoke_grant(record["grant"])
            return True

    def revoke_all(self, client_id: str | None = None, realm_id: str | None = None) -> int:
        """Disconnect apps from realms (control API); returns the number of grants revoked."""
        with self.lock:
            hit = [g for g, info in self.grants.items() if not info["revoked"]
                   and (client_id is None or info["client_id"] == client_id)
                   and (realm_id is None or info["realm_id"] == realm_id)]
            for g in hit:
                self._revoke_grant(g)
            return len(hit)

    def _revoke_grant(self, grant: str) -> None:
        self.grants[grant]["revoked"] = True

    def check_access(self, token: str) -> tuple[dict | None, str]:
        """(grant info, "") for a live access token, else (None, reason)."""
        with self.lock:
            record = self.access.get(token or "")
            if record is None:
                return None, "Token invalid"
            grant = self.grants[record["grant"]]
            if grant["revoked"]:
                return None, "Token revoked"
            if self.clock.now() > record["expires_at"]:
                return None, "Token expired"
            return grant, ""

    def connections(self) -> set[tuple[str, str]]:
        """(client_id, realm_id) pairs with a live grant: who gets webhooks for what."""
        with self.lock:
            return {(g["client_id"], g["realm_id"]) for g in self.grants.values() if not g["revoked"]}
