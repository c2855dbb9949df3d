"""The Xero sandbox's provider state (``xero_state.XeroProviderState``) on its own: what it
reads is what Xero holds, what it records and injects is what Xero would do."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import httpx
import pytest

from host.integrations.provider_state import ALL_FAULTS, ProviderState
from hookspecs import (
    AuthError,
    ConflictError,
    NotFoundError,
    ProviderDown,
    RateLimited,
    ValidationError,
)
from psa_xero.sandbox import UK_TENANT_ID
from xero_books import Xero


@pytest.fixture
def pushed(connected_connection, sample_invoice, hook):
    return hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                idempotency_key="state-1")


def test_it_implements_the_protocol_with_every_fault_category(provider_state):
    assert isinstance(provider_state, ProviderState)
    assert provider_state.fault_categories == ALL_FAULTS


def test_a_pushed_invoice_reads_back_with_its_lines_tax_and_due_date(provider_state, pushed,
                                                                     sample_invoice):
    held = provider_state.document(pushed.external_id)
    assert provider_state.documents("invoice") == [held]
    assert provider_state.documents("credit_note") == []
    assert (held.kind, held.number, held.status, held.currency) == (
        "invoice", sample_invoice.number, "open", "GBP")
    assert (held.issue_date, held.due_date) == (sample_invoice.issue_date, sample_invoice.due_date)
    assert held.customer_name == sample_invoice.client.name
    assert [(ln.description, ln.quantity, ln.unit_price, ln.amount, ln.tax_amount)
            for ln in held.lines] == [
        ("Consulting, November (10 h)", D("10"), D("150"), D("1500.00"), D("300.00")),
        ("Workshop facilitation (2 days)", D("2"), D("480"), D("960.00"), D("0.00"))]
    assert (held.subtotal, held.tax_total, held.total) == (D("2460.00"), D("300.00"),
                                                           D("2760.00"))
    assert held.emailed is False and held.allocations == ()
    assert provider_state.document("00000000-0000-0000-0000-000000000000") is None


def test_an_invoice_emailed_by_xero_reads_as_emailed(provider_state, pushed, xero_server):
    with Xero(xero_server.url) as xero:
        assert xero.api.post(f"/Invoices/{pushed.external_id}/Email",
                             json={}).status_code == 204
    assert provider_state.document(pushed.external_id).emailed is True


def test_a_credit_note_reads_back_with_its_allocation_and_not_emailed(provider_state, pushed,
                                                                      xero_server):
    with Xero(xero_server.url) as xero:
        note = xero.credit(xero.invoice(pushed.external_id), "100.00")
    held = provider_state.document(note["CreditNoteID"])
    assert provider_state.documents("credit_note") == [held]
    # wholly applied: Xero says PAID
    assert (held.kind, held.status, held.total, held.emailed) == ("credit_note", "paid",
                                                                 D("100.00"), False)
    assert [(a.invoice_external_id, a.amount) for a in held.allocations] == [
        (pushed.external_id, D("100.00"))]


def test_a_credit_note_xero_marks_sent_reads_as_emailed(provider_state, pushed, xero_server):
    with Xero(xero_server.url) as xero:
        note = xero.credit(xero.invoice(pushed.external_id), "100.00")
        resp = xero.api.post(f"/CreditNotes/{note['CreditNoteID']}", json={"CreditNotes": [
            {"CreditNoteID": note["CreditNoteID"], "SentToContact": True}]})
        assert resp.status_code == 200, resp.text
    assert provider_state.document(note["CreditNoteID"]).emailed is True


def test_record_payment_shows_up_and_comes_with_the_signed_delivery_xero_sends(
        app, provider_state, pushed):
    from host.integrations.dispatch import call_provider

    payment, delivery = provider_state.record_payment(pushed.external_id, D("1000.00"),
                                                      date(2026, 11, 25))

    assert (payment.amount, payment.date, payment.voided) == (D("1000.00"), date(2026, 11, 25),
                                                              False)
    assert [(a.invoice_external_id, a.amount) for a in payment.allocations] == [
        (pushed.external_id, D("1000.00"))]
    assert provider_state.payments(pushed.external_id) == [payment]
    assert provider_state.document(pushed.external_id).status == "open"  # 1,760.00 still due
    events = json.loads(delivery.body)["events"]
    assert [(e["eventCategory"], e["eventType"], e["resourceId"], e["tenantId"])
            for e in events] == [("INVOICE", "UPDATE", pushed.external_id, UK_TENANT_ID)]
    with app.app_context():
        assert call_provider("xero", "verify_webhook", headers=dict(delivery.headers),
                             body=delivery.body, config=app.config) is True
        assert call_provider("xero", "verify_webhook", headers=dict(delivery.headers),
                             body=delivery.body + b" ", config=app.config) is False

    provider_state.record_payment(pushed.external_id, D("1760.00"), date(2026, 11, 26))
    assert provider_state.document(pushed.external_id).status == "paid"
    assert len(provider_state.payments(pushed.external_id)) == 2


def test_a_payment_deleted_in_xero_reads_as_voided_and_leaves_the_live_records(
        provider_state, pushed, xero_server):
    payment, _ = provider_state.record_payment(pushed.external_id, D("10.00"), date(2026, 11, 25))
    before = provider_state.live_records()
    with Xero(xero_server.url) as xero:
        xero.delete_payment(payment.external_id)
    assert provider_state.payments(pushed.external_id)[0].voided is True
    assert provider_state.live_records() == {**before, "Payment": before["Payment"] - 1}


def test_live_records_count_what_a_push_created(connected_connection, provider_state, hook,
                                                sample_invoice):
    before = provider_state.live_records()
    hook(connected_connection, "on_invoice_sent", invoice=sample_invoice, idempotency_key="lr-1")
    after = provider_state.live_records()
    assert after == {**before, "Invoice": before["Invoice"] + 1,
                     "Contact": before["Contact"] + 1}  # the client became a Xero contact


FAULTS = {"validation": ValidationError, "conflict": ConflictError, "not_found": NotFoundError,
          "rate_limited": RateLimited, "provider_down": ProviderDown, "auth": AuthError}


@pytest.mark.parametrize("category", sorted(FAULTS))
def test_each_fault_answers_the_next_write_and_writes_nothing(
        connected_connection, provider_state, hook, sample_invoice, category):
    provider_state.inject_fault(category)
    with pytest.raises(FAULTS[category]) as err:
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key=f"fault-{category}")
    assert err.value.category == category
    assert provider_state.documents("invoice") == []


def test_a_validation_fault_carries_xeros_message(connected_connection, provider_state, hook,
                                                  sample_invoice):
    provider_state.inject_fault("validation")
    with pytest.raises(ValidationError, match="Email address must be valid"):
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="fault-v")


def test_a_fault_waits_for_a_write_unless_told_otherwise(connected_connection, provider_state,
                                                         hook, sample_invoice):
    provider_state.inject_fault("provider_down")
    result = hook(connected_connection, "test_connection", write_check=False)  # reads only
    assert all(check.status != "fail" for check in result.checks)
    with pytest.raises(ProviderDown):
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="w-1")

    provider_state.inject_fault("provider_down", writes_only=False)
    result = hook(connected_connection, "test_connection", write_check=False)
    assert result.checks[0].status == "fail" and "unavailable" in result.checks[0].message


def test_the_auth_fault_revokes_the_app_so_no_refresh_cures_it(connected_connection,
                                                               provider_state, hook,
                                                               sample_invoice, xero_server):
    provider_state.inject_fault("auth")
    with pytest.raises(AuthError):
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="a-1")
    connections = httpx.get(f"{xero_server.url}/_sandbox/connections").json()
    assert not [c for c in connections if c["tenantId"] == UK_TENANT_ID
                and c["client_id"] == "xero-demo-client"]


def test_a_lost_response_commits_and_the_retry_gets_the_same_record(
        connected_connection, provider_state, hook, sample_invoice):
    before = provider_state.live_records()
    provider_state.inject_fault("lost_response")
    with pytest.raises(ProviderDown):  # the first write: the new client's contact
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="lost-1")
    assert provider_state.live_records()["Contact"] == before["Contact"] + 1

    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="lost-1")
    assert provider_state.live_records() == {**before, "Contact": before["Contact"] + 1,
                                             "Invoice": before["Invoice"] + 1}

    second = replace(sample_invoice, id=sample_invoice.id + 1,
                     number=f"{sample_invoice.number}-2")
    provider_state.inject_fault("lost_response")
    with pytest.raises(ProviderDown):  # now the invoice itself
        hook(connected_connection, "on_invoice_sent", invoice=second, idempotency_key="lost-2")
    booked = [d for d in provider_state.documents("invoice") if d.number == second.number]
    assert len(booked) == 1
    again = hook(connected_connection, "on_invoice_sent", invoice=second, idempotency_key="lost-2")
    assert again.external_id == booked[0].external_id != first.external_id
    assert len(provider_state.documents("invoice")) == 2


def test_faults_are_per_organisation(connected_connection, xero_connection, provider_state, hook,
                                     sample_invoice, org):
    from xero_testkit import invoice_data

    provider_state.inject_fault("provider_down")
    other = xero_connection("us", business_unit_id=org.business_unit_ids[1])
    hook(other, "on_invoice_sent", invoice=invoice_data(currency="USD"), idempotency_key="o-1")
    with pytest.raises(ProviderDown):
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="o-2")


def test_skew_bookings_makes_xero_book_more_tax_than_the_psa_sent(provider_state, hook,
                                                                  connected_connection,
                                                                  sample_invoice):
    provider_state.skew_bookings()
    result = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                  idempotency_key="skew-1")
    held = provider_state.document(result.external_id)
    assert held.lines[0].tax_amount == D("337.50")  # 1,500.00 at 22.5 %
    assert (held.tax_total, held.total) == (D("337.50"), D("2797.50"))
    assert result.differences  # the plugin says Xero booked it differently
