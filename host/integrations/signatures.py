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
from typing import Any, Mapping


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


def verify_signed_delivery(headers: Mapping[str, str], header: str, config: Mapping[str, Any],
                           key_setting: str, body: bytes) -> bool:
    """A plugin's whole ``verify_webhook``: the signature in ``header`` (found whatever its
    case: request headers, or a plain dict in a unit test) must sign ``body`` with the key in
    ``config[key_setting]``. Never raises: a fault is not a valid signature."""
    try:
        value = headers.get(header)
        if value is None:
            lowered = header.lower()
            value = next((v for k, v in headers.items() if k.lower() == lowered), None)
        return verify_hmac_sha256_base64(config.get(key_setting), body, value)
    except Exception:  # noqa: BLE001 - the hook contract: answer, do not raise
        return False
