"""The host's generic OAuth 2.0 client, driven by a provider's :class:`OAuthMetadata`.

* :func:`authorization_url` / :func:`exchange_code`: the authorization-code grant through
  authlib's requests client, with ``state`` and, when the provider supports it, PKCE (S256);
* :func:`refresh_serialized`: refresh a connection's token so that exactly one process refreshes
  at a time (refresh tokens rotate: losing the new one would disconnect the customer);
* :func:`revoke`: RFC 7009 revocation, best effort.

Tokens are dicts (``access_token``, ``refresh_token``, ``expires_at`` in epoch seconds, ...) and
only ever stored through ``host.security.crypto``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import sqlalchemy as sa
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session

from host.contract.errors import AuthError, ProviderDown
from host.contract.types import OAuthMetadata

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuthRequest:
    url: str
    state: str
    code_verifier: str | None


def _session(meta: OAuthMetadata, redirect_uri: str | None = None, state: str | None = None):
    return OAuth2Session(
        client_id=meta.client_id,
        client_secret=meta.client_secret,
        scope=" ".join(meta.scopes),
        redirect_uri=redirect_uri,
        state=state,
        token_endpoint_auth_method=meta.token_endpoint_auth_method,
        code_challenge_method="S256" if meta.use_pkce else None,
    )


def authorization_url(meta: OAuthMetadata, redirect_uri: str) -> AuthRequest:
    state = generate_token(32)
    verifier = generate_token(64) if meta.use_pkce else None
    extra = dict(meta.extra_authorize_params)
    with _session(meta, redirect_uri, state) as session:
        url, _ = session.create_authorization_url(
            meta.authorize_url, state=state, code_verifier=verifier, **extra
        )
    return AuthRequest(url=url, state=state, code_verifier=verifier)


class OAuthExchangeError(Exception):
    """The code could not be exchanged (refused, expired, provider unreachable)."""


def exchange_code(meta: OAuthMetadata, redirect_uri: str, code: str, verifier: str | None) -> dict:
    import requests
    from authlib.integrations.base_client.errors import OAuthError

    kwargs: dict[str, Any] = {"code": code, "timeout": 30}
    if verifier:
        kwargs["code_verifier"] = verifier
    try:
        with _session(meta, redirect_uri) as session:
            token = session.fetch_token(meta.token_url, **kwargs)
    except OAuthError as exc:
        raise OAuthExchangeError(f"the provider refused the authorization code ({exc.error})") from exc
    except requests.RequestException as exc:
        raise OAuthExchangeError("the provider could not be reached to finish the connection") from exc
    return normalise(dict(token))


def normalise(token: dict) -> dict:
    """Always carry ``expires_at`` (epoch seconds) when the provider said ``expires_in``."""
    if "expires_at" not in token and token.get("expires_in"):
        token["expires_at"] = int(time.time()) + int(token["expires_in"])
    return token


def expires_at_datetime(token: dict) -> datetime | None:
    if not token.get("expires_at"):
        return None
    return datetime.fromtimestamp(float(token["expires_at"]), timezone.utc).replace(tzinfo=None)


# -- refresh -----------------------------------------------------------------------------------

PERMANENT_REFRESH_ERRORS = {"invalid_grant", "invalid_client", "unauthorized_client"}


def request_refresh(meta: OAuthMetadata, refresh_token: str, timeout: float = 30.0) -> dict:
    """One refresh-token grant. AuthError when refused for good, ProviderDown otherwise."""
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    auth = None
    if meta.token_endpoint_auth_method == "client_secret_post":
        data.update(client_id=meta.client_id, client_secret=meta.client_secret)
    elif meta.token_endpoint_auth_method == "none":
        data["client_id"] = meta.client_id
    else:
        auth = (meta.client_id, meta.client_secret)
    try:
        resp = httpx.post(meta.token_url, data=data, auth=auth, timeout=timeout,
                          headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise ProviderDown("The provider could not be reached to refresh the token") from exc
    if resp.status_code >= 500:
        raise ProviderDown(f"The provider's token endpoint answered {resp.status_code}")
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.status_code != 200 or "access_token" not in body:
        error = body.get("error", f"http_{resp.status_code}")
        if error in PERMANENT_REFRESH_ERRORS or resp.status_code in (400, 401):
            raise AuthError(f"The provider refused to refresh the connection's token ({error})")
        raise ProviderDown(f"Unexpected answer from the token endpoint ({error})")
    token = normalise(body)
    token.setdefault("refresh_token", refresh_token)
    return token


def refresh_serialized(engine, box, meta: OAuthMetadata, connection_id: int, seen_version: int,
                       *, lease_seconds: float = 60.0, max_wait: float = 90.0,
                       sleep=time.sleep):
    """Refresh the token of ``connection_id`` unless another process already did.

    Refresh tokens rotate, so exactly one process may spend one. Each short transaction starts
    with a write on the connection's row (SQLite takes its write lock, PostgreSQL locks the row)
    and then decides: if ``token_version`` moved past ``seen_version`` someone refreshed already
    and that token is reused; if another process holds the refresh lease, wait and look again;
    otherwise take the lease (``token_refresh_lease_until``). The HTTP call to the token endpoint
    runs *outside* any transaction, holding only the lease, so the database is never locked
    while the provider answers. A crashed refresher's lease simply runs out.

    Returns ``(tokens, version)``. Raises :class:`AuthError` (and marks the connection
    ``needs_reauth``) when the provider refuses for good; :class:`ProviderDown` when it is
    unreachable (nothing changes, the job is retried).
    """
    from host.models.connection import Connection
    from host.models.mixins import utcnow

    table = Connection.__table__
    deadline = time.monotonic() + max_wait
    while True:
        with engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == connection_id)
                         .values(token_version=table.c.token_version))
            row = conn.execute(
                sa.select(table.c.token_ciphertext, table.c.token_version, table.c.status,
                          table.c.token_refresh_lease_until)
                .where(table.c.id == connection_id).with_for_update()
            ).one()
            if row.status in ("needs_reauth", "disconnected", "replaced") or not row.token_ciphertext:
                raise AuthError("The connection needs to be reconnected")
            tokens = box.decrypt(row.token_ciphertext)
            if row.token_version != seen_version:
                return tokens, row.token_version
            now = utcnow()
            lease = row.token_refresh_lease_until
            if lease is None or lease <= now:
                conn.execute(table.update().where(table.c.id == connection_id).values(
                    token_refresh_lease_until=now + timedelta(seconds=lease_seconds)))
                break
        if time.monotonic() > deadline:
            raise ProviderDown("Another worker is still refreshing this connection's token")
        sleep(0.1)

    def finish(**values) -> None:
        with engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == connection_id)
                         .values(token_refresh_lease_until=None, **values))

    try:
        new = request_refresh(meta, tokens.get("refresh_token") or "")
    except AuthError as exc:
        with engine.begin() as conn:
            conn.execute(table.update().where(table.c.id == connection_id)
                         .where(table.c.status == "connected")
                         .values(status="needs_reauth", status_reason=exc.message))
        finish()
        raise
    except BaseException:
        finish()
        raise
    merged = {**tokens, **new}
    finish(token_ciphertext=box.encrypt(merged), token_expires_at=expires_at_datetime(merged),
           token_version=seen_version + 1)
    log.info("refreshed token of connection %s (version %s)", connection_id, seen_version + 1)
    return merged, seen_version + 1


# -- revoke ------------------------------------------------------------------------------------


def revoke(meta: OAuthMetadata, tokens: dict, timeout: float = 10.0) -> bool:
    """Revoke the refresh token (which also ends the access token at most providers)."""
    if not meta.revoke_url:
        return False
    token = tokens.get("refresh_token") or tokens.get("access_token")
    if not token:
        return False
    data = {"token": token, "token_type_hint": "refresh_token" if tokens.get("refresh_token") else "access_token"}
    auth = (meta.client_id, meta.client_secret)
    if meta.token_endpoint_auth_method == "client_secret_post":
        data.update(client_id=meta.client_id, client_secret=meta.client_secret)
        auth = None
    try:
        resp = httpx.post(meta.revoke_url, data=data, auth=auth, timeout=timeout)
    except httpx.HTTPError:
        return False
    return resp.status_code in (200, 204)
