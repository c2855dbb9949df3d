"""Token box: OAuth tokens encrypted at rest with Fernet, rotated with MultiFernet.

Keys come from ``PSA_TOKEN_KEYS`` (a list, or a comma-separated string), newest first: the first
key encrypts, every key decrypts, so adding a new key in front and calling
:func:`rotate_connection_tokens` re-encrypts everything without downtime. Without configured
keys one is derived from ``SECRET_KEY`` (and a warning is logged once); never from a missing or
default ``SECRET_KEY`` (``host.security.secret_key``).

A token set is a dict: ``access_token``, ``refresh_token``, ``expires_at`` (epoch seconds) and
whatever else the provider returned (``id_token``, ``x_refresh_token_expires_in`` ...). It is
serialised to JSON and encrypted as one blob; the database only ever holds the ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from typing import Any, Iterable, Mapping

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from host.security.secret_key import is_real

log = logging.getLogger(__name__)
_warned = False

#: Keys of a token set that the plugin never sees through ``connection.token_extra``.
SECRET_TOKEN_FIELDS = frozenset({"access_token", "refresh_token", "id_token"})


class TokenDecryptError(Exception):
    """The ciphertext was written with a key that is no longer configured."""


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v).strip() for v in value if str(v).strip()]


def derive_dev_key(secret_key: str) -> str:
    """A Fernet key derived from ``SECRET_KEY`` (when ``PSA_TOKEN_KEYS`` is not set)."""
    digest = hashlib.sha256(b"psa-token-box:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()


def keys_from_config(config: Mapping[str, Any]) -> list[str]:
    global _warned
    keys = _as_list(config.get("PSA_TOKEN_KEYS"))
    if keys:
        return keys
    if not _warned and not config.get("TESTING"):
        log.warning("PSA_TOKEN_KEYS is not set: tokens are encrypted with a key derived from "
                    "SECRET_KEY. Set PSA_TOKEN_KEYS (Fernet.generate_key()) in production.")
        _warned = True
    secret = config.get("SECRET_KEY")
    if not is_real(secret):
        raise ValueError("No PSA_TOKEN_KEYS and no real SECRET_KEY to derive a token key from.")
    return [derive_dev_key(str(secret))]


class TokenBox:
    """Encrypts and decrypts token sets with the configured keys (newest first)."""

    def __init__(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        if not keys:
            raise ValueError("at least one Fernet key is needed")
        self._fernet = MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "TokenBox":
        return cls(keys_from_config(config))

    def encrypt(self, tokens: Mapping[str, Any]) -> str:
        payload = json.dumps(dict(tokens), separators=(",", ":"), sort_keys=True, default=str)
        return self._fernet.encrypt(payload.encode()).decode()

    def decrypt(self, ciphertext: str | None) -> dict[str, Any]:
        if not ciphertext:
            return {}
        try:
            return json.loads(self._fernet.decrypt(ciphertext.encode()))
        except InvalidToken as exc:
            raise TokenDecryptError("token ciphertext does not match any configured key") from exc

    def rotate(self, ciphertext: str) -> str:
        """Re-encrypt with the newest key (MultiFernet.rotate)."""
        return self._fernet.rotate(ciphertext.encode()).decode()


def token_box(app=None) -> TokenBox:
    """The app's token box (cached on the app)."""
    from flask import current_app

    app = app or current_app
    box = app.extensions.get("psa_token_box")
    if box is None:
        box = app.extensions["psa_token_box"] = TokenBox.from_config(app.config)
    return box


def encrypt_tokens(tokens: Mapping[str, Any], app=None) -> str:
    return token_box(app).encrypt(tokens)


def decrypt_tokens(ciphertext: str | None, app=None) -> dict[str, Any]:
    return token_box(app).decrypt(ciphertext)


def token_extra(tokens: Mapping[str, Any]) -> dict[str, Any]:
    """What a plugin may see of a token set: everything except the secrets themselves, plus
    ``access_token_claims``: the claims of a JWT access token (decoded, NOT verified: facts
    the provider put in the token, such as Xero's ``authentication_event_id``, never a basis
    for trust)."""
    extra = {k: v for k, v in tokens.items() if k not in SECRET_TOKEN_FIELDS}
    claims = jwt_claims(tokens.get("access_token"))
    if claims:
        extra["access_token_claims"] = claims
    return extra


def jwt_claims(token: Any) -> dict[str, Any] | None:
    """The payload of a compact JWT, unverified, or None when ``token`` is not one."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    payload = token.split(".")[1]
    try:
        data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):
        return None
    return data if isinstance(data, dict) else None


def rotate_connection_tokens(app=None) -> int:
    """Re-encrypt every stored token set with the newest key. Returns how many rows changed."""
    from host.extensions import db
    from host.models import Connection

    box = token_box(app)
    count = 0
    for conn in db.session.scalars(db.select(Connection).where(Connection.token_ciphertext.is_not(None))):
        conn.token_ciphertext = box.rotate(conn.token_ciphertext)
        count += 1
    db.session.commit()
    return count
