"""Issue 12 end to end with Xero: records made by the accountant in Xero come into the host.

The host runs over real HTTP with a real worker process and only the xero plugin; the Xero
sandbox is a real server whose webhook is aimed at the host. The accountant works on the
sandbox's own pages (new contact, new invoice approved, Record payment), each firing Xero's
webhook; the admin's "What syncs" choices (direction, conflict policy, filters) are written
to the connection's settings as the Manage page saves them, and the import is started as
its "Import" button does (``host.sync.twoway.importer.start``). Every exchange with the
sandbox's Accounting API is checked against Xero's OpenAPI documents.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest
from xero_e2ekit import connect, xero_world

from host.integrations.e2e import poll
from psa_xero.sandbox import UK_TENANT_ID

pytestmark = pytest.mark.e2e

ORG = f"/orgs/{UK_TENANT_ID}"
WAIT = 120.0  # a pass may wait for Xero's minute window (60 calls per organisation)


@pytest.fixture(scope="module")
def world(psa_template_db, tmp_path_factory):
    with xero_world(psa_template_db(("xero",)), tmp_path_factory.mktemp("xero-twoway"),
                    RECONCILE_INTERVAL_MINUTES=59, PSA_IMPORT_PAGE_SIZE=25) as made:
        yield made


@pytest.fixture(autouse=True)
def _world_openapi_checked(world):
    """Every exchange with this world's sandbox during a test, checked against Xero's OpenAPI
    documents."""
    world.sandbox.exchanges.clear()
    yield
    problems = world.openapi_problems()
    world.sandbox.exchanges.clear()
    assert not problems, "Requests/responses not matching Xero's OpenAPI documents:\n" + \
        "\n".join(problems)


# -- the admin's and the accountant's moves ---------------------------------------------------


def _db(world, work):
    """Run ``work(db)`` in the host app's context (a fresh session)."""
    from host.extensions import db

    with world.env.app.app_context():
        try:
            return work(db)
        finally:
            db.session.remove()


def what_syncs(world, tenant, object: str, *, start: bool = True, **changes) -> None:
    """Save ``object``'s "What syncs" card (direction, conflict, filters) and, with ``start``,
    press Import."""
    from host.models import Connection
    from host.sync.twoway import importer
    from host.sync.twoway.settings import setting_for

    def save(db):
        setting = setting_for(db.session.get(Connection, tenant.connection_id), object)
        for key, value in changes.items():
            setattr(setting, key, value)
        db.session.commit()
        if start:
            importer.start(setting)
    _db(world, save)


def progress(world, tenant, object: str) -> dict:
    from host.models import Connection
    from host.sync.twoway.settings import setting_for

    def read(db):
        s = setting_for(db.session.get(Connection, tenant.connection_id), object)
        return {"status": s.import_status, "done": s.initial_done, "seen": s.seen,
                "created": s.created, "matched": s.matched, "skipped": s.skipped,
                "failed": s.failed, "error": s.import_error}
    return _db(world, read)


def imported(world, tenant, object: str, timeout: float = WAIT) -> dict:
    return poll(lambda: (lambda p: p if p["status"] == "done" and p["done"] else None)(
        progress(world, tenant, object)), timeout=timeout,
        what=f"the {object} import to finish ({progress(world, tenant, object)})\n"
             + world.diagnose())


def page_post(world, path: str, data: dict) -> httpx.Response:
    resp = httpx.post(f"{world.sandbox_url}{ORG}{path}", data=data, follow_redirects=True,
                      timeout=30)
    assert resp.status_code == 200, resp.text[:500]
    assert 'class="flash error' not in resp.text, resp.text[:2000]
    return resp


def new_contact(world, name: str, email: str) -> str:
    page_post(world, "/contacts/new", {"Name": name, "EmailAddress": email})
    with world.sandbox.state.lock:
        org = world.sandbox.state.org(UK_TENANT_ID)
        return next(c["ContactID"] for c in org["contacts"].values() if c["Name"] == name)


def new_invoice(world, contact_id: str, lines: list[dict], **fields) -> tuple[str, str]:
    data = {"ContactID": contact_id, "Date": fields.get("Date", "2026-03-02"),
            "DueDate": "2026-04-01", "Reference": fields.get("Reference", ""),
            "LineAmountTypes": "Exclusive", "approve": "1"}
    for n, line in enumerate(lines):
        data.update({f"{k}-{n}": v for k, v in line.items()})
    resp = page_post(world, "/invoices/new", data)
    invoice_id = re.search(r'id="invoice" data-invoice-id="([0-9a-f-]+)"', resp.text).group(1)
    number = re.search(r"Invoice (INV-\d+) saved", resp.text).group(1)
    return invoice_id, number


