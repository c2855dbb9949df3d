"""Invoices in (host.sync.twoway.apply_invoices): records built here, applied to the host."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from synchelpers import make_invoice, records

from host.contract.records import InboundCustomer, InboundInvoice, InboundLine
from host.contract.types import PaymentAllocation, PaymentRecord
from host.models import Invoice, SyncLink, TaxRate
from host.models.external_ref import ConnectionMapping
from host.sync.queue import drain
from host.sync.twoway import apply_customers, apply_invoices

D = Decimal


def _invoice(external_id="I1", number="1001", lines=None, tax=D("0"), **kw):
    lines = lines or (InboundLine("Consulting", D("2"), D("50"), D("100")),)
    values = dict(external_id=external_id, number=number, customer_external_id="C1",
                  currency="USD", issue_date=date(2026, 12, 1), due_date=date(2026, 12, 31),
                  status="open", lines=tuple(lines), tax_total=tax)
    values.update(kw)
    if "subtotal" not in values:
        values["subtotal"] = sum((line.amount for line in lines), D(0))
    if "total" not in values:
        values["total"] = values["subtotal"] + tax
    return InboundInvoice(**values)


@pytest.fixture
def customer(db, inbound_run):
    """The ledger customer C1 ("Initech"), imported."""
    run = inbound_run("customer")
    apply_customers.apply_page(run, [InboundCustomer("C1", "Initech")])
    db.session.commit()


def _link(db, external_id="I1"):
    return db.session.scalars(db.select(SyncLink).filter_by(object="invoice",
                                                            external_id=external_id)).one()


def _host_invoice(db, external_id="I1"):
    db.session.expire_all()
    return db.session.get(Invoice, _link(db, external_id).host_id)


def test_an_invoice_from_the_ledger_becomes_a_sent_host_invoice(
        app, db, org, connection, customer, inbound_run):
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice()])
    db.session.commit()
    invoice = _host_invoice(db)
    assert (invoice.number, invoice.status, invoice.client.name) == ("1001", "sent", "Initech")
    assert (invoice.source, invoice.source_connection_id) == ("fakeprovider", connection.id)
    assert invoice.total == D("100.00") and invoice.lines[0].quantity == 2
    (record,) = records("invoice")
    assert (record.status, record.external_id, record.object_id) == ("synced", "I1", invoice.id)
    assert drain(app) == 0  # nothing goes back out (no echo)
    assert run.setting.created == 1


def test_a_taken_number_gets_the_provider_suffix_and_the_history_says_so(
        db, org, connection, customer, inbound_run):
    make_invoice(org)  # INV-0001
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice(number="INV-0001")])
    db.session.commit()
    assert _host_invoice(db).number == "INV-0001-fakeprovider"
    assert "taken" in _link(db).events[-1].message


def test_without_its_customer_it_waits_and_retry_material_is_kept(
        db, org, connection, inbound_run):
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice()])
    db.session.commit()
    link = _link(db)
    assert link.status == "waiting" and "customer C1 has not been imported" in link.reason
    assert "customers' import" in link.fix and link.payload["number"] == "1001"
    assert db.session.scalars(db.select(Invoice)).all() == []


def test_tax_through_the_mapping_or_the_only_rate_with_that_percentage(
        db, org, connection, customer, inbound_run):
    vat = TaxRate(organization_id=org.id, name="VAT", rate=D("20"))
    db.session.add(vat)
    db.session.commit()
    lines = (InboundLine("Consulting", D("1"), D("100"), D("100"), tax_code="T9",
                         tax_percent=D("20"), tax_amount=D("20")),)
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice(lines=lines, tax=D("20"))])
    db.session.commit()
    invoice = _host_invoice(db)
    assert invoice.lines[0].tax_rate_id == vat.id and invoice.total == D("120.00")

    unknown = (InboundLine("Consulting", D("1"), D("100"), D("100"), tax_code="T7",
                           tax_percent=D("7"), tax_amount=D("7")),)
    apply_invoices.apply_page(run, [_invoice("I2", "1002", lines=unknown, tax=D("7"))])
    db.session.commit()
    assert "tax code T7" in _link(db, "I2").reason
    db.session.add(TaxRate(organization_id=org.id, name="Reduced", rate=D("7")))
    other = TaxRate(organization_id=org.id, name="Other", rate=D("7"))
    db.session.add(other)
    db.session.flush()
    db.session.add(ConnectionMapping(connection_id=connection.id, kind="tax_code",
                                     host_id=str(other.id), external_id="T7"))
    db.session.commit()
    apply_invoices.apply_page(run, [_invoice("I2", "1002", lines=unknown, tax=D("7"))])
    db.session.commit()
    assert _host_invoice(db, "I2").lines[0].tax_rate_id == other.id


def test_a_code_mapped_to_a_rate_of_another_percentage_waits_naming_both(
        db, org, connection, customer, inbound_run):
    """The demo's trap: QuickBooks' 8 % code mapped to the host's 8.875 % rate. The invoice
    waits, and the reason names the host rate and the ledger's percentage, the fix the page."""
    ny = TaxRate(organization_id=org.id, name="US Sales Tax (NY)", rate=D("8.875"))
    db.session.add(ny)
    db.session.flush()
    db.session.add(ConnectionMapping(connection_id=connection.id, kind="tax_code",
                                     host_id=str(ny.id), external_id="2"))
    db.session.commit()
    lines = (InboundLine("Consulting", D("3"), D("150"), D("450"), tax_code="2",
                         tax_percent=D("8"), tax_amount=None),)
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice(lines=lines, tax=D("36"))])
    db.session.commit()
    link = _link(db)
    assert link.status == "waiting" and link.host_id is None
    assert link.reason == ("The host computes a tax of 39.94, the ledger 36, with "
                           "US Sales Tax (NY) (8.875 %) where the ledger says 8 %.")
    assert "same percentage" in link.fix and "Manage page (tax rates)" in link.fix


