"""One transaction per API request, Idempotency-Key on POST, database faults as 503."""

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from host import events
from host.extensions import db
from host.integrations.testing import create_org
from host.models import Client, IdempotencyKey, Invoice, Payment, User

PROBLEM = "application/problem+json"


def _api(app, org):
    from host.services.api_tokens import create_token

    with app.app_context():
        user = db.session.query(User).filter_by(email=org.admin_email).one()
        token = create_token(user, "ci")[1]
    client = app.test_client()

    def call(method, url, json=None, key=None):
        headers = {"Authorization": f"Bearer {token}"}
        if key is not None:
            headers["Idempotency-Key"] = key
        return client.open(url, method=method, json=json, headers=headers)

    return call


@pytest.fixture
def api(app, org):
    return _api(app, org)


def _count(app, model, **filters) -> int:
    with app.app_context():
        return db.session.query(model).filter_by(**filters).count()


def _disk_full(sender, **_):
    raise OperationalError("INSERT INTO sync_records", {}, sqlite3.OperationalError(
        "database or disk is full"))


@pytest.fixture
def failing_send():
    """The send step fails after the invoice was built (a full disk while writing the outbox)."""
    events.invoice_sent.connect(_disk_full)
    yield
    events.invoice_sent.disconnect(_disk_full)


def test_create_and_send_is_one_transaction(app, api, catalog, failing_send):
    resp = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id, "send": True})
    assert resp.status_code == 503 and resp.mimetype == PROBLEM
    assert int(resp.headers["Retry-After"]) > 0
    assert _count(app, Invoice) == 0  # no orphan draft
    assert api("GET", "/api/v1/invoices").get_json()["total"] == 0


def test_idempotency_key_returns_the_first_result(app, api, catalog):
    body = {"project_id": catalog.project_id, "send": True}
    first = api("POST", "/api/v1/invoices", json=body, key="order-42")
    assert first.status_code == 201
    again = api("POST", "/api/v1/invoices", json=body, key="order-42")
    assert again.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["number"] == first.get_json()["number"]
    assert _count(app, Invoice) == 1
    other = api("POST", "/api/v1/invoices", json=body, key="order-43")
    assert other.status_code == 201 and _count(app, Invoice) == 2


def test_idempotency_key_with_another_body_is_a_problem(app, api, catalog):
    api("POST", "/api/v1/clients", json={"name": "Initech"}, key="k1")
    resp = api("POST", "/api/v1/clients", json={"name": "Initrode"}, key="k1")
    assert resp.status_code == 422 and resp.mimetype == PROBLEM
    assert resp.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert _count(app, Client, name="Initrode") == 0


def test_idempotency_key_after_a_failure_can_be_retried(app, api, catalog, failing_send):
    body = {"project_id": catalog.project_id, "send": True}
    assert api("POST", "/api/v1/invoices", json=body, key="retry-me").status_code == 503
    assert _count(app, IdempotencyKey) == 0  # a failed request stores no answer
    events.invoice_sent.disconnect(_disk_full)
    resp = api("POST", "/api/v1/invoices", json=body, key="retry-me")
    assert resp.status_code == 201 and resp.get_json()["status"] == "sent"
    assert _count(app, Invoice) == 1


def test_idempotency_keys_are_per_organization(app, api, catalog):
    other = create_org(app, name="Other Co", admin_email="a@other.test",
                       member_email="m@other.test")
    other_api = _api(app, other)
    a = api("POST", "/api/v1/clients", json={"name": "Same"}, key="shared")
    b = other_api("POST", "/api/v1/clients", json={"name": "Same"}, key="shared")
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]


def test_idempotent_payment_is_recorded_once(app, api, catalog):
    iid = api("POST", "/api/v1/invoices",
              json={"project_id": catalog.project_id, "send": True}).get_json()["id"]
    for _ in range(2):
        resp = api("POST", f"/api/v1/invoices/{iid}/payments", json={"amount": "10.00"},
                   key="pay-1")
        assert resp.status_code == 201
    assert _count(app, Payment) == 1


def test_too_long_idempotency_key_is_a_problem(api, catalog):
    resp = api("POST", "/api/v1/clients", json={"name": "X"}, key="k" * 300)
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["field"] == "Idempotency-Key"


# -- database faults ---------------------------------------------------------------------------

