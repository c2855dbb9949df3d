"""Two-way sync end to end over real HTTP, with a real worker process (issue 12, "Done when").

What the accountant does happens on the QuickBooks sandbox's own pages; what reaches the host
is read back from the host's records. An object's inbound direction is switched on the way the
Manage page's "What syncs" section does it (the object's setting, then
``host.sync.twoway.importer.start``).

* an invoice created on the sandbox's page arrives (webhook -> incremental pass) with its
  client, lines and tax; received in full on the sandbox's page, it shows paid in the host;
* a created-after filter in the future imports nothing;
* 500 customers and 200 products imported with the worker killed in the middle: resumed after
  the last page applied, no duplicates;
* a customer edited on both sides: "Use QuickBooks data" takes the ledger's name, "Use PSA
  data" keeps the host's and sends it back to QuickBooks; the link's history says what was
  overwritten.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from host.integrations.e2e import poll_for
from psa_quickbooks.sandbox import US_REALM
from qbo_e2ekit import Books, connect, disconnect, entity, running_world

pytestmark = pytest.mark.e2e

VERIFIER_TOKEN = "e2e-qbo-twoway-verifier-token"
PAGE_SIZE = 25


@pytest.fixture(scope="module")
def world(psa_template_db, tmp_path_factory):
    """The sandbox and the host with a worker; small import pages and a short lease so a
    killed worker's import is handed out again within the test."""
    with running_world(psa_template_db(("quickbooks",)), tmp_path_factory.mktemp("qbo-twoway"),
                       verifier_token=VERIFIER_TOKEN,
                       sandbox_config={"QBO_WEBHOOK_BATCH_SECONDS": 0.2},
                       config={"RECONCILE_INTERVAL_MINUTES": 59,
                               "PSA_IMPORT_PAGE_SIZE": PAGE_SIZE,
                               "SYNC_LEASE_SECONDS": 15}) as world:
        yield world


@pytest.fixture
def tenant(world):
    """A new organization connected to the US company, webhooks aimed at the host."""
    world.control("POST", "reset")
    world.webhooks("legacy")
    tenant = connect(world)
    yield tenant
    world.webhooks(None)
    disconnect(tenant)


@pytest.fixture
def books(world):
    b = Books(world)
    yield b
    b.close()


# -- the host's side ------------------------------------------------------------------------------


def switch_on(world, tenant, object: str, direction: str = "both", *, conflict: str = "host",
              filters: dict | None = None) -> None:
    """What the "What syncs" section does when the admin turns an inbound direction on."""
    from host.extensions import db
    from host.models.connection import Connection
    from host.sync.twoway import importer
    from host.sync.twoway.settings import setting_for

    with world.env.app.app_context():
        setting = setting_for(db.session.get(Connection, tenant.connection_id), object)
        setting.direction, setting.conflict = direction, conflict
        setting.filters = dict(filters or {})
        db.session.commit()
        importer.start(setting)
        db.session.remove()


def setting_state(world, tenant, object: str) -> dict:
    from host.extensions import db
    from host.models.connection import Connection
    from host.sync.twoway.settings import setting_for

    with world.env.app.app_context():
        s = setting_for(db.session.get(Connection, tenant.connection_id), object)
        state = {"status": s.import_status, "initial_done": s.initial_done, "seen": s.seen,
                 "created": s.created, "matched": s.matched, "skipped": s.skipped,
                 "failed": s.failed, "error": s.import_error}
        db.session.commit()
        db.session.remove()
    return state


def wait_imported(world, tenant, object: str, timeout: float = 120.0) -> dict:
    return poll_for(lambda: setting_state(world, tenant, object),
                    lambda s: s["initial_done"] and s["status"] in ("done", "failed"),
                    timeout=timeout, what=f"the {object} import")


def link(world, tenant, object: str, external_id: str) -> dict | None:
    from host.extensions import db
    from host.models import SyncLink

    with world.env.app.app_context():
        row = db.session.scalars(db.select(SyncLink).filter_by(
            connection_id=tenant.connection_id, object=object, external_id=external_id)).first()
        out = None if row is None else {
            "host_id": row.host_id, "status": row.status, "reason": row.reason,
            "history": [(e.kind, e.message, e.changes) for e in row.events]}
        db.session.remove()
    return out


