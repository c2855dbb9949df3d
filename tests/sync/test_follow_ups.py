"""After the invoice: credit notes, host payments and voids reach the provider, in order."""

from decimal import Decimal

import fakeledger
import pytest
from synchelpers import make_invoice, records

from host.services.credit_notes import issue_credit_note
from host.services.invoicing import void_invoice
from host.services.payments import record_payment
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


@pytest.fixture
def connection(connection_factory):
    return connection_factory(settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def _docs(kind):
    return [d for d in LEDGER.documents.values() if d["type"] == kind]


def test_credit_note_is_pushed_against_the_pushed_invoice(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    drain(app)
    issue_credit_note(invoice, amount=Decimal("25.00"), reason="Goodwill")
    drain(app)
    (record,) = records("credit_note")
    assert record.status == "synced"
    (credit,) = _docs("credit_note")
    assert credit["invoice"] == records("invoice")[0].external_id
    assert record.external_id == credit["id"]


def test_payment_typed_in_the_host_is_pushed_once(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    drain(app)
    record_payment(invoice, Decimal("30.00"), source="host")
    drain(app)
    (record,) = records("payment")
    assert record.status == "synced"
    (payment,) = _docs("payment")
    assert payment["invoice_id"] == records("invoice")[0].external_id
    assert payment["amount"] == "30.00"


def test_payment_waits_for_its_invoice_to_reach_the_provider(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    record_payment(invoice, Decimal("30.00"), source="host")
    LEDGER.fail_next("provider_down")  # the invoice push fails first
    drain(app)
    (payment_record,) = records("payment")
    assert payment_record.status == "pending"
    assert "Waiting for the paid invoice" in payment_record.note
    assert _docs("payment") == []


def test_void_in_the_host_voids_the_pushed_invoice(app, org, db, connection):
    invoice = make_invoice(org, send=True)
    drain(app)
    void_invoice(invoice)
    drain(app)
    (record,) = records("invoice_void")
    assert record.status == "synced"
    (pushed,) = LEDGER.invoices()
    assert pushed["voided"] is True


def test_reconcile_does_not_echo_a_payment_the_host_pushed(app, org, db, connection):
    from host.sync.sweeper import reconcile_connection
    from synchelpers import fresh_invoice

    invoice = make_invoice(org, send=True)
    drain(app)
    record_payment(invoice, Decimal("30.00"), source="host")
    drain(app)
    reconcile_connection(connection.id)  # the ledger reports every document, ours included
    invoice = fresh_invoice(invoice.id)
    assert invoice.amount_paid == Decimal("30.00")
    assert [p.source for p in invoice.payments] == ["host"]
