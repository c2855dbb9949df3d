"""Customers and products out (host.sync.twoway.outbound), over real HTTP to the fake ledger.

A client or service type saved on its form is pushed by the worker with ``push_record``; the
link, the mapping and the fingerprint it leaves make the next inbound pass a no-op (no echo).
"""

import fakeledger
import pytest
from synchelpers import make_invoice

from host.integrations.dispatch import call_owner
from host.integrations.testing import csrf_token
from host.models import Client, ServiceType, SyncLink, SyncRecord
from host.models.external_ref import ConnectionMapping
from host.sync.tasks import process_sync_record
from host.sync.twoway import apply_customers, outbound
from host.sync.twoway.run import ImportRun
from host.sync.twoway.settings import setting_for

LEDGER = fakeledger.LEDGER


@pytest.fixture
def conn(connection_factory):
    """A connection to the fake ledger's tenant ``t-1`` (automatic emailing off)."""
    with LEDGER.lock:
        tokens = LEDGER.issue_tokens()
    return connection_factory(tokens=tokens, settings={"default_item": "1", "auto_send": False})


def direction(db, conn, object, value, **more):
    setting = setting_for(conn, object)
    setting.direction = value
    for name, val in more.items():
        setattr(setting, name, val)
    db.session.commit()
    return setting


def post_form(client, url, data):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def save_client(admin_client, client_id=None, **data):
    url = f"/clients/{client_id}/edit" if client_id else "/clients/new"
    response = post_form(admin_client, url, {"active": "y", **data})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]


def pending(db, object_type):
    db.session.expire_all()
    return list(db.session.scalars(db.select(SyncRecord).filter_by(object_type=object_type)))


def run_all(db, object_type):
    """The worker processes every ``object_type`` record (as the queue would)."""
    for record in pending(db, object_type):
        if record.status == "pending":
            assert process_sync_record(record.id) == "synced", record.events[-1].message
    db.session.expire_all()


def client_named(db, org, name):
    return db.session.scalars(db.select(Client).filter_by(organization_id=org.id,
                                                          name=name)).one()


def link_of(db, object, host_id):
    return db.session.scalars(db.select(SyncLink).filter_by(object=object,
                                                            host_id=host_id)).one()


def ledger_customers(name):
    return [c for c in LEDGER.customers.values() if c.get("name") == name]


# -- customers ----------------------------------------------------------------------------------


def test_direction_out_creates_a_new_client_with_its_first_invoice_not_on_save(
        db, org, conn, admin_client):
    save_client(admin_client, name="Initech", billing_email="ap@initech.test")
    assert pending(db, "client") == []
    assert ledger_customers("Initech") == []


def test_direction_out_updates_a_client_the_provider_has(db, org, conn, admin_client):
    make_invoice(org, client_name="Globex", send=True)
    db.session.commit()
    run_all(db, "invoice")
    (customer,) = ledger_customers("Globex")  # created by the invoice push, as always
    client = client_named(db, org, "Globex")
    save_client(admin_client, client.id, name="Globex Corp", billing_email="ap@globex.test",
                billing_contact_name="Hank")
    (record,) = pending(db, "client")
    assert (record.status, record.operation) == ("pending", "update")
    run_all(db, "client")
    held = LEDGER.record("customer", customer["id"])
    assert (held["name"], held["contact"]) == ("Globex Corp", "Hank")
    assert len(ledger_customers("Globex Corp")) == 1  # updated, never a second customer
    link = link_of(db, "customer", client.id)
    assert (link.external_id, link.origin, link.status) == (customer["id"], "host", "linked")
    assert link.fingerprint["name"] == "Globex Corp"
    assert link.provider_version == str(held["version"])
    mapping = db.session.scalars(db.select(ConnectionMapping).filter_by(kind="client")).one()
    assert (mapping.host_id, mapping.external_id) == (str(client.id), customer["id"])


