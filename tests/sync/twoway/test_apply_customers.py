"""Customers in (host.sync.twoway.apply_customers): records built here, applied to the host."""

from datetime import datetime

from hypothesis import HealthCheck, given, settings, strategies as st

from synchelpers import records

from host.contract.records import InboundCustomer
from host.models import Client, SyncLink
from host.models.sync_link import SyncLinkEvent
from host.models.external_ref import ConnectionMapping
from host.sync.twoway import apply_customers


def _clients(db, org):
    return {c.name: c for c in db.session.scalars(db.select(Client).filter_by(
        organization_id=org.id))}


def _link(db, external_id):
    return db.session.scalars(db.select(SyncLink).filter_by(object="customer",
                                                            external_id=external_id)).one()


def test_a_new_customer_is_created_and_linked_for_pushes(db, org, connection, inbound_run):
    run = inbound_run("customer", fields={"extra": [{"key": "tax_id",
                                                     "host_field": "tax_number"}]})
    apply_customers.apply_page(run, [InboundCustomer(
        "C1", "Initech", billing_email="ap@initech.test", extra={"tax_id": "GB123"})])
    db.session.commit()
    client = _clients(db, org)["Initech"]
    assert (client.billing_email, client.tax_number) == ("ap@initech.test", "GB123")
    link = _link(db, "C1")
    assert (link.status, link.origin, link.host_id) == ("linked", "provider", client.id)
    mapping = db.session.scalars(db.select(ConnectionMapping).filter_by(kind="client")).one()
    assert (mapping.host_id, mapping.external_id) == (str(client.id), "C1")
    assert (run.setting.seen, run.setting.created) == (1, 1)


def test_a_switched_off_field_is_not_imported(db, org, connection, inbound_run):
    run = inbound_run("customer", fields={"off": ["billing_email"]})
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", billing_email="a@i.test",
                                                     billing_contact_name="Bill")])
    db.session.commit()
    client = _clients(db, org)["Initech"]
    assert (client.billing_email, client.billing_contact_name) == ("", "Bill")


def test_matched_by_billing_email_then_name(db, org, connection, inbound_run):
    db.session.add_all([Client(organization_id=org.id, name="Globex", billing_email="a@g.test"),
                        Client(organization_id=org.id, name="Hooli")])
    db.session.commit()
    run = inbound_run("customer")
    apply_customers.apply_page(run, [InboundCustomer("C1", "Globex Corp", billing_email="a@g.test"),
                                     InboundCustomer("C2", "hooli")])
    db.session.commit()
    clients = _clients(db, org)
    assert _link(db, "C1").host_id == clients["Globex"].id
    assert _link(db, "C2").host_id == clients["Hooli"].id
    assert (run.setting.matched, run.setting.created) == (2, 0)
    assert "billing email" in _link(db, "C1").events[0].message


def test_several_matches_wait_as_ambiguous_with_the_names(db, org, connection, inbound_run):
    db.session.add_all([Client(organization_id=org.id, name="A", billing_email="x@y.test"),
                        Client(organization_id=org.id, name="B", billing_email="x@y.test")])
    db.session.commit()
    run = inbound_run("customer")
    apply_customers.apply_page(run, [InboundCustomer("C1", "Whoever", billing_email="x@y.test")])
    db.session.commit()
    link = _link(db, "C1")
    assert link.status == "ambiguous" and "A" in link.reason and "B" in link.reason
    assert link.payload["name"] == "Whoever"
    assert run.setting.failed == 1


def test_an_edit_in_the_ledger_updates_the_client_and_a_conflict_follows_the_policy(
        db, org, connection, inbound_run):
    run = inbound_run("customer", conflict="host")
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", billing_email="a@i.test")])
    db.session.commit()
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", billing_email="b@i.test")])
    db.session.commit()
    client = _clients(db, org)["Initech"]
    assert client.billing_email == "b@i.test"
    client.billing_email = "host@i.test"
    db.session.commit()
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", billing_email="c@i.test")])
    db.session.commit()
    assert client.billing_email == "host@i.test"
    link = _link(db, "C1")
    (change,) = [e for e in link.events if e.changes][-1].changes
    assert change["kept"] == "host" and change["provider"] == "c@i.test"
    assert "only if PSA -> provider is switched on" in link.events[-1].message
    assert records("client") == []
    run.setting.direction = "both"  # now the host's value goes back to the ledger
    client.billing_email = "host2@i.test"
    db.session.commit()
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", billing_email="e@i.test")])
    db.session.commit()
    assert client.billing_email == "host2@i.test"
    assert [r.status for r in records("client")] == ["pending"]
    run.setting.conflict = "provider"
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", billing_email="d@i.test")])
    db.session.commit()
    assert client.billing_email == "d@i.test"


def test_filtered_and_nameless_customers_wait_or_skip(db, org, connection, inbound_run):
    run = inbound_run("customer", filters={"created_after": "2026-01-01"})
    apply_customers.apply_page(run, [
        InboundCustomer("C1", "Old", created_at=datetime(2025, 5, 1)),
        InboundCustomer("C2", "   "),
        InboundCustomer("C3", "", problem="unreadable contact")])
    db.session.commit()
    assert _link(db, "C1").status == "skipped"
    assert _link(db, "C2").status == "waiting" and "name" in _link(db, "C2").reason
    assert "unreadable contact" in _link(db, "C3").reason
    assert (run.setting.skipped, run.setting.failed, run.setting.created) == (1, 2, 0)
    assert _clients(db, org) == {}


def test_inactive_in_the_ledger_makes_an_imported_client_inactive(db, org, connection, inbound_run):
    run = inbound_run("customer")
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech")])
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech", active=False)])
    db.session.commit()
    assert _clients(db, org)["Initech"].active is False


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(max_size=400), email=st.text(max_size=300))
def test_hostile_customers_never_break_the_import(db, org, connection, inbound_run, name, email):
    run = inbound_run("customer")
    apply_customers.apply_page(run, [InboundCustomer("H1", name, billing_email=email)])
    db.session.commit()
    link = _link(db, "H1")
    assert link.status in ("linked", "waiting")
    if link.status == "linked":
        client = db.session.get(Client, link.host_id)
        assert 0 < len(client.name) <= 200 and "\x00" not in client.name
        assert client.billing_email == "" or "@" in client.billing_email
    db.session.rollback()
    db.session.execute(db.delete(SyncLinkEvent))
    db.session.execute(db.delete(SyncLink))
    db.session.execute(db.delete(ConnectionMapping))
    db.session.execute(db.delete(Client))
    db.session.commit()