def host_client(world, tenant, name: str):
    from host.models import Client

    def read(db):
        rows = db.session.scalars(db.select(Client).where(
            Client.organization_id == tenant.org_id, Client.name == name)).all()
        return [(c.id, c.name, c.billing_email) for c in rows]
    return _db(world, read)


def host_invoice(world, tenant, number: str) -> dict | None:
    from host.models import Client, Invoice

    def read(db):
        inv = db.session.scalars(db.select(Invoice).where(
            Invoice.organization_id == tenant.org_id, Invoice.number == number)).first()
        if inv is None:
            return None
        client = db.session.get(Client, inv.client_id)
        return {"status": inv.status, "source": inv.source, "client": client.name,
                "reference": inv.reference, "total": inv.total,
                "lines": [(ln.description, ln.quantity, ln.unit_price, ln.tax_rate_id,
                           ln.service_type_id is not None) for ln in inv.lines],
                "paid": inv.amount_paid}
    return _db(world, read)


def map_vat(world, tenant) -> int:
    """The host's 20 % VAT rate, mapped to the organisation's OUTPUT2 on the Manage page."""
    from host.models.external_ref import ConnectionMapping

    rate_id = world.env.add_tax_rate(tenant, "VAT 20%", "20")

    def save(db):
        db.session.add(ConnectionMapping(connection_id=tenant.connection_id, kind="tax_type",
                                         host_id=str(rate_id), external_id="OUTPUT2"))
        db.session.commit()
    _db(world, save)
    return rate_id


@pytest.fixture(scope="module")
def tenant(world):
    """The UK organisation connected, VAT mapped, customers, products and invoices coming in."""
    made = connect(world.env, UK_TENANT_ID)
    made.vat = map_vat(world, made)
    for object in ("customer", "item", "invoice"):
        what_syncs(world, made, object, direction="in")
        imported(world, made, object)
    return made


# -- the scenarios ------------------------------------------------------------------------------


def test_an_invoice_made_in_xero_comes_in_then_its_payment(world, tenant):
    contact = new_contact(world, "Harbour Lights Ltd", "ap@harbour.example")
    poll(lambda: host_client(world, tenant, "Harbour Lights Ltd"), timeout=WAIT,
         what="the contact created in Xero to become a client\n" + world.diagnose())
    invoice_id, number = new_invoice(world, contact, [
        {"ItemCode": "CONSULT", "Description": "Consulting", "Quantity": "3",
         "UnitAmount": "150", "AccountCode": "210", "TaxType": "OUTPUT2"},
        {"Description": "Travel", "Quantity": "1", "UnitAmount": "40", "AccountCode": "200",
         "TaxType": "ZERORATEDOUTPUT"}], Reference="PO-5512")
    got = poll(lambda: host_invoice(world, tenant, number), timeout=WAIT,
               what=f"{number} made in Xero to appear in the host\n" + world.diagnose())
    assert (got["source"], got["client"], got["status"], got["reference"]) == (
        "xero", "Harbour Lights Ltd", "sent", "")
    assert [line[:3] for line in got["lines"]] == [
        ("Consulting", Decimal("3"), Decimal("150")), ("Travel", Decimal("1"), Decimal("40"))]
    assert got["lines"][0][3] == tenant.vat and got["lines"][0][4] is True
    assert got["total"] == Decimal("580.00")
    page_post(world, f"/invoices/{invoice_id}/payments", {"amount": "580.00"})
    paid = poll(lambda: (lambda inv: inv if inv and inv["status"] == "paid" else None)(
        host_invoice(world, tenant, number)), timeout=WAIT,
        what=f"{number} paid in Xero to show paid in the host\n" + world.diagnose())
    assert paid["status"] == "paid"


def test_a_filter_that_excludes_imports_nothing(world, tenant):
    later = (date(2026, 3, 2) + timedelta(days=30)).isoformat()
    what_syncs(world, tenant, "invoice", start=False, filters={"created_after": later})
    contact = new_contact(world, "Filtered Out Co", "ap@filtered.example")
    poll(lambda: host_client(world, tenant, "Filtered Out Co"), timeout=WAIT,
         what="the contact to come in\n" + world.diagnose())
    before = progress(world, tenant, "invoice")["skipped"]
    _, number = new_invoice(world, contact, [
        {"Description": "Old work", "Quantity": "1", "UnitAmount": "10", "AccountCode": "200",
         "TaxType": "ZERORATEDOUTPUT"}], Date="2026-03-02")
    poll(lambda: progress(world, tenant, "invoice")["skipped"] > before, timeout=WAIT,
         what="the filtered invoice to be seen and skipped\n" + world.diagnose())
    assert host_invoice(world, tenant, number) is None
    what_syncs(world, tenant, "invoice", start=False, filters={})