def test_direction_both_pushes_a_new_client_and_a_save_without_change_pushes_nothing(
        db, org, conn, admin_client):
    direction(db, conn, "customer", "both")
    save_client(admin_client, name="Initech", billing_email="ap@initech.test")
    (record,) = pending(db, "client")
    assert record.operation == "create"
    run_all(db, "client")
    (customer,) = ledger_customers("Initech")
    assert customer["email"] == "ap@initech.test"
    client = client_named(db, org, "Initech")
    events = len(pending(db, "client")[0].events)
    save_client(admin_client, client.id, name="Initech", billing_email="ap@initech.test",
                currency="EUR")  # the currency is not a synced field
    (record,) = pending(db, "client")
    assert record.status == "synced" and len(record.events) == events


def test_a_push_followed_by_an_inbound_pass_changes_nothing_and_pushes_nothing(
        db, org, conn, admin_client):
    """Echo: the ledger lists the customer the host just pushed, with a new version; the
    inbound pass finds it holding what the link's fingerprint says and does nothing."""
    direction(db, conn, "customer", "both")
    save_client(admin_client, name="Initech", billing_email="ap@initech.test",
                billing_contact_name="Bill", tax_number="GB-9")
    run_all(db, "client")
    client = client_named(db, org, "Initech")
    link = link_of(db, "customer", client.id)
    before = (dict(link.fingerprint), len(link.events))
    clients_before = db.session.scalar(db.select(db.func.count(Client.id)))

    setting = setting_for(conn, "customer")
    run = ImportRun(conn, setting)
    page = call_owner(conn, "list_records", object="customer", cursor=None, page_size=100)
    assert any(r.external_id == link.external_id for r in page.records)
    apply_customers.apply_page(run, [r for r in page.records
                                     if r.external_id == link.external_id])
    db.session.commit()
    db.session.expire_all()

    client = client_named(db, org, "Initech")
    assert (client.billing_email, client.billing_contact_name) == ("ap@initech.test", "Bill")
    link = link_of(db, "customer", client.id)
    assert link.fingerprint == before[0] and len(link.events) == before[1]
    assert not any(e.changes for e in link.events)
    assert db.session.scalar(db.select(db.func.count(Client.id))) == clients_before
    (record,) = pending(db, "client")
    assert record.status == "synced"  # nothing queued back out


def test_a_switched_off_field_is_not_written_and_added_pairs_are(db, org, conn, admin_client):
    direction(db, conn, "customer", "both",
              fields={"off": ["billing_email", "name"],
                      "extra": [{"key": "tax_id", "host_field": "tax_number"}]})
    cid = LEDGER.create_record("customer", {"name": "Hooli", "email": "old@hooli.test"})
    save_client(admin_client, name="Hooli", billing_email="new@hooli.test", tax_number="US-5")
    run_all(db, "client")
    held = LEDGER.record("customer", cid)  # found by name, not created twice
    assert held["email"] == "old@hooli.test"  # switched off: the ledger's value stays
    assert held["tax_id"] == "US-5"  # the admin's added pair
    assert len(ledger_customers("Hooli")) == 1
    link = link_of(db, "customer", client_named(db, org, "Hooli").id)
    assert "billing_email" not in link.fingerprint and link.fingerprint["name"] == "Hooli"


def test_the_importer_s_writes_are_never_pushed(db, org, conn):
    """A client written from the ledger's record (the importer's session mark) is not echoed."""
    from host import events
    from host.sync.twoway.importing import importing

    direction(db, conn, "customer", "both")
    with importing():
        client = Client(organization_id=org.id, name="From the ledger")
        db.session.add(client)
        db.session.flush()
        events.client_saved.send(client, created=True)
    db.session.commit()
    assert pending(db, "client") == []


# -- products -----------------------------------------------------------------------------------


