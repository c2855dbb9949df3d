"""The app's ``SECRET_KEY``: real, or the app does not start.

Flask signs the session cookie (the login) with it, and without ``PSA_TOKEN_KEYS`` the key that
encrypts OAuth tokens at rest is derived from it, so a known value opens Settings >
Integrations to anyone. :func:`ensure_secret_key` (called by ``create_app``) refuses a missing
key or the development default that earlier versions shipped, except

* under ``TESTING`` (tests set their own), and
* in the demo (``DEMO``, set by ``scripts/demo.sh`` as ``PSA_DEMO=1``): a random key is
  generated once and kept in the instance folder (``secret_key``, mode 0600), so restarting the
  demo keeps its sessions and its encrypted tokens readable.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

#: Values that are not secrets: the development default earlier versions shipped.
KNOWN_DEFAULTS = frozenset({"dev-only-secret-change-me"})
DEMO_KEY_FILE = "secret_key"


class MissingSecretKey(RuntimeError):
    """No real ``SECRET_KEY`` outside tests and the demo."""


def is_real(value) -> bool:
    return bool(value) and str(value) not in KNOWN_DEFAULTS


def ensure_secret_key(app) -> None:
    if is_real(app.config.get("SECRET_KEY")) or app.config.get("TESTING"):
        return
    if app.config.get("DEMO"):
        app.config["SECRET_KEY"] = demo_secret_key(Path(app.config["INSTANCE_DIR"]))
        return
    raise MissingSecretKey(
        "PSA_SECRET_KEY is not set (or is the old development default). It signs the login "
        "session and, without PSA_TOKEN_KEYS, derives the key that encrypts OAuth tokens. Set "
        "it to a long random value, e.g. "
        "PSA_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))'). "
        "The demo (scripts/demo.sh, PSA_DEMO=1) generates one in its instance folder.")


def demo_secret_key(instance_dir: Path) -> str:
    """The demo instance's key: read from ``instance_dir/secret_key``, created once."""
    path = instance_dir / DEMO_KEY_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key)
    return key
