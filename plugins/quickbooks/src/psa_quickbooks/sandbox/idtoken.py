"""The OpenID Connect ``id_token`` Intuit returns from a code exchange with the ``openid`` scope.

An RS256 JWT signed with the sandbox's key (published at ``/op/v1/jwks`` with the same ``kid``)
and Intuit's claims: ``iss`` (the discovery document's issuer), ``sub`` (the Intuit user),
``aud`` (a list holding the client id; intuit-oauth reads ``aud[0]``), ``realmid`` (when the
grant covers a company), ``auth_time``, ``iat`` and ``exp`` (one hour). See NOTES.md.
"""
from __future__ import annotations

ID_TOKEN_SECONDS = 3600
#: the one Intuit user of the sandbox (the userinfo ``sub`` too)
USER_SUB = "5b8c8a3e-0f1d-4c2a-9e57-5a1d3c0b7f11"


def openid_granted(scope: str | None) -> bool:
    return "openid" in (scope or "").split()


def id_token(signer, issuer: str, client_id: str, grant: dict, now: float) -> str:
    issued = int(now)
    claims = {"iss": issuer, "sub": USER_SUB, "aud": [client_id], "auth_time": issued,
              "iat": issued, "exp": issued + ID_TOKEN_SECONDS}
    if grant.get("realm_id"):
        claims["realmid"] = grant["realm_id"]
    return signer.sign(claims)
