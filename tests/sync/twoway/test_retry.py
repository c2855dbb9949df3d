"""Retry (host.sync.twoway.retry): a waiting record applied again from its kept payload."""

from datetime import date
from decimal import Decimal

from host.contract.records import InboundCustomer, InboundInvoice, InboundLine
from host.models import Invoice, SyncLink
from host.sync.twoway import apply_customers, apply_invoices
from host.sync.twoway.retry import retry


def test_an_invoice_waiting_for_its_customer_comes_in_on_retry(db, org, connection,
                                                               inbound_run, fake_ledger):
    record = InboundInvoice("I1", "1001", "C1", "USD", date(2026, 12, 1), None, "open",
                            (InboundLine("Work", Decimal("1"), Decimal("100"), Decimal("100")),),
                            Decimal("100"), Decimal("0"), Decimal("100"))
    run = inbound_run("invoice")
    apply_invoices.apply_page(run, [record])
    db.session.commit()
    link = db.session.scalars(db.select(SyncLink).filter_by(external_id="I1")).one()
    assert link.status == "waiting"
    fake_ledger.requests = 0
    assert retry(link) == "waiting"  # nothing changed: still waiting, counted once
    assert run.setting.failed == 1 and run.setting.seen == 1
    apply_customers.apply_page(inbound_run("customer"), [InboundCustomer("C1", "Initech")])
    db.session.commit()
    assert retry(link) == "linked"
    (invoice,) = db.session.scalars(db.select(Invoice)).all()
    assert invoice.client.name == "Initech" and invoice.total == Decimal("100.00")
    db.session.refresh(run.setting)
    assert (run.setting.failed, run.setting.created, run.setting.seen) == (0, 1, 1)
    assert fake_ledger.requests <= 1  # at most the field choices; never the record
