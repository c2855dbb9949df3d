"""The lease a worker holds on a sync record while the plugin's hook runs: claim, heartbeat, fence.

A hook may hang (a provider that never answers, a plugin stuck in a loop) for longer than any
lease a host can choose. The rules that keep one record from being sent twice side by side:

* **Claim.** One atomic ``UPDATE`` hands the record to one worker: it must be ``pending`` and
  due, or ``in_progress``, and in both cases its lease (``locked_until``) must be free (never
  taken, or expired). The same ``UPDATE`` increments ``lease_token``, the **fencing token**:
  the claim's number, which the winner keeps (:func:`claim` returns it).
* **Heartbeat.** While the hook runs, a thread of the worker (:class:`Heartbeat`) pushes
  ``locked_until`` forward every ``SYNC_HEARTBEAT_SECONDS`` (default: a third of
  ``SYNC_LEASE_SECONDS``), only while ``lease_token`` is still its own. A hang of any length
  keeps the record claimed, so no sweeper or second worker takes it; a worker that dies stops
  beating and its lease expires, so the record is handed out again (same idempotency key).
* **Fence.** The result is written only by the claim that still holds the record: the
  transaction writing it opens with :func:`fence`, an ``UPDATE ... WHERE lease_token = ours``
  that also releases the lease. It takes the row's write lock, so no claim slips between the
  check and the write. When it matches nothing, a newer claim took the record after this
  worker's lease lapsed (its heartbeat could not renew: a stalled process, a lost database):
  this worker's result is discarded and logged, and the newer attempt's outcome stands.

A record re-armed while a worker pushes it (the invoice re-sent after an edit) goes back to
``pending`` with its lease left in place (``host.sync.outbox.queue_record``): it is claimed
again only after the running push wrote its result, which enqueues the newer version.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from host.extensions import db
from host.models.connection import Connection
from host.models.mixins import utcnow
from host.models.sync_record import SyncRecord

log = logging.getLogger(__name__)

#: The share of the lease between two heartbeats when ``SYNC_HEARTBEAT_SECONDS`` is not set.
HEARTBEATS_PER_LEASE = 3


def lease_free(now):
    """SQL condition: nobody holds the record's lease at ``now``."""
    return sa.or_(SyncRecord.locked_until.is_(None), SyncRecord.locked_until < now)


def claim(record_id: int, lease_seconds: float, commit: bool = True) -> int | None:
    """Claim ``record_id`` for ``lease_seconds``; returns the fencing token, or None when the
    record is not due, not claimable, paused, or held by a live lease.

    ``commit=False`` leaves the winner's transaction open (the worker writes its "started"
    event in it); a loser's is always ended."""
    now = utcnow()
    due = sa.or_(SyncRecord.next_attempt_at.is_(None), SyncRecord.next_attempt_at <= now)
    won = db.session.execute(
        sa.update(SyncRecord)
        .where(
            SyncRecord.id == record_id,
            SyncRecord.connection_id.not_in(
                sa.select(Connection.id).where(Connection.sync_paused_at.is_not(None))),
            lease_free(now),
            sa.or_(sa.and_(SyncRecord.status == "pending", due),
                   SyncRecord.status == "in_progress"),
        )
        .values(status="in_progress", locked_until=now + timedelta(seconds=lease_seconds),
                lease_token=SyncRecord.lease_token + 1, attempts=SyncRecord.attempts + 1,
                updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    token = None
    if won:
        token = db.session.scalar(sa.select(SyncRecord.lease_token)
                                  .where(SyncRecord.id == record_id))
    if commit or not won:
        db.session.commit()
    return token


def renew(engine: Engine, record_id: int, token: int, lease_seconds: float) -> bool:
    """Push the lease of ``record_id`` forward if ``token`` still holds it (its own short
    transaction on ``engine``, never the caller's session). False: the lease was taken over."""
    with engine.begin() as conn:
        return conn.execute(
            sa.update(SyncRecord.__table__)
            .where(SyncRecord.id == record_id, SyncRecord.lease_token == token)
            .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
        ).rowcount == 1


def fence(record_id: int, token: int) -> bool:
    """Open the transaction that writes the result of claim ``token``: release the lease if
    the claim still holds it. True: go on and write (the row stays locked until the commit);
    False: a newer claim owns the record, roll back and write nothing."""
    return db.session.execute(
        sa.update(SyncRecord)
        .where(SyncRecord.id == record_id, SyncRecord.lease_token == token)
        .values(locked_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount == 1


def heartbeat_seconds(config) -> float:
    """Seconds between two renewals: ``SYNC_HEARTBEAT_SECONDS``, or a third of the lease."""
    lease_seconds = float(config.get("SYNC_LEASE_SECONDS", 300))
    every = config.get("SYNC_HEARTBEAT_SECONDS")
    return float(every) if every else lease_seconds / HEARTBEATS_PER_LEASE


class Heartbeat:
    """Keeps claim ``token`` of ``record_id`` alive while the ``with`` block runs.

    A daemon thread renews the lease every ``every`` seconds on ``engine`` (a connection of
    its own). It stops when the block ends, or by itself once a renewal finds the lease taken
    over (the fence then discards the result). A renewal that fails (the database busy) is
    logged and tried again at the next beat, while the lease still runs.

    ``renew_with`` is the renewal (default :func:`renew`, for sync records); the importer's lease
    on an object setting passes its own (``host.sync.twoway.import_lease.renew``)."""

    def __init__(self, engine: Engine, record_id: int, token: int, lease_seconds: float,
                 every: float, renew_with=None) -> None:
        self.engine, self.record_id, self.token = engine, record_id, token
        self._renew = renew_with or renew
        self.lease_seconds, self.every = lease_seconds, every
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"sync-heartbeat-{record_id}")

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            try:
                held = self._renew(self.engine, self.record_id, self.token, self.lease_seconds)
            except Exception:  # noqa: BLE001 - a missed beat; the lease has time left
                log.exception("sync record %s: could not renew lease %s", self.record_id,
                              self.token)
                continue
            if not held:
                log.warning("sync record %s: lease %s was taken over by a newer claim while "
                            "its hook ran", self.record_id, self.token)
                return