def _conflict(world, tenant, policy: str, name: str) -> tuple[str, list]:
    """A contact imported, then its email changed in the host and in Xero before the next
    pass; returns (the host's email after the pass, the link's recorded changes)."""
    from host.models import Client, SyncLink

    what_syncs(world, tenant, "customer", start=False, direction="both", conflict=policy)
    contact = new_contact(world, name, "first@conflict.example")
    (client_id, _, _), = poll(lambda: host_client(world, tenant, name), timeout=WAIT,
                              what=f"{name} to come in\n" + world.diagnose())

    def host_edit(db):
        db.session.get(Client, client_id).billing_email = "host@conflict.example"
        db.session.commit()
    _db(world, host_edit)
    page_post(world, f"/contacts/{contact}", {"Name": name,
                                              "EmailAddress": "xero@conflict.example"})

    def history(db):
        link = db.session.scalars(db.select(SyncLink).where(
            SyncLink.connection_id == tenant.connection_id, SyncLink.object == "customer",
            SyncLink.external_id == contact)).one()
        return [change for event in link.events for change in (event.changes or [])]
    changes = poll(lambda: _db(world, history), timeout=WAIT,
                   what="the conflict to be recorded\n" + world.diagnose())
    return host_client(world, tenant, name)[0][2], changes


def test_a_conflict_resolved_with_xeros_data(world, tenant):
    email, changes = _conflict(world, tenant, "provider", "Conflict Xero Wins Ltd")
    assert email == "xero@conflict.example"
    assert "host@conflict.example" in str(changes)


def test_a_conflict_resolved_with_the_psas_data(world, tenant):
    email, changes = _conflict(world, tenant, "host", "Conflict PSA Wins Ltd")
    assert email == "host@conflict.example"
    assert "xero@conflict.example" in str(changes)

    def in_xero():
        with world.sandbox.state.lock:
            org = world.sandbox.state.org(UK_TENANT_ID)
            return next(c.get("EmailAddress") for c in org["contacts"].values()
                        if c["Name"] == "Conflict PSA Wins Ltd") == "host@conflict.example"
    poll(in_xero, timeout=WAIT, what="the PSA's value to go back to Xero\n" + world.diagnose())


def test_an_initial_import_of_500_contacts_and_200_items_survives_a_worker_kill(world, tenant):
    """Last in the module: its passes use most of Xero's minute window for the organisation,
    which would hold back the other scenarios' passes."""
    from psa_xero.sandbox import accountant

    state = world.sandbox.state
    with state.lock:
        org = state.org(UK_TENANT_ID)
        for n in range(500):
            accountant.save_contact(state, org, {"Name": f"Bulk Contact {n:03d}",
                                                 "EmailAddress": f"bulk{n}@example.com"})
        for n in range(200):
            accountant.save_item(state, org, {"Code": f"BULK-{n:03d}", "Name": f"Bulk item {n}",
                                              "SalesDetails": {"UnitPrice": 10 + n,
                                                               "AccountCode": "200"}})
        contacts = sum(1 for c in org["contacts"].values() if not c.get("IsSupplier"))
        items = len(org["items"])
        state.save()
    # Xero answers slowly from now on, so the import is still running when the worker dies
    world.control("POST", "faults", json={"kind": "latency", "path": "/api.xro/2.0/Contacts",
                                          "method": "GET", "count": None, "latency_ms": 400})
    what_syncs(world, tenant, "customer")
    poll(lambda: progress(world, tenant, "customer")["seen"] >= 50, timeout=WAIT,
         what="two pages of contacts to be applied\n" + world.diagnose())
    world.env.worker.kill()
    at_kill = progress(world, tenant, "customer")
    assert at_kill["status"] != "done" and at_kill["seen"] < contacts, at_kill
    world.control("DELETE", "faults")
    world.env.start_worker()
    done = imported(world, tenant, "customer", timeout=2 * WAIT)
    assert done["failed"] == 0, done
    what_syncs(world, tenant, "item")
    imported(world, tenant, "item", timeout=2 * WAIT)

    from host.models import Client, ServiceType, SyncLink

    def counts(db):
        names = db.session.scalars(db.select(Client.name).where(
            Client.organization_id == tenant.org_id, Client.name.like("Bulk Contact %"))).all()
        skus = db.session.scalars(db.select(ServiceType.sku).where(
            ServiceType.organization_id == tenant.org_id,
            ServiceType.sku.like("BULK-%"))).all()
        links = db.session.scalars(db.select(SyncLink.external_id).where(
            SyncLink.connection_id == tenant.connection_id,
            SyncLink.object == "customer")).all()
        return names, skus, links
    names, skus, links = _db(world, counts)
    assert len(names) == len(set(names)) == 500
    assert len(skus) == len(set(skus)) == 200
    assert len(links) == len(set(links)) == contacts
    assert items >= 200