def test_a_service_type_is_created_then_updated_at_the_provider_and_invoices_book_to_it(
        db, org, conn, admin_client):
    direction(db, conn, "item", "out")
    response = post_form(admin_client, "/settings/service-types/new",
                         {"name": "Audit", "sku": "AUD-1", "default_gl_account_id": "0",
                          "unit_price": "90.00", "description": "Yearly audit",
                          "active": "y"})
    assert response.status_code == 302
    run_all(db, "service_type")
    service_type = db.session.scalars(db.select(ServiceType).filter_by(name="Audit")).one()
    link = link_of(db, "item", service_type.id)
    item = LEDGER.record("item", link.external_id)
    assert (item["name"], item["sku"], item["description"]) == ("Audit", "AUD-1",
                                                               "Yearly audit")
    assert str(item["unit_price"]) in ("90.00", "90.0", "90")
    mapping = db.session.scalars(db.select(ConnectionMapping).filter_by(
        kind="item", host_id=str(service_type.id))).one()
    assert mapping.external_id == link.external_id
    response = post_form(admin_client, f"/settings/service-types/{service_type.id}/edit",
                         {"name": "Audit", "sku": "AUD-2", "default_gl_account_id": "0",
                          "unit_price": "95.00", "description": "Yearly audit",
                          "active": "y"})
    assert response.status_code == 302
    (record,) = pending(db, "service_type")
    assert record.operation == "update"
    run_all(db, "service_type")
    assert LEDGER.record("item", link.external_id)["sku"] == "AUD-2"
    assert len([i for i in LEDGER.items.values() if i.get("name") == "Audit"]) == 1


def test_direction_off_pushes_no_service_type(db, org, conn, admin_client):
    response = post_form(admin_client, "/settings/service-types/new",
                         {"name": "Audit", "sku": "", "default_gl_account_id": "0",
                          "active": "y"})
    assert response.status_code == 302
    assert pending(db, "service_type") == []


# -- push back ----------------------------------------------------------------------------------


def test_push_back_sends_the_host_values_to_the_ledger(db, org, conn, admin_client):
    direction(db, conn, "customer", "out")
    save_client(admin_client, name="Initech", billing_email="ap@initech.test")
    direction(db, conn, "customer", "both")
    client = client_named(db, org, "Initech")
    save_client(admin_client, client.id, name="Initech", billing_email="ap@initech.test",
                billing_contact_name="Bill")
    run_all(db, "client")
    link = link_of(db, "customer", client.id)
    # the host won a conflict over the email: the pass settled it, the ledger still says
    # otherwise until the push lands (its version is the one the link last synced)
    LEDGER.edit_record("customer", link.external_id, {"email": "ledger@initech.test"})
    link.provider_version = str(LEDGER.record("customer", link.external_id)["version"])
    db.session.commit()
    record = outbound.push_back(link)
    db.session.commit()
    assert (record.status, record.operation) == ("pending", "update")
    run_all(db, "client")
    assert LEDGER.record("customer", link.external_id)["email"] == "ap@initech.test"


@pytest.mark.parametrize("policy", ["host", "provider"])
def test_a_push_reads_the_ledger_first_and_a_change_on_both_sides_goes_by_the_policy(
        db, org, conn, admin_client, policy):
    """The accountant changed the email in the ledger while the admin changed it in the host:
    before the push writes anything, the ledger's change is read and the conflict settled by
    the policy, with a history line naming the value that lost -- never overwritten silently."""
    direction(db, conn, "customer", "both", conflict=policy)
    save_client(admin_client, name="Globex", billing_email="ap@globex.test")
    run_all(db, "client")
    client = client_named(db, org, "Globex")
    external_id = link_of(db, "customer", client.id).external_id
    LEDGER.edit_record("customer", external_id, {"email": "ledger-side@globex.test"})
    save_client(admin_client, client.id, name="Globex", billing_email="host-side@globex.test")
    (record,) = pending(db, "client")
    # the pass before the push settles the conflict; "Use PSA data" queues the push back
    # (this same record again), which the worker then sends
    outcomes = [process_sync_record(record.id)]
    if outcomes[0] == "pending":
        outcomes.append(process_sync_record(record.id))
    assert outcomes[-1] == "synced", outcomes
    db.session.expire_all()
    client = client_named(db, org, "Globex")
    link = link_of(db, "customer", client.id)
    conflict = [c for e in link.events for c in (e.changes or ()) if c.get("conflict")]
    assert [(c["field"], c["host"], c["provider"], c["kept"]) for c in conflict] == [
        ("billing_email", "host-side@globex.test", "ledger-side@globex.test", policy)]
    winner = "host-side@globex.test" if policy == "host" else "ledger-side@globex.test"
    assert client.billing_email == winner
    assert LEDGER.record("customer", external_id)["email"] == winner