def host_invoice(world, invoice_id: int) -> dict:
    from host.extensions import db
    from host.models import Invoice

    with world.env.app.app_context():
        inv = db.session.get(Invoice, invoice_id)
        out = {"client": inv.client.name, "source": inv.source, "status": inv.status,
               "number": inv.number, "tax_total": inv.tax_total, "total": inv.total,
               "lines": [(ln.description, ln.quantity, ln.unit_price) for ln in inv.lines]}
        db.session.remove()
    return out


def clients(world, tenant) -> list[str]:
    from host.extensions import db
    from host.models import Client

    with world.env.app.app_context():
        names = [c.name for c in db.session.scalars(
            db.select(Client).filter_by(organization_id=tenant.org_id))]
        db.session.remove()
    return names


def service_types(world, tenant) -> list[str]:
    from host.extensions import db
    from host.models import ServiceType

    with world.env.app.app_context():
        names = [s.name for s in db.session.scalars(
            db.select(ServiceType).filter_by(organization_id=tenant.org_id))]
        db.session.remove()
    return names


def waiting_for(world, tenant, fetch, predicate, what: str, timeout: float = 90.0):
    """``poll_for``, failing with what both sides did (deliveries, the objects' import
    states and links, the worker's last words)."""
    try:
        return poll_for(fetch, predicate, timeout=timeout, what=what)
    except AssertionError as exc:
        from host.extensions import db
        from host.models import SyncLink

        with world.env.app.app_context():
            links = [(r.object, r.external_id, r.host_id, r.status, r.reason)
                     for r in db.session.scalars(db.select(SyncLink).filter_by(
                         connection_id=tenant.connection_id))][-10:]
            db.session.remove()
        states = {o: setting_state(world, tenant, o) for o in ("customer", "item", "invoice")}
        raise AssertionError(f"{exc}\nimports: {states}\nlast links: {links}\n"
                             f"{world.diagnose()}") from None


def page_post(world, path: str, data: dict) -> httpx.Response:
    r = httpx.post(f"{world.sandbox_url}/company/{US_REALM}/{path}", data=data, timeout=15)
    assert r.status_code == 302, r.text
    return r


# -- the tests -------------------------------------------------------------------------------------


def test_an_invoice_made_in_quickbooks_comes_in_then_shows_paid(world, tenant, books):
    world.env.add_tax_rate(tenant, "Springfield sales tax", "8")
    for object in ("customer", "item"):
        switch_on(world, tenant, object)
        assert wait_imported(world, tenant, object)["status"] == "done"
    switch_on(world, tenant, "invoice")
    wait_imported(world, tenant, "invoice")

    made = page_post(world, "invoices/new", {
        "customer": "1", "txn_date": date.today().isoformat(),
        "due_date": (date.today() + timedelta(days=30)).isoformat(),
        "line-1-item": "2", "line-1-description": "Consulting, November", "line-1-qty": "10",
        "line-1-rate": "150", "line-1-tax": "on",
        "line-2-item": "3", "line-2-description": "Travel", "line-2-qty": "1",
        "line-2-rate": "80"})
    qbo_id = made.headers["location"].rstrip("/").split("/")[-1]
    linked = waiting_for(world, tenant, lambda: link(world, tenant, "invoice", qbo_id),
                         lambda row: row and row["host_id"],
                         f"QuickBooks invoice {qbo_id} in the host")
    assert linked["status"] == "linked", linked
    inv = host_invoice(world, linked["host_id"])
    assert inv["client"] == "Acme Ltd" and inv["source"] == "quickbooks"
    assert [(d, Decimal(q), Decimal(p)) for d, q, p in inv["lines"]] == [
        ("Consulting, November", Decimal("10"), Decimal("150")),
        ("Travel", Decimal("1"), Decimal("80"))]
    assert (inv["tax_total"], inv["total"]) == (Decimal("120.00"), Decimal("1700.00"))

    books.receive_payment(qbo_id, "1700.00")
    waiting_for(world, tenant, lambda: host_invoice(world, linked["host_id"]),
                lambda i: i["status"] == "paid", "the invoice paid in the host")


