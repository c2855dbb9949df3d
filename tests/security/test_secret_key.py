"""Outside tests and the demo the app refuses to start without a real SECRET_KEY; the demo
keeps one generated key per instance; the token key never derives from a default."""

import stat

import pytest

from host import create_app
from host.security.crypto import keys_from_config
from host.security.secret_key import MissingSecretKey


def config(tmp_path, **extra):
    return {"INSTANCE_DIR": str(tmp_path), "HUEY_BACKEND": "memory",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'psa.sqlite3'}",
            "PSA_DISABLE_PLUGIN_AUTOLOAD": True, **extra}


@pytest.mark.parametrize("secret", [None, "", "dev-only-secret-change-me"])
def test_the_app_refuses_to_start_without_a_real_secret(tmp_path, monkeypatch, secret):
    monkeypatch.delenv("PSA_SECRET_KEY", raising=False)
    monkeypatch.delenv("PSA_DEMO", raising=False)
    with pytest.raises(MissingSecretKey, match="PSA_SECRET_KEY"):
        create_app(config(tmp_path, SECRET_KEY=secret))


def test_a_secret_from_the_environment_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("PSA_SECRET_KEY", "a-real-secret-from-the-environment")
    app = create_app(config(tmp_path))
    assert app.config["SECRET_KEY"] == "a-real-secret-from-the-environment"


def test_the_demo_generates_its_key_once_and_keeps_it(tmp_path, monkeypatch):
    monkeypatch.delenv("PSA_SECRET_KEY", raising=False)
    monkeypatch.setenv("PSA_DEMO", "1")
    first = create_app(config(tmp_path)).config["SECRET_KEY"]
    again = create_app(config(tmp_path)).config["SECRET_KEY"]
    other = create_app(config(tmp_path / "other")).config["SECRET_KEY"]
    assert len(first) >= 40 and first == again and other != first
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_session_cookie_forged_with_the_old_default_does_not_open_settings(
        app, org, monkeypatch, tmp_path):
    """The forgery the issue describes: sign ``_user_id`` with the old default key."""
    from flask.sessions import SecureCookieSessionInterface

    from host.extensions import db
    from host.models import User

    monkeypatch.delenv("PSA_SECRET_KEY", raising=False)
    monkeypatch.setenv("PSA_DEMO", "1")
    demo = create_app(config(tmp_path, SQLALCHEMY_DATABASE_URI=app.config[
        "SQLALCHEMY_DATABASE_URI"], PSA_DISABLE_PLUGIN_AUTOLOAD=True))
    with demo.app_context():
        admin = db.session.scalars(db.select(User).filter_by(email=org.admin_email)).one()
        forger = demo.test_client()
        forger_app = create_app(config(tmp_path / "forger",
                                       SECRET_KEY="dev-only-secret-change-me", TESTING=True))
        serializer = SecureCookieSessionInterface().get_signing_serializer(forger_app)
        cookie = serializer.dumps({"_user_id": str(admin.id), "_fresh": True})
    forger.set_cookie("psa_session", cookie)
    resp = forger.get("/settings/integrations")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


@pytest.mark.parametrize("secret", [None, "", "dev-only-secret-change-me"])
def test_the_token_key_is_never_derived_from_a_default(secret):
    with pytest.raises(ValueError, match="PSA_TOKEN_KEYS"):
        keys_from_config({"SECRET_KEY": secret, "TESTING": True})
