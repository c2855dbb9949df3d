"""The import job (host.sync.twoway.importer) over the fake ledger, through the worker's queue.

Pages of two records (``PSA_IMPORT_PAGE_SIZE=2``), so every import here spans several pages.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from synchelpers import records

from host.models import Client, Invoice, ServiceType, SyncLink
from host.models.mixins import utcnow
from host.sync import pause
from host.sync.queue import drain
from host.sync.sweeper import sweep
from host.sync.twoway import importer
from host.sync.twoway.settings import setting_for


@pytest.fixture
def app(make_app, psa_plugins):
    """The app with two records per page."""
    return make_app(plugins=psa_plugins, PSA_IMPORT_PAGE_SIZE=2)


def _customers(ledger, n, start=0):
    return [ledger.create_record("customer", {"name": f"Customer {i}",
                                              "email": f"c{i}@ledger.test"})
            for i in range(start, start + n)]


def _switch_in(db, connection, object):
    setting = setting_for(connection, object)
    setting.direction = "in"
    db.session.commit()
    return setting


def _names(db, model):
    db.session.expire_all()
    return sorted(row.name for row in db.session.scalars(db.select(model)))


def _fresh(db, setting):
    db.session.expire_all()
    return db.session.get(type(setting), setting.id)


def test_an_initial_import_pages_through_and_shows_its_progress(app, db, connection,
                                                                 fake_ledger):
    _customers(fake_ledger, 5)
    setting = _switch_in(db, connection, "customer")
    importer.start(setting)
    assert _fresh(db, setting).import_status == "running"
    drain(app)
    setting = _fresh(db, setting)
    assert (setting.import_status, setting.initial_done) == ("done", True)
    assert (setting.seen, setting.created, setting.failed) == (5, 5, 0)
    assert _names(db, Client) == [f"Customer {i}" for i in range(5)]
    assert setting.cursor.startswith("since:") and setting.locked_until is None


def test_a_worker_killed_mid_import_resumes_after_the_last_page_without_duplicates(
        app, db, connection, fake_ledger, monkeypatch):
    _customers(fake_ledger, 7)
    setting = _switch_in(db, connection, "customer")
    apply_page = importer.APPLY["customer"]
    pages = []

    def killed_on_the_third_page(run, page):
        pages.append(len(page))
        if len(pages) == 3:
            raise SystemExit("worker killed")  # not an Exception: nothing catches it
        apply_page(run, page)

    monkeypatch.setitem(importer.APPLY, "customer", killed_on_the_third_page)
    importer.start(setting)
    with pytest.raises(SystemExit):
        drain(app)
    monkeypatch.setitem(importer.APPLY, "customer", apply_page)
    db.session.rollback()
    setting = _fresh(db, setting)
    assert (setting.import_status, setting.seen, setting.created) == ("running", 4, 4)
    assert len(_names(db, Client)) == 4
    # The dead worker's lease runs out; the sweeper hands the import out again.
    assert importer.stale_setting_ids() == []
    setting.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert importer.stale_setting_ids() == [setting.id]
    sweep()
    drain(app)
    setting = _fresh(db, setting)
    assert (setting.import_status, setting.seen, setting.created) == ("done", 7, 7)
    assert _names(db, Client) == sorted(f"Customer {i}" for i in range(7))
    assert len(db.session.scalars(db.select(SyncLink)).all()) == 7


def test_after_the_import_changes_come_in_through_webhooks(app, client, db, connection,
                                                          fake_ledger):
    (cid,) = _customers(fake_ledger, 1)
    setting = _switch_in(db, connection, "customer")
    importer.start(setting)
    drain(app)
    fake_ledger.edit_record("customer", cid, {"email": "new@ledger.test"})
    (new,) = _customers(fake_ledger, 1, start=9)
    body, headers = fake_ledger.change_webhook("customer", [cid, new])
    assert client.post("/webhooks/fakeprovider", data=body, headers=headers).status_code == 200
    drain(app)
    db.session.expire_all()
    emails = sorted(c.billing_email for c in db.session.scalars(db.select(Client)))
    assert emails == ["c9@ledger.test", "new@ledger.test"]
    assert _fresh(db, setting).updated == 1


def test_direction_off_runs_nothing_and_keeps_the_cursor(app, db, connection, fake_ledger):
    _customers(fake_ledger, 1)
    setting = _switch_in(db, connection, "customer")
    importer.start(setting)
    drain(app)
    cursor = _fresh(db, setting).cursor
    setting = _fresh(db, setting)
    setting.direction = "out"
    db.session.commit()
    _customers(fake_ledger, 1, start=5)
    assert importer.pull(connection, "customer") is False
    assert importer.run_import(setting.id) == "off"
    assert _fresh(db, setting).cursor == cursor and len(_names(db, Client)) == 1
    setting = _fresh(db, setting)
    setting.direction = "both"
    db.session.commit()
    assert importer.pull(connection, "customer") is True
    drain(app)
    assert len(_names(db, Client)) == 2


def test_a_rate_limit_waits_and_a_paused_connection_runs_nothing(app, db, connection,
                                                                 fake_ledger):
    _customers(fake_ledger, 3)
    setting = _switch_in(db, connection, "customer")
    fake_ledger.fail_next("rate_limited", writes_only=False)
    importer.start(setting)
    drain(app)
    setting = _fresh(db, setting)
    assert setting.import_status == "waiting" and "Trying again in" in setting.import_error
    assert setting.locked_until > utcnow() + timedelta(seconds=5)  # not before Retry-After
    assert importer.run_import(setting.id) == "busy"
    setting.locked_until = utcnow() - timedelta(seconds=1)
    db.session.commit()
    pause.pause(connection, "admin@acme.test")
    assert importer.run_import(setting.id) == "waiting"
    assert _names(db, Client) == []
    pause.resume(connection)
    drain(app)  # resuming runs the reconcile pass, which pulls every inbound object
    assert _fresh(db, setting).import_status == "done" and len(_names(db, Client)) == 3


def test_a_revoked_connection_waits_for_reconnection(app, db, connection, fake_ledger):
    _customers(fake_ledger, 1)
    setting = _switch_in(db, connection, "customer")
    fake_ledger.revoke_all()
    importer.start(setting)
    drain(app)
    setting = _fresh(db, setting)
    assert setting.import_status == "waiting" and "reconnected" in setting.import_error


def test_invoices_wait_for_the_customers_first_import_then_come_in_whole(
        app, db, org, connection, fake_ledger):
    (cid,) = _customers(fake_ledger, 1)
    iid = fake_ledger.create_record("item", {"name": "Audit", "sku": "AUD", "unit_price": "90"})
    fake_ledger.create_record("invoice", {
        "customer": cid, "issue_date": "2026-11-01", "due_date": "2026-12-01",
        "lines": [{"item": iid, "description": "Audit", "quantity": "3", "unit_price": "90"}]})
    settings = {o: _switch_in(db, connection, o) for o in ("customer", "item", "invoice")}
    importer.start(settings["invoice"])
    importer.start(settings["customer"])
    importer.start(settings["item"])
    assert importer.run_import(settings["invoice"].id) == "deferred"
    drain(app)
    assert _fresh(db, settings["invoice"]).import_status == "running"
    for object in ("customer", "item"):
        assert _fresh(db, settings[object]).import_status == "done"
    db.session.execute(db.update(type(settings["invoice"])).values(locked_until=None))
    db.session.commit()
    assert importer.run_import(settings["invoice"].id) == "done"
    (invoice,) = db.session.scalars(db.select(Invoice)).all()
    assert (invoice.client.name, invoice.total, invoice.source) == ("Customer 0",
                                                                   Decimal("270.00"),
                                                                   "fakeprovider")
    assert invoice.lines[0].service_type.name == "Audit"
    assert [r.status for r in records("invoice")] == ["synced"]
    assert _names(db, ServiceType) == ["Audit"]


def test_a_provider_that_stays_down_is_retried_with_backoff_then_fails(app, db, connection,
                                                                       fake_ledger):
    _customers(fake_ledger, 1)
    setting = _switch_in(db, connection, "customer")
    app.config["SYNC_MAX_ATTEMPTS"] = 2
    fake_ledger.fail_next_read(times=5)
    importer.start(setting)
    drain(app)
    setting = _fresh(db, setting)
    assert setting.import_status == "waiting" and "Trying again" in setting.import_error
    setting.locked_until = None  # the backoff is over
    db.session.commit()
    assert importer.run_import(setting.id, attempt=2) == "failed"
    setting = _fresh(db, setting)
    assert "Gave up after 2 attempts" in setting.import_error and _names(db, Client) == []


def test_the_reconcile_schedule_and_invoice_webhooks_pull_inbound_objects(
        app, client, db, connection, fake_ledger):
    from host.sync.sweeper import reconcile_connection

    (cid,) = _customers(fake_ledger, 1)
    for object in ("customer", "invoice"):
        setting = _switch_in(db, connection, object)
        importer.start(setting)
    drain(app)
    assert len(_names(db, Client)) == 1
    _customers(fake_ledger, 1, start=3)
    reconcile_connection(connection.id)
    drain(app)
    assert len(_names(db, Client)) == 2
    inv = fake_ledger.create_record("invoice", {
        "customer": cid, "issue_date": "2026-11-01",
        "lines": [{"description": "Audit", "quantity": "1", "unit_price": "40"}]})
    body, headers = fake_ledger.change_webhook("invoice", [inv], operation="Create")
    assert client.post("/webhooks/fakeprovider", data=body, headers=headers).status_code == 200
    drain(app)
    db.session.expire_all()
    (invoice,) = db.session.scalars(db.select(Invoice)).all()
    assert (invoice.number, invoice.total) == (f"INV-{inv}", Decimal("40.00"))


def test_switched_off_between_two_pages_the_import_stops_there(app, db, connection, fake_ledger,
                                                                monkeypatch):
    _customers(fake_ledger, 5)
    setting = _switch_in(db, connection, "customer")
    apply_page = importer.APPLY["customer"]

    def admin_switches_off(run, page):
        apply_page(run, page)
        run.setting.direction = "out"  # saved with the page, as a concurrent save would be

    monkeypatch.setitem(importer.APPLY, "customer", admin_switches_off)
    importer.start(setting)
    drain(app)
    setting = _fresh(db, setting)
    assert (setting.import_status, setting.seen, setting.locked_until) == ("idle", 2, None)
    assert setting.cursor.startswith("list:") and len(_names(db, Client)) == 2


def test_import_again_fences_out_a_pass_still_running_and_lists_from_the_beginning(
        app, db, connection, fake_ledger, monkeypatch):
    from host.integrations import dispatch
    from host.models import SyncObjectSetting

    _customers(fake_ledger, 5)
    setting = _switch_in(db, connection, "customer")
    setting_id = setting.id
    call_owner = dispatch.call_owner
    calls = []

    def admin_presses_import_again_during_the_second_page(connection, hook, **kw):
        calls.append(hook)
        if calls.count("list_records") == 2:
            with app.app_context():  # the admin's own request: another session
                from host.extensions import db as request_db

                importer.start(request_db.session.get(SyncObjectSetting, setting_id),
                               restart=True)
        return call_owner(connection, hook, **kw)

    monkeypatch.setattr(dispatch, "call_owner", admin_presses_import_again_during_the_second_page)
    importer.start(setting)
    assert importer.run_import(setting_id) == "discarded"  # its second page is not written
    setting = _fresh(db, setting)
    assert (setting.cursor, setting.seen) == (None, 0)
    drain(app)
    setting = _fresh(db, setting)
    # the first page's two customers are linked already: listed again, nothing duplicated
    assert (setting.import_status, setting.seen, setting.created) == ("done", 5, 3)
    assert len(_names(db, Client)) == 5


def test_a_page_applied_for_longer_than_the_lease_is_not_handed_out_again(
        app, db, connection, fake_ledger, monkeypatch):
    from host.sync.twoway import import_lease

    _customers(fake_ledger, 7)
    setting = _switch_in(db, connection, "customer")
    lease_seconds = float(app.config.get("SYNC_LEASE_SECONDS", 300))
    late = [timedelta(0)]  # how far the lease's clock has moved on
    monkeypatch.setattr(import_lease, "utcnow", lambda: utcnow() + late[0])
    apply_page = importer.APPLY["customer"]
    pages = []

    def slow_second_page_then_killed(run, page):
        pages.append(len(page))
        if len(pages) == 2:
            late[0] = timedelta(seconds=2 * lease_seconds)  # applying it outlasts the lease
        if len(pages) == 3:
            raise SystemExit("worker killed")
        apply_page(run, page)

    monkeypatch.setitem(importer.APPLY, "customer", slow_second_page_then_killed)
    importer.start(setting)
    with pytest.raises(SystemExit):
        drain(app)
    db.session.rollback()
    setting = _fresh(db, setting)
    assert (setting.seen, setting.created) == (4, 4)
    # the second page's commit renewed the lease: right after it, nobody else may take the
    # pass (and list the third page a second time)
    assert importer.stale_setting_ids(now=utcnow() + late[0]) == []
    assert importer.stale_setting_ids(
        now=utcnow() + late[0] + timedelta(seconds=lease_seconds + 1)) == [setting.id]
