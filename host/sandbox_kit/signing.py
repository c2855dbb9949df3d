"""RS256 JSON Web Tokens for sandboxes that act as an OpenID Connect provider.

One RSA key per sandbox process: :meth:`RsaSigner.sign` makes a compact JWS whose header
names the key (``kid``), and :meth:`RsaSigner.jwks` publishes the public half, so a client can
verify an ``id_token`` (or a JWT access token) against the sandbox's ``jwks_uri`` as it does
against the provider's.
"""
from __future__ import annotations

import base64
import hashlib
import json
import threading

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def _compact(data: dict) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def b64url(data: bytes) -> str:
    """Base64url without padding, as JOSE writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class RsaSigner:
    """One RSA key per sandbox process (made on first use); signs JWTs and serves the JWKS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: rsa.RSAPrivateKey | None = None

    @property
    def key(self) -> rsa.RSAPrivateKey:
        with self._lock:
            if self._key is None:
                self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            return self._key

    @property
    def kid(self) -> str:
        return hashlib.sha256(self.key.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo)).hexdigest()[:16].upper()

    def sign(self, claims: dict) -> str:
        header = {"alg": "RS256", "kid": self.kid, "typ": "JWT"}
        signing_input = f"{b64url(_compact(header))}.{b64url(_compact(claims))}"
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{b64url(signature)}"

    def jwks(self) -> dict:
        numbers = self.key.public_key().public_numbers()

        def as_b64(value: int) -> str:
            return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))

        return {"keys": [{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
                          "e": as_b64(numbers.e), "n": as_b64(numbers.n)}]}
