"""The importer's lease on an object setting: one pass of one object at a time.

The same rules as a sync record's lease (``host.sync.lease``), on
``SyncObjectSetting.locked_until`` / ``lease_token``:

* **Claim**: one atomic ``UPDATE`` takes the setting when no live lease holds it and numbers
  the claim (the fencing token). A second pass of the same object (a webhook arriving during
  the import, the schedule) finds it held and does nothing: passes are coalesced.
* **Heartbeat**: while the plugin lists a page, ``locked_until`` is pushed forward
  (``host.sync.lease.Heartbeat`` with :func:`renew`), so a slow provider never lets a second
  pass start beside it; a killed worker stops beating and its lease expires, and the sweeper
  hands the import out again (it resumes from the stored cursor).
* **Fence**: the transaction that writes a page's records, cursor and counts opens with
  :func:`fence`, which checks the claim still holds the setting and extends its lease (or,
  with ``release=True``, frees it). A claim that lost the setting writes nothing.
* **Not before**: a pass waiting for the provider's rate limit or a backoff keeps the setting
  leased until its next attempt (:func:`hold_until`), so neither the sweeper nor a webhook
  starts it early.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from host.extensions import db
from host.models import SyncObjectSetting
from host.models.connection import Connection
from host.models.mixins import utcnow


def lease_free(now: datetime):
    """SQL condition: nobody holds the setting's lease at ``now``."""
    return sa.or_(SyncObjectSetting.locked_until.is_(None), SyncObjectSetting.locked_until < now)


def claim(setting_id: int, lease_seconds: float) -> int | None:
    """Claim the setting for ``lease_seconds``; the fencing token, or None when a live lease
    holds it or its connection's sync is paused. Commits."""
    now = utcnow()
    won = db.session.execute(
        sa.update(SyncObjectSetting)
        .where(SyncObjectSetting.id == setting_id, lease_free(now),
               SyncObjectSetting.connection_id.not_in(
                   sa.select(Connection.id).where(Connection.sync_paused_at.is_not(None))))
        .values(locked_until=now + timedelta(seconds=lease_seconds),
                lease_token=SyncObjectSetting.lease_token + 1)
        .execution_options(synchronize_session=False)).rowcount == 1
    token = None
    if won:
        token = db.session.scalar(sa.select(SyncObjectSetting.lease_token)
                                  .where(SyncObjectSetting.id == setting_id))
    db.session.commit()
    return token


def renew(engine: Engine, setting_id: int, token: int, lease_seconds: float) -> bool:
    """Push the lease forward if ``token`` still holds it (its own short transaction)."""
    with engine.begin() as conn:
        return conn.execute(
            sa.update(SyncObjectSetting.__table__)
            .where(SyncObjectSetting.id == setting_id, SyncObjectSetting.lease_token == token)
            .values(locked_until=utcnow() + timedelta(seconds=lease_seconds))
        ).rowcount == 1


def fence(setting_id: int, token: int, lease_seconds: float, *, release: bool = False) -> bool:
    """Open the transaction that writes claim ``token``'s results: True when the claim still
    holds the setting (its lease extended, or freed with ``release``), False when a newer
    claim took it over (roll back, write nothing)."""
    until = None if release else utcnow() + timedelta(seconds=lease_seconds)
    return db.session.execute(
        sa.update(SyncObjectSetting)
        .where(SyncObjectSetting.id == setting_id, SyncObjectSetting.lease_token == token)
        .values(locked_until=until)
        .execution_options(synchronize_session=False)).rowcount == 1


def hold_until(setting_id: int, token: int, seconds: float) -> bool:
    """Keep the setting leased ``seconds`` more (a pass waiting for its next attempt)."""
    return fence(setting_id, token, seconds)
