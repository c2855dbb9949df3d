"""Scenarios: two-way sync through the host's own engine, with your plugin and your ledger.

Where :mod:`.twoway` checks your hooks one by one, these run what the host runs in its worker
(the import pass of :mod:`host.sync.twoway.importer`, the outbound pushes of
:mod:`host.sync.twoway.outbound` through :func:`host.sync.tasks.process_sync_record`) and look
at both sides, the way an admin and an accountant would:

* **import**: customers created in the ledger become one host client each; importing again
  from the beginning makes no duplicates; an invoice created in the ledger becomes a host
  invoice of the right client, lines and tax, and shows paid once it is paid in the ledger;
* **edit on each side**: an email changed in the ledger reaches the host client on the next
  pass; an email changed in the host reaches the ledger's customer on the next push;
* **conflict, both ways**: the email changed on both sides since the last sync -- with "Use
  PSA data" the host keeps its value and the ledger gets it back; with "Use <provider> data"
  the host takes the ledger's value; either way the link's history names the overwritten
  field;
* **echo**: a client pushed by the host, then an inbound pass over what the ledger lists,
  changes nothing in the host and pushes nothing back.

They skip unless your provider state implements ``TWO_WAY_METHODS`` and your plugin
``list_records`` and ``push_record``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from host.integrations.contract_suite.readback import money
from host.integrations.contract_suite.twoway import (
    sample_tax_rate,
    tax_codes_for,
    two_way,
    unique,
)

HOOKS = ("list_records", "push_record")


def _setting(db, connection, object: str, **values):
    from host.sync.twoway.settings import setting_for

    setting = setting_for(connection, object)
    for name, value in values.items():
        setattr(setting, name, value)
    db.session.commit()
    return setting


def _import(db, setting, what: str) -> None:
    """One import pass of ``setting``'s object, as the worker runs it."""
    from host.sync.twoway.importer import run_import

    outcome = run_import(setting.id)
    db.session.expire_all()
    fresh = db.session.get(type(setting), setting.id)
    assert outcome == "done", (
        f"{what}: the host's import pass ended {outcome!r} ({fresh.import_error}); the records "
        "your list_records returned could not be imported")


def _clients(db, connection, name: str) -> list:
    from host.models import BusinessUnit, Client

    unit = db.session.get(BusinessUnit, connection.business_unit_id)
    db.session.expire_all()
    return list(db.session.scalars(db.select(Client).filter_by(
        organization_id=unit.organization_id, name=name)))


def _the_client(db, connection, name: str, what: str):
    found = _clients(db, connection, name)
    assert len(found) == 1, (
        f"{what}: the host holds {len(found)} clients named {name!r}; expected exactly one")
    return found[0]


def _link(db, connection, object: str, host_id: int):
    from host.models import SyncLink

    db.session.expire_all()
    return db.session.scalars(db.select(SyncLink).filter_by(
        connection_id=connection.id, object=object, host_id=host_id)).one_or_none()


def _push_pending(db, what: str) -> int:
    """The worker pushes every pending client / service type record; returns how many."""
    from host.models import SyncRecord
    from host.sync.tasks import process_sync_record

    db.session.expire_all()
    pending = list(db.session.scalars(db.select(SyncRecord).where(
        SyncRecord.object_type.in_(("client", "service_type")),
        SyncRecord.status == "pending")))
    for record in pending:
        outcome = process_sync_record(record.id)
        db.session.expire_all()
        fresh = db.session.get(SyncRecord, record.id)
        assert outcome == "synced", (
            f"{what}: pushing the {record.object_type} {record.object_id} ended {outcome!r}: "
            f"{fresh.events[-1].message if fresh.events else ''}")
    return len(pending)


def _save_client(db, client, **values) -> None:
    """A user edits the client on its form (the form's save: the ``client_saved`` event)."""
    from host import events

    for name, value in values.items():
        setattr(client, name, value)
    db.session.flush()
    events.client_saved.send(client, created=False)
    db.session.commit()


def _host_tax_rate(app, db, provider_key, connection, sample_invoice):
    """The sample invoice's tax rate as the organization's only rate of that percentage,
    mapped to the provider's code when the connection maps the sample rate."""
    from host.models import BusinessUnit, ConnectionMapping, TaxRate
    from host.integrations.registry import get_registry

    rate = sample_tax_rate(sample_invoice)
    unit = db.session.get(BusinessUnit, connection.business_unit_id)
    host_rate = TaxRate(organization_id=unit.organization_id, name=rate.name, rate=rate.rate)
    db.session.add(host_rate)
    db.session.flush()
    kinds = [k.key for k in get_registry(app)[provider_key].mapping_kinds
             if k.host_entity == "tax_rate"]
    for code in tax_codes_for(app, provider_key, connection, rate):
        for kind in kinds:
            db.session.add(ConnectionMapping(connection_id=connection.id, kind=kind,
                                             host_id=str(host_rate.id), external_id=code))
    db.session.commit()
    return host_rate