def test_push_back_of_an_invoice_queues_its_update(db, org, conn):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    run_all(db, "invoice")
    link = link_of(db, "invoice", invoice.id)
    assert link.origin == "host" and link.fingerprint["total"] == "100.00"
    from host.sync.twoway.apply_invoices import host_lines, lines_digest

    assert link.fingerprint["lines"] == lines_digest(host_lines(invoice))  # as the pass reads
    record = outbound.push_back(link)
    db.session.commit()
    assert (record.status, record.operation) == ("pending", "update")


# -- on the sync overview -----------------------------------------------------------------------


def test_a_failed_client_push_shows_on_the_overview_and_retries(db, org, conn, admin_client):
    direction(db, conn, "customer", "both")
    save_client(admin_client, name="Initech <b>", billing_email="ap@initech.test")
    (record,) = pending(db, "client")
    LEDGER.fail_next("validation")
    assert process_sync_record(record.id) == "failed"
    page = admin_client.get(f"/settings/integrations/{conn.id}/sync").get_data(as_text=True)
    client = client_named(db, org, "Initech <b>")
    assert "Client Initech &lt;b&gt;" in page  # labelled, escaped
    assert f"/clients/{client.id}/edit" in page
    token = csrf_token(admin_client, f"/settings/integrations/{conn.id}/sync")
    response = admin_client.post(f"/sync/records/{record.id}/retry",
                                 data={"csrf_token": token})
    assert response.status_code == 302
    run_all(db, "client")
    assert len(ledger_customers("Initech <b>")) == 1


def test_a_product_push_followed_by_an_inbound_pass_changes_nothing(db, org, conn,
                                                                    admin_client):
    from host.sync.twoway import apply_items

    direction(db, conn, "item", "both")
    response = post_form(admin_client, "/settings/service-types/new",
                         {"name": "Audit", "sku": "AUD-1", "default_gl_account_id": "0",
                          "unit_price": "90.00", "description": "Yearly audit",
                          "active": "y"})
    assert response.status_code == 302
    run_all(db, "service_type")
    service_type = db.session.scalars(db.select(ServiceType).filter_by(name="Audit")).one()
    link = link_of(db, "item", service_type.id)
    before = (dict(link.fingerprint), len(link.events))
    page = call_owner(conn, "list_records", object="item", cursor=None, page_size=100)
    mine = [r for r in page.records if r.external_id == link.external_id]
    assert mine and mine[0].version != ""
    apply_items.apply_page(ImportRun(conn, setting_for(conn, "item")), mine)
    db.session.commit()
    db.session.expire_all()
    service_type = db.session.get(ServiceType, service_type.id)
    assert (service_type.sku, service_type.description) == ("AUD-1", "Yearly audit")
    assert str(service_type.unit_price) == "90.00"
    link = link_of(db, "item", service_type.id)
    assert link.fingerprint == before[0] and len(link.events) == before[1]
    (record,) = pending(db, "service_type")
    assert record.status == "synced"


