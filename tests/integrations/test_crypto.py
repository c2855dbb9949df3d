"""Token box: Fernet at rest, MultiFernet rotation, nothing secret exposed to plugins."""

import pytest
from cryptography.fernet import Fernet

from host.security.crypto import TokenBox, TokenDecryptError, derive_dev_key, keys_from_config, token_extra

TOKENS = {"access_token": "acc-123", "refresh_token": "ref-456", "expires_at": 1700000000,
          "id_token": "idt", "x_refresh_token_expires_in": 8726400}


def test_round_trip_and_ciphertext_hides_the_tokens():
    box = TokenBox([Fernet.generate_key().decode()])
    cipher = box.encrypt(TOKENS)
    assert "acc-123" not in cipher and "ref-456" not in cipher
    assert box.decrypt(cipher) == TOKENS


def test_rotation_new_key_first_old_key_still_decrypts():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    cipher = TokenBox([old]).encrypt(TOKENS)
    rotated_box = TokenBox([new, old])
    assert rotated_box.decrypt(cipher) == TOKENS
    rotated = rotated_box.rotate(cipher)
    assert TokenBox([new]).decrypt(rotated) == TOKENS
    with pytest.raises(TokenDecryptError):
        TokenBox([new]).decrypt(cipher)


def test_keys_from_config_accepts_a_comma_separated_string_and_derives_a_dev_key():
    a, b = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert keys_from_config({"PSA_TOKEN_KEYS": f"{a}, {b}"}) == [a, b]
    dev = keys_from_config({"SECRET_KEY": "s", "TESTING": True})
    assert dev == [derive_dev_key("s")] and dev != [derive_dev_key("t")]


def test_plugins_see_token_extras_but_never_the_tokens():
    extra = token_extra(TOKENS)
    assert "access_token" not in extra and "refresh_token" not in extra and "id_token" not in extra
    assert extra["x_refresh_token_expires_in"] == 8726400


def test_rotate_connection_tokens_reencrypts_stored_rows(app, connection_factory, db):
    from host.security.crypto import decrypt_tokens, rotate_connection_tokens

    conn = connection_factory()
    before = conn.token_ciphertext
    assert rotate_connection_tokens() == 1
    db.session.refresh(conn)
    assert conn.token_ciphertext != before
    assert decrypt_tokens(conn.token_ciphertext)["access_token"] == "test-access"


def test_cli_rotates_keys_and_lists_plugins(app, connection_factory, db):
    from cryptography.fernet import Fernet

    from host.security.crypto import TokenBox, keys_from_config

    conn = connection_factory()
    old_keys = keys_from_config(app.config)
    new_key = Fernet.generate_key().decode()
    app.config["PSA_TOKEN_KEYS"] = [new_key, *old_keys]
    app.extensions.pop("psa_token_box", None)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["integrations", "rotate-token-keys"])
    assert "1 connection(s)" in result.output
    db.session.refresh(conn)
    assert TokenBox([new_key]).decrypt(conn.token_ciphertext)["access_token"] == "test-access"
    listing = runner.invoke(args=["integrations", "plugins"]).output
    assert "fakeprovider" in listing and "on_invoice_sent" in listing


def test_token_extra_hides_secrets_and_reads_jwt_claims_unverified():
    import base64
    import json

    from host.security.crypto import token_extra

    claims = {"authentication_event_id": "ev-1", "sub": "u-1"}
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    extra = token_extra({"access_token": f"eyJhbGciOiJSUzI1NiJ9.{body}.sig",
                         "refresh_token": "r", "id_token": "i", "expires_in": 1800})
    assert extra == {"expires_in": 1800, "access_token_claims": claims}
    assert token_extra({"access_token": "opaque-token", "scope": "a"}) == {"scope": "a"}
    assert "access_token_claims" not in token_extra({"access_token": "a.%%%.c"})
