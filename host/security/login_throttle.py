"""Login throttling: wrong passwords in a row, per account and per client address.

After ``PSA_LOGIN_MAX_FAILURES`` wrong passwords for one account (default 5), or
``PSA_LOGIN_MAX_FAILURES_PER_ADDRESS`` from one client address (default 20: an office behind
one address has several people), each within ``PSA_LOGIN_WINDOW_SECONDS`` (default 900) of the
previous one, the login form answers 429 with ``Retry-After`` without checking the password,
until that window has passed since the last failure. A successful login clears the account's
count. The counts live in the database (``LoginFailure``), so every web process shares them.

The client address is ``request.remote_addr``: behind a reverse proxy, configure Werkzeug's
``ProxyFix`` so that it is the client's and not the proxy's.
"""

from __future__ import annotations

import math
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from host.extensions import db
from host.models.dialect_insert import insert_for
from host.models.login_failure import LoginFailure
from host.models.mixins import utcnow


def _window() -> timedelta:
    return timedelta(seconds=int(current_app.config["PSA_LOGIN_WINDOW_SECONDS"]))


def _keys(email: str, address: str | None) -> list[tuple[str, int]]:
    config = current_app.config
    keys = [(f"account:{email.strip().lower()}", int(config["PSA_LOGIN_MAX_FAILURES"]))]
    if address:
        keys.append((f"address:{address}", int(config["PSA_LOGIN_MAX_FAILURES_PER_ADDRESS"])))
    return keys


def retry_after(email: str, address: str | None) -> int | None:
    """Seconds until a login for ``email`` from ``address`` is allowed again, or None."""
    now = utcnow()
    limits = dict(_keys(email, address))
    rows = db.session.scalars(sa.select(LoginFailure).where(LoginFailure.key.in_(limits)))
    waits = [(row.last_failed_at + _window() - now).total_seconds() for row in rows
             if row.failures >= limits[row.key]]
    waits = [w for w in waits if w > 0]
    return math.ceil(max(waits)) if waits else None


def record_failure(email: str, address: str | None) -> None:
    """Count one wrong password for the account and the address (commits)."""
    now = utcnow()
    stale = now - _window()
    table = LoginFailure.__table__
    db.session.execute(sa.delete(LoginFailure).where(LoginFailure.last_failed_at < stale))
    for key, _limit in _keys(email, address):
        stmt = insert_for(db.session.connection(), table).values(
            key=key, failures=1, last_failed_at=now)
        db.session.execute(stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"failures": sa.case((table.c.last_failed_at < stale, 1),
                                      else_=table.c.failures + 1),
                  "last_failed_at": now}))
    db.session.commit()


def record_success(email: str) -> None:
    """A correct password clears the account's count (commits)."""
    db.session.execute(sa.delete(LoginFailure).where(
        LoginFailure.key == f"account:{email.strip().lower()}"))
    db.session.commit()