def test_host_pushes_then_a_full_inbound_pass_import_nothing_and_push_nothing(
        db, org, conn, admin_client):
    """Echo, through the importer: a client, a service type and an invoice pushed from the
    host come back in the ledger's listings; the pass of every object creates no host record,
    changes none, and queues no push."""
    from host.models import Invoice
    from host.sync.twoway.importer import run_import

    for object in ("customer", "item", "invoice"):
        direction(db, conn, object, "both")
    save_client(admin_client, name="Globex", billing_email="ap@globex.test")
    response = post_form(admin_client, "/settings/service-types/new",
                         {"name": "Audit", "sku": "AUD-1", "default_gl_account_id": "0",
                          "active": "y"})
    assert response.status_code == 302
    make_invoice(org, client_name="Globex", send=True)
    db.session.commit()
    for object_type in ("client", "service_type", "invoice"):
        run_all(db, object_type)
    counts = {model: db.session.scalar(db.select(db.func.count(model.id)))
              for model in (Client, ServiceType, Invoice)}
    links = {link.id: (dict(link.fingerprint), len(link.events))
             for link in db.session.scalars(db.select(SyncLink))}
    # the client, the service type, the invoice: origin host (the ledger's own records were
    # read too, by the pass each client and service type push makes first)
    assert db.session.scalar(db.select(db.func.count(SyncLink.id)).filter_by(origin="host")) == 3
    for object in ("customer", "item", "invoice"):
        assert run_import(setting_for(conn, object).id) == "done"
    db.session.expire_all()
    assert {model: db.session.scalar(db.select(db.func.count(model.id)))
            for model in (Client, ServiceType, Invoice)} == counts
    for link in db.session.scalars(db.select(SyncLink).where(SyncLink.id.in_(links))):
        assert (dict(link.fingerprint), len(link.events)) == links[link.id], link
    assert {r.status for r in db.session.scalars(db.select(SyncRecord))} == {"synced"}


def test_automatic_push_off_holds_a_client_push_until_the_admin_pushes_it(
        db, org, conn, admin_client):
    from host.sync import hold

    direction(db, conn, "customer", "both")
    conn.auto_push = False
    db.session.commit()
    save_client(admin_client, name="Initech")
    (record,) = pending(db, "client")
    assert record.status == "held" and ledger_customers("Initech") == []
    page = admin_client.get(f"/settings/integrations/connections/{conn.id}")
    assert page.status_code == 200 and "Client Initech" in page.get_data(as_text=True)
    assert hold.push_all_held(db.session.get(type(conn), conn.id), org.admin_email) == 1
    db.session.commit()
    run_all(db, "client")
    assert len(ledger_customers("Initech")) == 1


def test_switching_products_out_sends_the_existing_service_types_once(db, org, conn):
    db.session.add_all([ServiceType(organization_id=org.id, name="Audit", sku="AUD"),
                        ServiceType(organization_id=org.id, name="Old", active=False)])
    db.session.commit()
    setting = direction(db, conn, "item", "off")
    assert outbound.export_existing(setting) == 0
    setting = direction(db, conn, "item", "out")
    assert outbound.export_existing(setting) == 1  # the inactive one stays
    db.session.commit()
    run_all(db, "service_type")
    assert [i["name"] for i in LEDGER.items.values()].count("Audit") == 1
    assert outbound.export_existing(setting) == 0  # linked now: nothing more to send


def test_customers_out_keep_the_first_invoice_rule_both_sends_existing_clients(db, org, conn):
    db.session.add(Client(organization_id=org.id, name="Initech"))
    db.session.commit()
    assert outbound.export_existing(direction(db, conn, "customer", "out")) == 0
    assert outbound.export_existing(direction(db, conn, "customer", "both")) == 1
    db.session.commit()
    run_all(db, "client")
    assert len(ledger_customers("Initech")) == 1


def test_saving_the_products_card_with_psa_to_provider_sends_the_existing_ones(
        app, db, org, conn, admin_client):
    from host.sync.queue import drain

    db.session.add(ServiceType(organization_id=org.id, name="Audit", sku="AUD"))
    db.session.commit()
    url = f"/settings/integrations/connections/{conn.id}"
    response = admin_client.post(f"{url}/sync-objects/item", data={
        "csrf_token": csrf_token(admin_client, url), "conflict": "host", "created_after": "",
        "direction": "out"})
    assert response.status_code == 302
    assert LEDGER.items and [i["name"] for i in LEDGER.items.values()].count("Audit") == 0
    (record,) = pending(db, "service_type")
    assert record.status == "pending"  # queued by the save, pushed by the worker
    assert drain(app) >= 1
    assert [i["name"] for i in LEDGER.items.values()].count("Audit") == 1
