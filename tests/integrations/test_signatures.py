"""Webhook signatures shared by the QuickBooks and Xero plugins."""

import base64
import hashlib
import hmac

from host.integrations.signatures import hmac_sha256_base64, verify_hmac_sha256_base64

BODY = b'{"events":[]}'


def test_signature_is_base64_hmac_sha256_of_the_exact_body():
    expected = base64.b64encode(hmac.new(b"key", BODY, hashlib.sha256).digest()).decode()
    assert hmac_sha256_base64("key", BODY) == expected
    assert verify_hmac_sha256_base64("key", BODY, expected)


def test_tampered_body_wrong_key_missing_key_or_signature_are_refused():
    sig = hmac_sha256_base64("key", BODY)
    assert not verify_hmac_sha256_base64("key", BODY + b" ", sig)
    assert not verify_hmac_sha256_base64("other", BODY, sig)
    assert not verify_hmac_sha256_base64("", BODY, hmac_sha256_base64("", BODY))
    assert not verify_hmac_sha256_base64("key", BODY, None)


def test_signed_delivery_finds_the_header_in_any_case_and_never_raises():
    from host.integrations.signatures import verify_signed_delivery

    sig = hmac_sha256_base64("key", BODY)
    config = {"MY_KEY": "key"}
    assert verify_signed_delivery({"X-Sig": sig}, "x-sig", config, "MY_KEY", BODY)
    assert not verify_signed_delivery({"X-Sig": sig}, "x-sig", {}, "MY_KEY", BODY)
    assert not verify_signed_delivery({"X-Sig": "é"}, "x-sig", config, "MY_KEY", BODY)
    assert not verify_signed_delivery({"X-Sig": sig}, "x-sig", object(), "MY_KEY", BODY)
