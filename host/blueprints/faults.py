"""Database faults answer 503 with ``Retry-After``, not a generic 500.

A locked SQLite file, a read-only or full disk, an I/O error or a lost database connection is
the server's temporary condition, not the request's fault: the transaction is rolled back (the
request committed nothing, see ``host.blueprints.api._write``) and the client is told to retry.
Under ``/api/`` the answer is a problem document; elsewhere a short plain page (rendering the
layout would query the database again). Other ``OperationalError`` (a missing table, bad SQL)
stay 500s: they are bugs.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, request
from sqlalchemy.exc import OperationalError

from host.extensions import db
from host.services.problems import problem

log = logging.getLogger(__name__)

bp = Blueprint("faults", __name__)

RETRY_AFTER_SECONDS = 5

#: Lower-case fragments of the drivers' messages for conditions that pass (SQLite, PostgreSQL).
TRANSIENT = (
    "database is locked", "database table is locked", "readonly database",
    "database or disk is full", "disk i/o error", "unable to open database file",
    "could not connect", "server closed the connection", "connection refused",
    "deadlock detected", "could not serialize access", "the database system is",
)


def is_transient(exc: OperationalError) -> bool:
    return any(fragment in str(exc.orig).lower() for fragment in TRANSIENT)


@bp.app_errorhandler(OperationalError)
def database_unavailable(exc: OperationalError):
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone; the session is discarded
        log.warning("rollback after a database fault failed", exc_info=True)
    if not is_transient(exc):
        raise exc
    log.warning("database unavailable (%s); answering 503", exc.orig)
    detail = "The database is busy or cannot be written; nothing was saved. Try again shortly."
    if request.path.startswith("/api/"):
        response = problem(503, detail)
    else:
        response = Response(f"<!doctype html><title>Try again shortly</title><p>{detail}</p>",
                            status=503, mimetype="text/html")
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