def _database_file(app) -> Path:
    return Path(app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"))


def test_locked_database_is_503_with_retry_after(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})
    org = create_org(app)
    api = _api(app, org)
    holder = sqlite3.connect(_database_file(app), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        resp = api("POST", "/api/v1/clients", json={"name": "Locked Out"})
        assert resp.status_code == 503 and resp.mimetype == PROBLEM
        assert int(resp.headers["Retry-After"]) > 0
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _count(app, Client, name="Locked Out") == 0
    assert api("POST", "/api/v1/clients", json={"name": "Locked Out"}).status_code == 201


def test_read_only_database_is_503(make_app):
    from host import create_app

    app = make_app()
    org = create_org(app)
    path = _database_file(app)
    readonly = create_app({**{k: app.config[k] for k in (
        "TESTING", "SECRET_KEY", "INSTANCE_DIR", "HUEY_BACKEND", "HUEY_IMMEDIATE",
        "HUEY_SQLITE_PATH", "PSA_DISABLE_PLUGIN_AUTOLOAD", "PSA_PLUGINS")},
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///file:{path}?mode=ro&uri=true"})
    with app.app_context():
        from host.services.api_tokens import create_token

        user = db.session.query(User).filter_by(email=org.admin_email).one()
        secret = create_token(user, "ro")[1]
    resp = readonly.test_client().post("/api/v1/clients", json={"name": "Nope"},
                                       headers={"Authorization": f"Bearer {secret}"})
    assert resp.status_code == 503 and resp.mimetype == PROBLEM
    assert int(resp.headers["Retry-After"]) > 0
    with readonly.app_context():
        db.engine.dispose()
    assert _count(app, Client, name="Nope") == 0


def test_locked_database_on_a_page_is_503_too(make_app):
    from factories import csrf_from

    from host.integrations.testing import login

    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"timeout": 0.2}})
    org = create_org(app)
    browser = login(app.test_client(), org.admin_email, org.password)
    token = csrf_from(browser, "/clients/new")
    holder = sqlite3.connect(_database_file(app), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        resp = browser.post("/clients/new", data={"name": "Locked Out", "csrf_token": token})
        assert resp.status_code == 503 and int(resp.headers["Retry-After"]) > 0
        assert "Try again" in resp.get_data(as_text=True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert _count(app, Client, name="Locked Out") == 0


def test_same_key_racing_a_committed_request_answers_the_first(app, api, catalog, monkeypatch):
    from host.services import idempotency

    body = {"project_id": catalog.project_id}
    first = api("POST", "/api/v1/invoices", json=body, key="race")
    real = idempotency.stored_answer
    calls = []

    def looked_before_the_other_committed(*args):
        calls.append(args)
        return None if len(calls) == 1 else real(*args)

    monkeypatch.setattr(idempotency, "stored_answer", looked_before_the_other_committed)
    second = api("POST", "/api/v1/invoices", json=body, key="race")
    assert second.status_code == 201 and second.get_json()["id"] == first.get_json()["id"]
    assert second.headers["Idempotent-Replayed"] == "true"
    assert _count(app, Invoice) == 1


def test_a_number_taken_concurrently_retries_the_whole_request(app, api, catalog, monkeypatch):
    from host.services import invoicing, numbering

    api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id})  # INV-0001
    calls = []

    def stale_then_real(model, org_id, prefix):
        calls.append(prefix)
        if len(calls) == 1:
            return 1, f"{prefix}0001"  # what a request that lost the race would have read
        return numbering.next_number(model, org_id, prefix)

    monkeypatch.setattr(invoicing, "next_number", stale_then_real)
    resp = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id, "send": True})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["number"] == "INV-0002" and resp.get_json()["status"] == "sent"
    assert len(calls) == 2 and _count(app, Invoice) == 2


def test_an_idempotency_key_expires_after_its_retention(app, api, catalog):
    from datetime import timedelta

    from host.services import idempotency

    first = api("POST", "/api/v1/clients", json={"name": "Kept"}, key="daily-import")
    assert api("POST", "/api/v1/clients", json={"name": "Kept"},
               key="daily-import").get_json()["id"] == first.get_json()["id"]
    with app.app_context():
        row = db.session.query(IdempotencyKey).one()
        row.created_at -= idempotency.RETENTION + timedelta(minutes=1)
        db.session.commit()
    # past the retention the key is free again: the new request runs
    resp = api("POST", "/api/v1/clients", json={"name": "Other"}, key="daily-import")
    assert resp.status_code == 201 and resp.get_json()["name"] == "Other"
    assert _count(app, IdempotencyKey) == 1


def test_the_hourly_housekeeping_purges_expired_keys_only(app, api, catalog):
    from datetime import timedelta

    from host.services import idempotency

    api("POST", "/api/v1/clients", json={"name": "Old"}, key="old-import")
    api("POST", "/api/v1/clients", json={"name": "New"}, key="new-import")
    with app.app_context():
        old = db.session.query(IdempotencyKey).filter_by(key="old-import").one()
        old.created_at -= idempotency.RETENTION + timedelta(minutes=1)
        db.session.commit()
    housekeeping = app.extensions["psa_sync_tasks"]["housekeeping"]
    assert housekeeping.call_local()["idempotency_keys"] == 1  # the worker's periodic task
    with app.app_context():
        assert [row.key for row in db.session.query(IdempotencyKey)] == ["new-import"]


def test_full_disk_is_503_and_saves_nothing(make_app):
    """A real SQLITE_FULL: the database may not grow by a page (``max_page_count``)."""
    import sqlalchemy as sa
    from factories import make_catalog

    app = make_app()
    org = create_org(app)
    catalog = make_catalog(app, org)
    api = _api(app, org)
    with app.app_context():
        pages = db.session.execute(sa.text("PRAGMA page_count")).scalar()
        free = db.session.execute(sa.text("PRAGMA freelist_count")).scalar()

        @sa.event.listens_for(db.engine, "connect")
        def no_growth(dbapi_connection, _record):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

        db.engine.dispose()
    lines = [{"description": "x" * 500, "quantity": "1", "unit_price": "1"}] * (20 + 2 * free)
    resp = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id, "send": True,
                                                 "memo": "m" * 2000, "lines": lines})
    assert resp.status_code == 503 and resp.mimetype == PROBLEM, resp.get_data(as_text=True)
    assert int(resp.headers["Retry-After"]) > 0
    assert _count(app, Invoice) == 0
