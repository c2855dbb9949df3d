"""Webhook signatures shared by provider plugins.

QuickBooks (``intuit-signature``, keyed with the app's verifier token) and Xero
(``x-xero-signature``, keyed with the webhook key) sign the same way: base64 of HMAC-SHA256 over
the raw request body. A plugin's ``verify_webhook`` reads its header and key and calls
:func:`verify_hmac_sha256_base64`; its sandbox signs with :func:`hmac_sha256_base64`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def _key(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def hmac_sha256_base64(secret: str | bytes, body: bytes) -> str:
    """The base64 HMAC-SHA256 of ``body`` keyed with ``secret``."""
    return base64.b64encode(hmac.new(_key(secret), body, hashlib.sha256).digest()).decode()


def verify_hmac_sha256_base64(secret: str | bytes | None, body: bytes,
                              signature: str | None) -> bool:
    """True when ``signature`` is the base64 HMAC-SHA256 of exactly ``body``.

    An unset key or a missing signature is never valid (a misconfigured host refuses every
    delivery instead of accepting unsigned ones). Constant-time comparison.
    """
    if not secret or not signature:
        return False
    expected = hmac_sha256_base64(secret, body)
    return hmac.compare_digest(expected.encode(), signature.strip().encode())