def test_a_created_after_filter_in_the_future_imports_nothing(world, tenant):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    switch_on(world, tenant, "customer", "in", filters={"created_after": tomorrow})
    state = wait_imported(world, tenant, "customer")
    assert state["status"] == "done" and state["created"] == 0 and state["matched"] == 0
    assert state["skipped"] >= 4
    assert clients(world, tenant) == []


def test_initial_import_of_500_customers_and_200_products_survives_a_killed_worker(
        world, tenant):
    def create(entity, bodies):  # an accountant's years of work, in one go
        world.control("POST", f"companies/{US_REALM}/entities/{entity}", json=bodies)

    create("Customer", [{"DisplayName": f"Bulk Customer {n:03d}",
                         "PrimaryEmailAddr": {"Address": f"bulk{n}@twoway-e2e.test"}}
                        for n in range(500)])
    create("Item", [{"Name": f"Bulk Product {n:03d}", "Sku": f"BULK-{n:03d}",
                     "Type": "Service", "UnitPrice": 10 + n,
                     "IncomeAccountRef": {"value": "2"}} for n in range(200)])
    # each QuickBooks answer takes 0.3 s, so 20 pages take 6 s: the kill lands mid-import
    world.control("POST", "settings", json={"handler_delay_ms": 300})
    try:
        switch_on(world, tenant, "customer", "in")
        at_kill = poll_for(lambda: setting_state(world, tenant, "customer"),
                           lambda s: s["seen"] >= 100, timeout=120,
                           what="a fifth of the customers imported")
        world.env.worker.kill()  # mid-import: the page being listed is lost with it
    finally:
        world.control("POST", "settings", json={"handler_delay_ms": 0})
    assert at_kill["status"] == "running" and at_kill["seen"] < 500, at_kill
    world.env.start_worker()  # the sweeper hands the import out again once its lease expires
    state = wait_imported(world, tenant, "customer", timeout=240)
    assert state["status"] == "done", state
    names = clients(world, tenant)
    bulk = [n for n in names if n.startswith("Bulk Customer")]
    assert len(bulk) == 500 and len(set(bulk)) == 500, (len(bulk), len(set(bulk)))
    assert len(names) == len(set(names))

    switch_on(world, tenant, "item", "in")
    state = wait_imported(world, tenant, "item", timeout=240)
    assert state["status"] == "done", state
    products = [n for n in service_types(world, tenant) if n.startswith("Bulk Product")]
    assert len(products) == 200 and len(set(products)) == 200


@pytest.mark.parametrize("policy,kept", [("provider", "Acme (ledger)"), ("host", "Acme (PSA)")])
def test_a_customer_changed_on_both_sides_is_resolved_by_the_policy(world, tenant, policy, kept):
    from host.extensions import db
    from host.models import Client

    switch_on(world, tenant, "customer", "both", conflict=policy)
    wait_imported(world, tenant, "customer")
    acme = link(world, tenant, "customer", "1")
    assert acme and acme["host_id"], acme
    with world.env.app.app_context():  # the client renamed in the PSA
        db.session.get(Client, acme["host_id"]).name = "Acme (PSA)"
        db.session.commit()
        db.session.remove()
    page_post(world, "customers/1/edit", {"display_name": "Acme (ledger)",
                                          "email": "ap@acme.example", "active": "on"})
    row = waiting_for(world, tenant, lambda: link(world, tenant, "customer", "1"),
                      lambda r: any(changes for _, _, changes in r["history"]),
                      "the conflict resolved")
    assert clients(world, tenant).count(kept) == 1
    changes = [c for _, _, cs in row["history"] if cs for c in cs]
    assert any(c["field"] == "name" for c in changes), changes
    # both sides end with the winner's name: "Use PSA data" sends the host's back to QuickBooks
    waiting_for(world, tenant, lambda: entity(world, "Customer", "1")["DisplayName"],
                lambda name: name == kept, f"QuickBooks' customer named {kept!r}")
