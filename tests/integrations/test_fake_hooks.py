"""Every remaining hook of the fake provider, over real HTTP through the host's dispatch."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

import fakeledger
from hookspecs import (ClientData, CreditNoteData, ExternalRef, InvoiceData, LineData,
                       PaymentData, ValidationError)
from host.integrations.dispatch import call_owner, call_provider

CLIENT = ClientData(id=5, name="Initech")
LINE = LineData(id=1, description="Support", quantity=Decimal("2"), unit_price=Decimal("50"),
                amount=Decimal("100.00"))
INVOICE = InvoiceData(id=3, number="INV-3", status="sent", currency="USD",
                      issue_date=date(2026, 11, 2), due_date=date(2026, 12, 2), client=CLIENT,
                      lines=(LINE,), subtotal=Decimal("100"), tax_total=Decimal("0"),
                      total=Decimal("100"))


@pytest.fixture
def conn(connection_factory):
    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    return connection_factory(tokens=tokens, settings={"default_item": "1"})


@pytest.fixture
def pushed(conn):
    result = call_owner(conn, "on_invoice_sent", invoice=INVOICE, idempotency_key="push-3")
    return replace(INVOICE, external=ExternalRef(result.external_id, result.number))


def test_hook_on_invoice_voided_voids_at_the_ledger(conn, pushed):
    result = call_owner(conn, "on_invoice_voided", invoice=pushed, idempotency_key="void-3")
    assert result.external_id == pushed.external.external_id
    assert fakeledger.LEDGER.documents[result.external_id]["voided"] is True


def test_hook_on_credit_note_points_at_the_invoice(conn, pushed):
    note = CreditNoteData(id=1, number="CN-1", currency="USD", issue_date=date(2026, 11, 3),
                          client=CLIENT, lines=(LINE,), subtotal=Decimal("100"),
                          tax_total=Decimal("0"), total=Decimal("100"), invoice_id=3,
                          invoice_number="INV-3", invoice_external=pushed.external)
    result = call_owner(conn, "on_credit_note", credit_note=note, idempotency_key="cn-1")
    doc = fakeledger.LEDGER.documents[result.external_id]
    assert doc["type"] == "credit_note" and doc["invoice"] == pushed.external.external_id


def test_hook_on_payment_books_against_the_pushed_invoice(conn, pushed):
    payment = PaymentData(id=1, amount=Decimal("40.00"), date=date(2026, 11, 4), currency="USD",
                          invoice_id=3, invoice_number="INV-3", invoice_external=pushed.external,
                          client=CLIENT)
    result = call_owner(conn, "on_payment", payment=payment, idempotency_key="pay-1")
    doc = fakeledger.LEDGER.documents[result.external_id]
    assert doc["amount"] == "40.00" and doc["invoice_id"] == pushed.external.external_id


def test_hook_verify_webhook_accepts_the_signature_only(app, pushed):
    body, headers = fakeledger.LEDGER.record_payment(pushed.external.external_id, Decimal("60"))
    with app.app_context():
        assert call_provider("fakeprovider", "verify_webhook", headers=headers, body=body,
                             config=app.config) is True
        assert call_provider("fakeprovider", "verify_webhook", headers={}, body=body,
                             config=app.config) is False


def test_hook_parse_webhook_turns_a_delivery_into_events(app, pushed):
    body, headers = fakeledger.LEDGER.record_payment(pushed.external.external_id, Decimal("60"))
    with app.app_context():
        events = call_provider("fakeprovider", "parse_webhook", headers=headers, body=body)
        assert [(e.entity, e.operation, e.tenant_id) for e in events] == [
            ("payment", "create", "t-1")]
        with pytest.raises(ValidationError):
            call_provider("fakeprovider", "parse_webhook", headers=headers, body=b"{oops")


def test_hook_fetch_changes_reports_the_payment_allocation(app, conn, pushed):
    body, headers = fakeledger.LEDGER.record_payment(pushed.external.external_id, Decimal("60"))
    events = call_provider("fakeprovider", "parse_webhook", headers=headers, body=body)
    changes = call_owner(conn, "fetch_changes", events=events)
    (payment,) = changes.payments
    assert payment.allocations[0].invoice_external_id == pushed.external.external_id
    assert payment.allocations[0].amount == Decimal("60")


def test_hook_reconcile_returns_changes_and_a_cursor(conn, pushed):
    fakeledger.LEDGER.record_payment(pushed.external.external_id, Decimal("100"))
    first = call_owner(conn, "reconcile", cursor=None)
    assert first.cursor and [p.allocations[0].amount for p in first.payments] == [Decimal("100")]
    assert [i.status for i in first.invoices] == ["open"]
    again = call_owner(conn, "reconcile", cursor=first.cursor)
    assert again.payments == () and again.cursor
