"""The worker's job against the fake provider (over real HTTP to the fake ledger): outcomes,
error categories, retries with the same idempotency key, leases and the sweeper."""

from datetime import timedelta

import fakeledger
import pytest
from synchelpers import make_invoice, queued_record_ids, records

from host.models.mixins import utcnow
from host.sync import outbox, sweeper
from host.sync.queue import drain
from host.sync.lease import claim
from host.sync.tasks import process_sync_record

LEDGER = fakeledger.LEDGER


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def _sent_record(app, org, db):
    make_invoice(org, send=True)
    (record,) = records("invoice")
    return record


def test_pending_record_is_pushed_once_and_synced_with_number_and_link(app, org, db, connection):
    record = _sent_record(app, org, db)
    assert drain(app) == 1
    db.session.expire_all()
    assert record.status == "synced"
    (pushed,) = LEDGER.invoices()
    assert record.external_id == pushed["id"]
    assert record.number == pushed["number"]
    assert record.deep_link.endswith(f"/app/{pushed['id']}")
    assert [e.kind for e in record.events] == ["queued", "started", "synced"]
    # A duplicate queue message changes nothing and pushes nothing.
    assert process_sync_record(record.id) == "skipped"
    assert len(LEDGER.invoices()) == 1


@pytest.mark.parametrize("fault,status,category", [
    ("validation", "failed", "validation"),
    ("conflict", "failed", "conflict"),
    ("rate_limited", "pending", "rate_limited"),
    ("provider_down", "pending", "provider_down"),
])
def test_each_error_category_is_recorded_with_message_and_fix(
        app, org, db, connection, fault, status, category):
    record = _sent_record(app, org, db)
    LEDGER.fail_next(fault)
    drain(app)
    db.session.expire_all()
    assert record.status == status
    assert record.error_category == category
    assert record.error_message
    assert record.error_fix
    if status == "pending":  # retryable: backed off, at least Retry-After for a 429
        assert record.next_attempt_at > utcnow() + timedelta(seconds=5 if fault == "rate_limited"
                                                            else 0)


def test_retry_of_a_failed_record_keeps_the_key_and_syncs(app, org, db, connection):
    record = _sent_record(app, org, db)
    key = record.idempotency_key
    LEDGER.fail_next("validation")
    drain(app)
    db.session.expire_all()
    assert record.status == "failed"
    outbox.retry(record, actor="admin")
    db.session.commit()
    drain(app)
    db.session.expire_all()
    assert (record.status, record.idempotency_key) == ("synced", key)
    assert record.error_category is None
    assert len(LEDGER.invoices()) == 1


def test_lost_response_is_retried_with_the_same_key_and_creates_no_duplicate(
        app, org, db, connection):
    record = _sent_record(app, org, db)
    LEDGER.fail_next("lost_response")
    drain(app)
    db.session.expire_all()
    assert record.status == "pending" and record.error_category == "provider_down"
    # The first write (the customer) landed at the ledger; its answer was lost.
    assert len(LEDGER.customers) == 1
    record.next_attempt_at = utcnow()
    db.session.commit()
    assert process_sync_record(record.id) == "synced"
    assert len(LEDGER.customers) == 1
    assert len(LEDGER.invoices()) == 1


def test_revoked_credentials_park_the_record_until_reconnection(app, org, db, connection):
    record = _sent_record(app, org, db)
    LEDGER.revoke_all()
    drain(app)
    db.session.expire_all()
    assert record.status == "waiting_reauth"
    assert record.error_category == "auth"
    # The admin reconnects (new tokens); helper-4's flow then calls resume_connection.
    from host.security.crypto import encrypt_tokens

    connection.token_ciphertext = encrypt_tokens(LEDGER.issue_tokens(), app)
    connection.status = "connected"
    db.session.commit()
    assert outbox.resume_connection(connection.id) == 1
    drain(app)
    db.session.expire_all()
    assert record.status == "synced"


def test_only_one_claim_wins_and_an_expired_lease_is_claimable_again(app, org, db, connection):
    record = _sent_record(app, org, db)
    assert claim(record.id, lease_seconds=60) == 1
    assert claim(record.id, lease_seconds=60) is None
    db.session.expire_all()
    record.locked_until = utcnow() - timedelta(seconds=1)  # the worker died mid-job
    db.session.commit()
    assert sweeper.stale_record_ids() == [record.id]
    assert claim(record.id, lease_seconds=60) == 2  # a new claim, a new fencing token


def test_sweeper_requeues_a_record_whose_queue_message_was_lost(app, org, db, connection):
    record = _sent_record(app, org, db)
    app.extensions["psa_huey"].flush()  # the message is lost
    assert queued_record_ids(app) == []
    assert sweeper.stale_record_ids() == []  # not stale yet
    record.updated_at = utcnow() - timedelta(seconds=app.config["SYNC_STALE_PENDING_SECONDS"] + 1)
    db.session.commit()
    assert sweeper.sweep() == 1
    drain(app)
    db.session.expire_all()
    assert record.status == "synced"
    assert len(LEDGER.invoices()) == 1


def test_unexpected_exception_fails_the_record_as_internal(app, org, db, connection, monkeypatch):
    record = _sent_record(app, org, db)
    from host.sync import tasks

    def broken(record):
        raise KeyError("line 3 has no tax rate")

    monkeypatch.setattr(tasks, "build_call", broken)
    drain(app)
    db.session.expire_all()
    assert record.status == "failed"
    assert record.error_category == "internal"
    assert "KeyError" in record.error_message


def test_sweeper_resumes_parked_records_once_the_connection_is_reconnected(
        app, org, db, connection):
    from host.security.crypto import encrypt_tokens

    record = _sent_record(app, org, db)
    LEDGER.revoke_all()
    drain(app)
    db.session.expire_all()
    assert record.status == "waiting_reauth"
    assert sweeper.sweep() == 0  # still needs the admin
    connection.token_ciphertext = encrypt_tokens(LEDGER.issue_tokens(), app)
    connection.status = "connected"
    db.session.commit()
    sweeper.sweep()
    drain(app)
    db.session.expire_all()
    assert record.status == "synced"
    assert len(LEDGER.invoices()) == 1