def test_lines_that_do_not_add_up_wait_with_the_numbers(db, org, connection, customer,
                                                       inbound_run):
    run = inbound_run("invoice")
    bad = _invoice(subtotal=D("90"), total=D("90"))
    apply_invoices.apply_page(run, [bad])
    db.session.commit()
    assert "100.00" in _link(db).reason and "90" in _link(db).reason
    assert run.setting.failed == 1


def test_payments_mark_it_paid_once_and_a_void_follows(db, org, connection, customer,
                                                      inbound_run):
    run = inbound_run("invoice")
    paid = PaymentRecord("P1", date(2026, 12, 5), (PaymentAllocation("I1", D("100")),))
    apply_invoices.apply_page(run, [_invoice(status="paid", payments=(paid,))])
    apply_invoices.apply_page(run, [_invoice(status="paid", payments=(paid,))])
    db.session.commit()
    invoice = _host_invoice(db)
    assert invoice.status == "paid" and len(invoice.payments) == 1
    apply_invoices.apply_page(run, [_invoice("I2", "1002")])
    apply_invoices.apply_page(run, [_invoice("I2", "1002", status="voided")])
    db.session.commit()
    assert _host_invoice(db, "I2").status == "void"
    assert [r.object_type for r in records()] == ["invoice", "invoice"]  # no void pushed


def test_an_edit_in_the_ledger_replaces_the_lines_unless_the_host_won(
        db, org, connection, customer, inbound_run):
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice(memo="first")])
    db.session.commit()
    edited = (InboundLine("Consulting", D("3"), D("50"), D("150")),)
    apply_invoices.apply_page(run, [_invoice(lines=edited, memo="second")])
    db.session.commit()
    invoice = _host_invoice(db)
    assert invoice.total == D("150.00") and invoice.memo == "second"
    assert run.setting.updated == 1
    invoice.memo = "host edit"
    db.session.commit()
    apply_invoices.apply_page(run, [_invoice(lines=edited, memo="ledger edit")])
    db.session.commit()
    assert _host_invoice(db).memo == "host edit"
    change = [e for e in _link(db).events if e.changes][-1].changes[0]
    assert (change["field"], change["kept"], change["conflict"]) == ("memo", "host", True)


def test_drafts_and_host_pushed_invoices_are_not_imported(app, db, org, connection, customer,
                                                        inbound_run):
    pushed = make_invoice(org, send=True)
    drain(app)
    (record,) = records("invoice")
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [_invoice("D1", status="draft"),
                                    _invoice(record.external_id, number="X")])
    db.session.commit()
    assert _link(db, "D1").status == "skipped"
    assert [i.id for i in db.session.scalars(db.select(Invoice))] == [pushed.id]


def test_with_the_ledger_policy_a_host_invoice_edited_there_follows_it(
        app, db, org, connection, customer, inbound_run):
    pushed = make_invoice(org, send=True)
    drain(app)
    (record,) = records("invoice")
    run = inbound_run("invoice", conflict="provider")
    edited = (InboundLine("Consulting", D("1"), D("80"), D("80")),)
    apply_invoices.apply_page(run, [_invoice(record.external_id, number=record.number or "X",
                                             lines=edited)])
    db.session.commit()
    db.session.expire_all()
    invoice = db.session.get(Invoice, pushed.id)
    assert invoice.total == D("80.00")
    link = _link(db, record.external_id)
    assert link.origin == "host" and any(c["field"] == "lines" for c in link.events[-1].changes)


money = st.one_of(st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False,
                             allow_infinity=False),
                 st.decimals(allow_nan=True, allow_infinity=True))


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(quantity=money, price=money, amount=money, total=money,
       currency=st.text(max_size=5), number=st.text(max_size=80),
       description=st.text(max_size=700))
def test_hostile_invoices_are_imported_whole_or_wait(db, org, connection, customer, inbound_run,
                                                    quantity, price, amount, total, currency,
                                                    number, description):
    run = inbound_run("invoice")
    line = InboundLine(description, quantity, price, amount)
    apply_invoices.apply_page(run, [_invoice("H1", number, lines=(line,), currency=currency,
                                             subtotal=amount, total=total)])
    db.session.commit()
    link = _link(db, "H1")
    invoices = db.session.scalars(db.select(Invoice)).all()
    if link.status == "linked":
        (invoice,) = invoices
        assert len(invoice.lines) == 1 and 0 < len(invoice.number) <= 30
    else:
        assert link.status == "waiting" and link.reason and invoices == []
    for invoice in invoices:
        for r in records("invoice"):
            db.session.delete(r)
        db.session.delete(invoice)
    db.session.delete(link)
    db.session.commit()


def test_a_payment_that_is_not_a_number_keeps_the_invoice_waiting(db, org, connection, customer,
                                                                  inbound_run):
    run = inbound_run("invoice")
    bad = PaymentRecord("P9", date(2026, 12, 5), (PaymentAllocation("I1", D("sNaN")),))
    apply_invoices.apply_page(run, [_invoice(payments=(bad,))])
    db.session.commit()
    assert "payment P9" in _link(db).reason
    assert db.session.scalars(db.select(Invoice)).all() == []
