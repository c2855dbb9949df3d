"""A hook that hangs past the sync lease (host.sync.lease): the heartbeat keeps the record
claimed, so no second worker runs it beside the first; a worker whose lease was taken over
anyway has its result discarded, and the record keeps the newer attempt's outcome.

The hook "hangs" on a ``threading.Event`` the test releases, in a worker thread of its own.
Time is a clock the test moves (the lease's clock), so nothing depends on how fast the
machine is: waits are for conditions, never for durations.
"""

import threading
import time
from contextlib import contextmanager
from datetime import timedelta

import fakeledger
import pytest
import sqlalchemy as sa
from synchelpers import make_invoice, queued_record_ids, records

from host.models import SyncRecord
from host.models.mixins import utcnow
from host.services.invoicing import send_invoice
from host.sync import lease, sweeper
from host.sync.queue import drain
from host.sync.tasks import process_sync_record

LEDGER = fakeledger.LEDGER
PATIENCE = 60  # seconds before a wait for a condition gives up (a failed test, not a slow one)


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


class Clock:
    """The lease's clock (claims, renewals), moved by the test."""

    def __init__(self, monkeypatch) -> None:
        self.now = utcnow()
        monkeypatch.setattr(lease, "utcnow", lambda: self.now)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class HangingHook:
    """Wraps the host's call into the plugin: the first call hangs until :attr:`release` is
    set (then really pushes to the fake ledger); later calls go straight through. ``sent``
    keeps what each call was given."""

    def __init__(self, monkeypatch) -> None:
        from host.integrations import dispatch

        self.entered = threading.Event()
        self.release = threading.Event()
        self.sent: list[dict] = []
        call = dispatch.call_owner

        def hanging(connection, hook, **kwargs):
            self.sent.append(kwargs)
            if len(self.sent) == 1:
                self.entered.set()
                self.release.wait(PATIENCE)
            return call(connection, hook, **kwargs)

        monkeypatch.setattr(dispatch, "call_owner", hanging)


@contextmanager
def first_worker(app, record_id: int, hook: HangingHook):
    """Process ``record_id`` in a worker thread until its hook hangs; on exit, release the hook
    and wait for the worker. Yields the list its outcome is appended to."""
    from host.extensions import db

    outcome: list[str] = []

    def work():
        with app.app_context():
            try:
                outcome.append(process_sync_record(record_id))
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        assert hook.entered.wait(PATIENCE), "the first worker never reached the hook"
        yield outcome
    finally:
        hook.release.set()
        thread.join(PATIENCE)
    assert not thread.is_alive(), "the first worker did not finish after its hook returned"


def locked_until(db, record_id: int):
    """The record's lease as the database holds it (the read transaction is ended at once, so
    the worker's heartbeat can write)."""
    value = db.session.scalar(sa.select(SyncRecord.locked_until)
                              .where(SyncRecord.id == record_id))
    db.session.rollback()
    return value


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + PATIENCE
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting until {what}"
        time.sleep(0.01)


def sent_record_id(app, org, db) -> int:
    """A sent invoice's record, its queue message taken (the first worker processes it)."""
    make_invoice(org, send=True)
    (record,) = records("invoice")
    record_id = record.id
    db.session.rollback()
    assert queued_record_ids(app) == [record_id]
    app.extensions["psa_huey"].flush()
    return record_id


def history(db, record_id: int) -> list[str]:
    db.session.expire_all()
    return [event.kind for event in db.session.get(SyncRecord, record_id).events]


def test_a_hook_hanging_past_its_lease_keeps_the_record_while_the_heartbeat_runs(
        app, org, db, connection, monkeypatch):
    app.config.update(SYNC_LEASE_SECONDS=60, SYNC_HEARTBEAT_SECONDS=0.01)
    clock = Clock(monkeypatch)
    record_id = sent_record_id(app, org, db)
    hook = HangingHook(monkeypatch)
    with first_worker(app, record_id, hook) as outcome:
        claimed_until = locked_until(db, record_id)
        clock.advance(600)  # the hook hangs ten times as long as the lease
        assert claimed_until < clock.now
        wait_until(lambda: locked_until(db, record_id) > clock.now,
                   "the heartbeat renewed the lease")
        # A second worker (a duplicate message, the sweeper's) does not get the record.
        assert lease.claim(record_id, lease_seconds=60) is None
        assert process_sync_record(record_id) == "skipped"
        assert sweeper.stale_record_ids(now=clock.now) == []
    assert outcome == ["synced"]
    assert len(hook.sent) == 1
    db.session.expire_all()
    record = db.session.get(SyncRecord, record_id)
    (pushed,) = LEDGER.invoices()
    assert (record.status, record.number, record.locked_until) == ("synced", pushed["number"],
                                                                   None)
    assert history(db, record_id) == ["queued", "started", "synced"]


def test_a_worker_whose_lease_was_taken_over_has_its_result_discarded(
        app, org, db, connection, monkeypatch):
    # The first worker's heartbeat does not beat during this test: as if its process had
    # stalled, its lease lapses and a second worker takes the record over.
    app.config.update(SYNC_LEASE_SECONDS=60, SYNC_HEARTBEAT_SECONDS=3600)
    clock = Clock(monkeypatch)
    record_id = sent_record_id(app, org, db)
    hook = HangingHook(monkeypatch)
    with first_worker(app, record_id, hook) as outcome:
        clock.advance(61)
        assert sweeper.stale_record_ids(now=clock.now) == [record_id]
        assert process_sync_record(record_id) == "synced"  # the newer attempt
        LEDGER.fail_next("validation")  # what the stale attempt gets back
    assert outcome == ["discarded"]
    assert len(hook.sent) == 2
    db.session.expire_all()
    record = db.session.get(SyncRecord, record_id)
    (pushed,) = LEDGER.invoices()
    assert (record.status, record.number, record.error_category) == ("synced", pushed["number"],
                                                                     None)
    assert record.lease_token == 2
    assert history(db, record_id) == ["queued", "started", "started", "synced", "discarded"]
    assert "its error was discarded" in record.events[-1].message


def test_an_invoice_sent_again_while_its_push_hangs_is_updated_after_it_not_beside_it(
        app, org, db, connection, monkeypatch):
    app.config.update(SYNC_LEASE_SECONDS=60, SYNC_HEARTBEAT_SECONDS=0.01)
    record_id = sent_record_id(app, org, db)
    (record,) = records("invoice")
    invoice_id = record.object_id
    db.session.rollback()
    hook = HangingHook(monkeypatch)
    with first_worker(app, record_id, hook) as outcome:
        from host.models import Invoice

        send_invoice(db.session.get(Invoice, invoice_id))  # edited and sent again
        assert queued_record_ids(app) == [record_id]
        assert drain(app) == 1  # the newer version's job: the running push holds the record
        assert len(hook.sent) == 1
    assert outcome == ["pending"]  # synced, and the newer version queued behind it
    assert drain(app) == 1
    db.session.expire_all()
    record = db.session.get(SyncRecord, record_id)
    assert record.status == "synced" and record.operation == "update"
    first, second = (sent["invoice"] for sent in hook.sent)
    # The newer version went out after the first push, as an update of what it created.
    assert first.external is None
    assert second.external.external_id == LEDGER.invoices()[0]["id"]
