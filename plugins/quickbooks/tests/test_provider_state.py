"""The QuickBooks sandbox's provider state (:mod:`qbo_state`) on its own: what the contract
suite reads back is what the sandbox company holds, and each fault it injects is the answer
the plugin turns into the typed error of its category."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest

from hookspecs import (
    AuthError,
    CreditNoteData,
    ExternalRef,
    ProviderDown,
    RateLimited,
    ValidationError,
)
from host.integrations.provider_state import (
    REQUIRED_FAULTS,
    HeldAllocation,
    HeldLine,
    ProviderState,
)
from host.integrations.signatures import hmac_sha256_base64
from psa_quickbooks.sandbox import US_REALM
from qbo_books import Books
from qbo_state import split_payment

TYPED = {"validation": ValidationError, "rate_limited": RateLimited,
         "provider_down": ProviderDown, "auth": AuthError, "lost_response": ProviderDown}


def push(hook, conn, invoice, key="state-1"):
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key=key)
    return replace(invoice, external=ExternalRef(result.external_id, result.number,
                                                 result.version, result.deep_link))


def test_provider_state_implements_the_protocol_with_every_required_fault(provider_state):
    assert isinstance(provider_state, ProviderState)
    assert REQUIRED_FAULTS <= provider_state.fault_categories


def test_provider_state_reads_a_pushed_invoice_back_with_its_lines_and_tax(
        hook, connected_connection, sample_invoice, provider_state):
    pushed = push(hook, connected_connection, sample_invoice)

    [doc] = provider_state.documents("invoice")
    assert doc == provider_state.document(pushed.external.external_id)
    assert (doc.kind, doc.external_id, doc.number) == (
        "invoice", pushed.external.external_id, pushed.external.number)
    assert doc.lines == (
        HeldLine("Consulting, October", Decimal("10"), Decimal("150"), Decimal("1500.00")),
        HeldLine("Travel", Decimal("1"), Decimal("80"), Decimal("80.00")))
    assert (doc.subtotal, doc.tax_total, doc.total) == (
        Decimal("1580.00"), Decimal("120.00"), Decimal("1700.00"))
    assert (doc.issue_date, doc.due_date) == (sample_invoice.issue_date, sample_invoice.due_date)
    assert (doc.currency, doc.customer_name, doc.status, doc.emailed) == (
        "USD", "Acme Ltd", "open", False)
    assert provider_state.payments(doc.external_id) == []
    assert provider_state.document("999") is None


def test_provider_state_sees_the_invoice_emailed_and_voided(
        qbo, hook, connected_connection, sample_invoice, provider_state):
    pushed = push(hook, connected_connection, sample_invoice)
    invoice_id = pushed.external.external_id
    books = Books(qbo)
    books.api("POST", f"invoice/{invoice_id}/send")  # "Send" in QuickBooks
    books.close()
    assert provider_state.document(invoice_id).emailed is True

    hook(connected_connection, "on_invoice_voided", invoice=pushed, idempotency_key="state-void")

    doc = provider_state.document(invoice_id)
    assert (doc.status, doc.total) == ("voided", Decimal("0.00"))
    assert provider_state.live_records()["Invoice"] == 0


def test_provider_state_record_payment_is_held_and_signed_for_the_plugins_app(
        app, hook, connected_connection, sample_invoice, provider_state):
    pushed = push(hook, connected_connection, sample_invoice)
    invoice_id = pushed.external.external_id

    payment, delivery = provider_state.record_payment(invoice_id, Decimal("500.00"),
                                                      date(2026, 11, 20))

    assert (payment.amount, payment.date, payment.voided) == (
        Decimal("500.00"), date(2026, 11, 20), False)
    assert payment.allocations == (HeldAllocation(invoice_id, Decimal("500.00")),)
    assert provider_state.payments(invoice_id) == [payment]
    assert provider_state.document(invoice_id).status == "open"  # 1,200.00 still open
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    assert headers["intuit-signature"] == hmac_sha256_base64(
        app.config["QUICKBOOKS_WEBHOOK_VERIFIER_TOKEN"], delivery.body)
    [notification] = json.loads(delivery.body)["eventNotifications"]
    assert notification["realmId"] == US_REALM
    named = {(e["name"], e["id"], e["operation"])
             for e in notification["dataChangeEvent"]["entities"]}
    assert ("Payment", payment.external_id, "Create") in named

    rest, _ = provider_state.record_payment(invoice_id, Decimal("1200.00"), date(2026, 11, 21))
    assert provider_state.document(invoice_id).status == "paid"
    assert [p.external_id for p in provider_state.payments(invoice_id)] == [
        payment.external_id, rest.external_id]


def test_provider_state_credit_memo_is_allocated_by_quickbooks_payment_of_zero(
        hook, connected_connection, sample_invoice, provider_state):
    pushed = push(hook, connected_connection, sample_invoice)
    invoice_id = pushed.external.external_id
    credit = CreditNoteData(
        id=1, number="CN-1", currency="USD", issue_date=pushed.issue_date,
        client=pushed.client, lines=pushed.lines[1:], subtotal=Decimal("80.00"),
        tax_total=Decimal("0"), total=Decimal("80.00"), invoice_id=pushed.id,
        invoice_number=pushed.number, invoice_external=pushed.external, reason="Travel")

    result = hook(connected_connection, "on_credit_note", credit_note=credit,
                  idempotency_key="state-cn")

    [memo] = provider_state.documents("credit_note")
    assert (memo.external_id, memo.kind, memo.total, memo.emailed) == (
        result.external_id, "credit_note", Decimal("80.00"), False)
    assert memo.allocations == (HeldAllocation(invoice_id, Decimal("80.00")),)
    assert memo.status == "paid"  # fully applied
    assert provider_state.payments(invoice_id) == []  # credit, not money received
    assert provider_state.live_records()["CreditMemo"] == 1


def test_provider_state_skew_bookings_books_a_taxed_invoice_without_its_tax(
        hook, connected_connection, sample_invoice, provider_state):
    provider_state.skew_bookings()

    pushed = push(hook, connected_connection, sample_invoice)

    doc = provider_state.document(pushed.external.external_id)
    assert (doc.tax_total, doc.total) == (Decimal("0.00"), Decimal("1580.00"))
    assert sample_invoice.tax_total == Decimal("120.00")


def test_split_payment_spreads_credit_over_the_invoice_lines_in_order():
    payment = {"Id": "9", "TotalAmt": 70, "Line": [
        {"Amount": 50, "LinkedTxn": [{"TxnId": "1", "TxnType": "Invoice"}]},
        {"Amount": 100, "LinkedTxn": [{"TxnId": "2", "TxnType": "Invoice"}]},
        {"Amount": 80, "LinkedTxn": [{"TxnId": "7", "TxnType": "CreditMemo"}]}]}

    cash, credit = split_payment(payment)

    assert credit == {"7": [HeldAllocation("1", Decimal("50.00")),
                            HeldAllocation("2", Decimal("30.00"))]}
    assert cash == [HeldAllocation("2", Decimal("70.00"))]


def test_provider_state_live_records_count_what_a_push_and_the_write_check_leave(
        hook, connected_connection, sample_invoice, provider_state):
    before = dict(provider_state.live_records())
    push(hook, connected_connection, sample_invoice)  # Acme Ltd is matched, not created
    after = dict(provider_state.live_records())
    assert after == dict(before, Invoice=before["Invoice"] + 1)

    hook(connected_connection, "test_connection", write_check=True)  # inactive, deleted

    assert provider_state.live_records() == after


@pytest.mark.parametrize("category", sorted(TYPED))
def test_provider_state_inject_fault_is_the_typed_error_of_its_category(
        hook, connected_connection, sample_invoice, provider_state, category):
    provider_state.inject_fault(category)

    with pytest.raises(TYPED[category]) as err:
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="state-fault")

    assert err.value.category == ("provider_down" if category == "lost_response" else category)
    assert provider_state.live_records()["Invoice"] == (1 if category == "lost_response" else 0)
    again = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="state-fault")
    assert [d.external_id for d in provider_state.documents("invoice")] == [again.external_id]


@pytest.mark.parametrize("writes_only", [True, False])
def test_provider_state_inject_fault_writes_only_spares_reads(qbo, provider_state,
                                                              writes_only):
    token = qbo.tokens(US_REALM)["access_token"]
    http = httpx.Client(base_url=qbo.url, headers={"Authorization": f"Bearer {token}",
                                                   "Accept": "application/json"})
    provider_state.inject_fault("validation", writes_only=writes_only)

    read = http.get(f"/v3/company/{US_REALM}/query", params={"query": "SELECT * FROM Term"})
    assert read.status_code == (200 if writes_only else 400)
    write = http.post(f"/v3/company/{US_REALM}/customer", json={"DisplayName": "Fault probe"})
    assert write.status_code == (400 if writes_only else 200)
    http.close()


def test_provider_state_refuses_a_fault_it_does_not_know(provider_state):
    with pytest.raises(ValueError, match="teapot"):
        provider_state.inject_fault("teapot")
