"""The app's Huey instance and "enqueue after commit".

One Huey instance per app, built from configuration:

``HUEY_BACKEND``     ``sqlite`` (default; file ``HUEY_SQLITE_PATH``), ``redis``
                     (``HUEY_REDIS_URL``) or ``memory`` (tests; jobs run by :func:`drain`).
``HUEY_IMMEDIATE``   run jobs synchronously at enqueue time (unit tests).

Tasks are registered on the instance by ``host.sync.tasks.register`` (closures over the app),
so the web process and the worker (``flask --app host worker``) build the same registry from
``create_app``. The queue carries only "work on record N": losing a message loses nothing,
because the sweeper re-enqueues stale pending records from the ledger.

Enqueueing waits for the commit: :func:`enqueue_after_commit` remembers a record on the
session, its id is captured after the flush, and the job is enqueued only from SQLAlchemy's
``after_commit`` event. A rollback forgets it.
"""

from __future__ import annotations

import logging

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

_NEW = "psa_sync_enqueue_objects"
_IDS = "psa_sync_enqueue_ids"


def build_huey(app: Flask):
    from huey import MemoryHuey, RedisHuey, SqliteHuey

    backend = str(app.config.get("HUEY_BACKEND", "sqlite")).lower()
    immediate = bool(app.config.get("HUEY_IMMEDIATE", False))
    common = {"name": "psa", "results": False, "immediate": immediate, "utc": True}
    if backend == "sqlite":
        return SqliteHuey(filename=app.config["HUEY_SQLITE_PATH"], **common)
    if backend == "redis":
        return RedisHuey(url=app.config["HUEY_REDIS_URL"], **common)
    if backend == "memory":
        return MemoryHuey(**common)
    raise ValueError(f"HUEY_BACKEND must be sqlite, redis or memory, not {backend!r}")


def get_huey(app: Flask | None = None):
    app = app or current_app
    return app.extensions["psa_huey"]


def task(name: str, app: Flask | None = None):
    return (app or current_app).extensions["psa_sync_tasks"][name]


def enqueue_record(record_id: int, delay: float | None = None, app: Flask | None = None) -> None:
    """Enqueue "process sync record N" now (or after ``delay`` seconds). Never raises: a queue
    outage is logged and the sweeper picks the record up from the ledger later."""
    try:
        job = task("process_record", app)
        if delay and delay > 0:
            job.schedule(args=(record_id,), delay=delay)
        else:
            job(record_id)
    except Exception:  # noqa: BLE001 - the ledger is the source of truth
        log.exception("could not enqueue sync record %s; the sweeper will retry", record_id)


def enqueue_after_commit(session, record) -> None:
    """Enqueue ``record`` once the session's transaction commits (never before)."""
    real = _real_session(session)
    real.info.setdefault(_NEW, []).append(record)
    real.info["psa_app"] = current_app._get_current_object()


def _real_session(session) -> Session:
    # Flask-SQLAlchemy's db.session is a scoped_session proxy.
    return session() if callable(session) and not isinstance(session, Session) else session


@event.listens_for(Session, "after_flush_postexec")
def _capture_ids(session, flush_context) -> None:
    objects = session.info.get(_NEW)
    if not objects:
        return
    ids = session.info.setdefault(_IDS, [])
    still_new = []
    for obj in objects:
        if obj.id is None:
            still_new.append(obj)
        elif obj.id not in ids:
            ids.append(obj.id)
    session.info[_NEW] = still_new


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session) -> None:
    ids = session.info.pop(_IDS, None)
    app = session.info.pop("psa_app", None)
    session.info.pop(_NEW, None)
    if not ids or app is None:
        return
    for record_id in ids:
        enqueue_record(record_id, app=app)


@event.listens_for(Session, "after_rollback")
def _forget(session) -> None:
    session.info.pop(_IDS, None)
    session.info.pop(_NEW, None)


def drain(app: Flask, limit: int = 1000) -> int:
    """Run queued jobs in this thread until the queue is empty (memory backend in tests).
    Returns the number of jobs run. Scheduled (delayed) jobs are not run."""
    huey = get_huey(app)
    count = 0
    while count < limit:
        job = huey.dequeue()
        if job is None:
            break
        huey.execute(job)
        count += 1
    return count