def _overwritten(link, field: str) -> list:
    return [c for event in link.events for c in (event.changes or ())
            if c.get("field") == field and c.get("conflict")]


class TwoWayHostScenarios:
    """Import, edits on each side, conflicts both ways and echo, through the host engine."""

    def _imported_customer(self, app, db, provider_key, connection, provider_state,
                           direction: str = "in", conflict: str = "host"):
        two_way(app, provider_key, provider_state, *HOOKS)
        name = unique("Imported Customer")
        external_id = provider_state.create_record(
            "customer", {"name": name, "email": "ledger@two-way.test"})
        setting = _setting(db, connection, "customer", direction=direction, conflict=conflict)
        _import(db, setting, "the first import")
        client = _the_client(db, connection, name, "after the first import")
        return setting, external_id, client

    def test_hook_list_records_import_makes_one_client_per_customer_and_no_duplicates(
            self, app, db, provider_key, connected_connection, provider_state):
        setting, external_id, client = self._imported_customer(
            app, db, provider_key, connected_connection, provider_state)
        assert client.billing_email == "ledger@two-way.test", (
            f"the imported client has billing email {client.billing_email!r}; the ledger's "
            "customer has ledger@two-way.test")
        link = _link(db, connected_connection, "customer", client.id)
        assert link is not None and link.external_id == external_id, (
            f"the imported client is linked to {link and link.external_id!r}, the ledger's "
            f"customer is {external_id!r}")
        setting = _setting(db, connected_connection, "customer", cursor=None)
        _import(db, setting, "importing again from the beginning")
        _the_client(db, connected_connection, client.name, "after importing twice")

    def test_hook_list_records_an_edit_in_the_ledger_reaches_the_host(
            self, app, db, provider_key, connected_connection, provider_state):
        setting, external_id, client = self._imported_customer(
            app, db, provider_key, connected_connection, provider_state)
        provider_state.edit_record("customer", external_id, {"email": "edited@two-way.test"})
        _import(db, setting, "the pass after the edit in the ledger")
        client = _the_client(db, connected_connection, client.name, "after the ledger's edit")
        assert client.billing_email == "edited@two-way.test", (
            f"the email changed in the ledger; the host client still has "
            f"{client.billing_email!r} after the next pass (is the edit in the change feed "
            "your list_records reads from the last page's cursor?)")

    def test_hook_push_record_an_edit_in_the_host_reaches_the_ledger(
            self, app, db, provider_key, connected_connection, provider_state):
        _, external_id, client = self._imported_customer(
            app, db, provider_key, connected_connection, provider_state, direction="both")
        _save_client(db, client, billing_email="host@two-way.test")
        assert _push_pending(db, "the push after the host's edit") >= 1, (
            "the host queued no push for a client edited with customers syncing both ways")
        held = provider_state.held_record("customer", external_id)
        assert held and held["email"] == "host@two-way.test", (
            f"the host pushed the client's new email; the ledger's customer {external_id!r} "
            f"holds {held!r}")

    def test_hook_push_record_conflict_with_psa_data_sends_the_host_value_back(
            self, app, db, provider_key, connected_connection, provider_state):
        setting, external_id, client = self._imported_customer(
            app, db, provider_key, connected_connection, provider_state, direction="both",
            conflict="host")
        client.billing_email = "host-side@two-way.test"  # changed here, not pushed yet
        db.session.commit()
        provider_state.edit_record("customer", external_id, {"email": "ledger-side@two-way.test"})
        _import(db, setting, "the pass after both sides changed")
        client = _the_client(db, connected_connection, client.name, "after the conflict")
        assert client.billing_email == "host-side@two-way.test", (
            f"with 'Use PSA data' the host client's email became {client.billing_email!r}")
        link = _link(db, connected_connection, "customer", client.id)
        assert _overwritten(link, "billing_email"), (
            "the conflict on billing_email is not in the record's history "
            f"({[e.changes for e in link.events]})")
        _push_pending(db, "the push of the host's winning values")
        held = provider_state.held_record("customer", external_id)
        assert held["email"] == "host-side@two-way.test", (
            f"with 'Use PSA data' the ledger should get the host's email back; it holds "
            f"{held['email']!r}")

    def test_hook_list_records_conflict_with_provider_data_takes_the_ledger_value(
            self, app, db, provider_key, connected_connection, provider_state):
        setting, external_id, client = self._imported_customer(
            app, db, provider_key, connected_connection, provider_state, direction="both",
            conflict="provider")
        client.billing_email = "host-side@two-way.test"
        db.session.commit()
        provider_state.edit_record("customer", external_id, {"email": "ledger-side@two-way.test"})
        _import(db, setting, "the pass after both sides changed")
        client = _the_client(db, connected_connection, client.name, "after the conflict")
        assert client.billing_email == "ledger-side@two-way.test", (
            f"with 'Use the provider's data' the host client's email is "
            f"{client.billing_email!r}, not the ledger's")
        link = _link(db, connected_connection, "customer", client.id)
        overwritten = _overwritten(link, "billing_email")
        assert overwritten and overwritten[-1].get("host") == "host-side@two-way.test", (
            "the record's history does not say the host's billing_email was overwritten "
            f"({[e.changes for e in link.events]})")

    def test_hook_push_record_a_host_push_then_an_inbound_pass_is_no_echo(
            self, app, db, provider_key, connected_connection, provider_state):
        two_way(app, provider_key, provider_state, *HOOKS)
        from host import events
        from host.models import BusinessUnit, Client, SyncRecord

        setting = _setting(db, connected_connection, "customer", direction="both")
        _import(db, setting, "the first import (the ledger's customers)")
        unit = db.session.get(BusinessUnit, connected_connection.business_unit_id)
        client = Client(organization_id=unit.organization_id, name=unique("Host Client"),
                        billing_email="pushed@two-way.test")
        db.session.add(client)
        db.session.flush()
        events.client_saved.send(client, created=True)
        db.session.commit()
        assert _push_pending(db, "the push of a client created in the host") == 1, (
            "the host queued no push for a client created with customers syncing both ways")
        link = _link(db, connected_connection, "customer", client.id)
        assert link is not None, "the pushed client has no link to the ledger's customer"
        history = len(link.events)
        if hasattr(provider_state, "advance_clock"):
            provider_state.advance_clock(60)
        _import(db, setting, "the inbound pass after the host's push")
        assert len(_clients(db, connected_connection, client.name)) == 1, (
            "the inbound pass made a second client of the customer the host pushed")
        client = _the_client(db, connected_connection, client.name, "after the pass")
        assert client.billing_email == "pushed@two-way.test"
        link = _link(db, connected_connection, "customer", client.id)
        assert not any(e.changes for e in link.events[history:]), (
            "the inbound pass recorded changes on the record the host just pushed: "
            f"{[e.changes for e in link.events[history:]]}")
        queued = list(db.session.scalars(db.select(SyncRecord).filter_by(
            object_type="client", status="pending")))
        assert queued == [], "the inbound pass queued the host's own push back out (echo)"

    def test_hook_list_records_an_invoice_made_in_the_ledger_comes_in_whole_then_paid(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        two_way(app, provider_key, provider_state, "list_records")
        from host.models import Invoice, SyncLink

        host_rate = _host_tax_rate(app, db, provider_key, connected_connection, sample_invoice)
        name = unique("Invoiced Customer")
        customer_id = provider_state.create_record(
            "customer", {"name": name, "email": "ap@invoiced.test"})
        item_id = provider_state.create_record(
            "item", {"name": unique("Invoiced Item"), "sku": unique("IV").replace(" ", "-"),
                     "unit_price": Decimal("40.00")})
        issue = sample_invoice.issue_date
        invoice_id = provider_state.create_record("invoice", {
            "customer_id": customer_id, "issue_date": issue,
            "due_date": issue + timedelta(days=30),
            "lines": [{"description": "Taxed work", "quantity": Decimal("3"),
                       "unit_price": Decimal("40.00"), "item_id": item_id, "taxed": True},
                      {"description": "Untaxed work", "quantity": Decimal("1"),
                       "unit_price": Decimal("15.00"), "item_id": item_id, "taxed": False}]})
        for object in ("customer", "item", "invoice"):
            _import(db, _setting(db, connected_connection, object, direction="in"),
                    f"the first import of {object}s")
        link = db.session.scalars(db.select(SyncLink).filter_by(
            connection_id=connected_connection.id, object="invoice",
            external_id=invoice_id)).one_or_none()
        assert link is not None and link.host_id, (
            f"the ledger's invoice {invoice_id!r} did not come in: "
            f"{link and (link.status, link.reason)}")
        invoice = db.session.get(Invoice, link.host_id)
        assert invoice.client.name == name, (
            f"the imported invoice bills {invoice.client.name!r}, the ledger's bills {name!r}")
        got = [(line.description, Decimal(line.quantity), money(line.unit_price),
                line.tax_rate_id) for line in invoice.lines]
        assert got == [("Taxed work", Decimal("3"), money("40.00"), host_rate.id),
                       ("Untaxed work", Decimal("1"), money("15.00"), None)], (
            f"the imported invoice's lines are {got}; expected 3 x 40.00 taxed at "
            f"{host_rate.name} and 1 x 15.00 untaxed")
        tax = (Decimal("120.00") * host_rate.rate / 100).quantize(Decimal("0.01"))
        assert money(invoice.total) == money(Decimal("135.00") + tax), (
            f"the imported invoice's total is {invoice.total}; the ledger booked "
            f"{Decimal('135.00') + tax}")
        provider_state.record_payment(invoice_id, money(invoice.total), issue)
        _import(db, _setting(db, connected_connection, "invoice"),
                "the pass after the invoice was paid in the ledger")
        invoice = db.session.get(Invoice, link.host_id)
        assert invoice.status == "paid", (
            f"the invoice was paid in full in the ledger; the host shows it {invoice.status!r}")
