"""Scenarios: what the host pushes, read back from the provider's books.

Push the sample invoice and read it back line by line; push it again with the same key (one
invoice); lose the response and retry (still one); edit and push again (the same record,
updated); void it; credit it (allocated, never emailed); pay it from the host (held as a
payment on the invoice, and never reported back as a new payment).
"""

from __future__ import annotations

import pytest

from host.contract.errors import ProviderDown
from host.contract.types import MatchPreview, SyncResult
from host.integrations.contract_suite import documents
from host.integrations.contract_suite.hooks import call, need
from host.integrations.contract_suite.readback import (
    assert_holds_invoice,
    assert_holds_lines,
    books_as_sent,
    held,
    money,
    the_only_invoice,
)


def push(connection, invoice, key: str, what: str) -> SyncResult:
    result = call(connection, "on_invoice_sent", invoice=invoice, idempotency_key=key)
    assert isinstance(result, SyncResult), f"{what}: on_invoice_sent must return a SyncResult"
    assert result.external_id, f"{what}: the SyncResult has no external_id"
    return result


class OutboundScenarios:
    """``on_invoice_sent``, ``on_invoice_voided``, ``on_credit_note``, ``on_payment`` and
    ``preview_matches``."""

    #: The name of your settings field that has the provider email invoices to the customer
    #: (e.g. ``"auto_send"``). When set, the credit-note scenario switches it on, to prove the
    #: credit note is still never emailed. None: your plugin has no such setting.
    auto_send_setting: str | None = None

    def test_hook_on_invoice_sent_books_what_the_host_sent(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent")
        result = push(connected_connection, sample_invoice, "contract-push-1", "first push")
        doc = the_only_invoice(provider_state, "after one push")
        assert doc.external_id == result.external_id, (
            f"on_invoice_sent returned external_id {result.external_id!r}, the provider holds "
            f"the invoice as {doc.external_id!r}")
        assert result.number, "the SyncResult has no number (the provider's invoice number)"
        assert_holds_invoice(doc, sample_invoice, "after the push")
        assert result.differences == (), (
            f"the sample invoice was booked as sent, but SyncResult.differences reports "
            f"{result.differences}; compare what the provider booked with the invoice")
        assert result.emailed == doc.emailed, (
            f"SyncResult.emailed is {result.emailed}, but the provider "
            f"{'did' if doc.emailed else 'did not'} email the invoice")

    def test_hook_on_invoice_sent_reports_what_the_provider_booked_differently(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent")
        if not hasattr(provider_state, "skew_bookings"):
            pytest.skip("the provider state cannot make the provider book differently "
                        "(optional skew_bookings)")
        provider_state.skew_bookings()
        result = push(connected_connection, sample_invoice, "contract-skew-1", "skewed push")
        doc = the_only_invoice(provider_state, "after the push")
        if books_as_sent(doc, sample_invoice):
            pytest.fail("skew_bookings() did not change what the provider booked; fix the "
                        "provider state")
        assert result.differences, (
            "the provider booked the invoice differently from the host (read it back: "
            f"{doc.currency} {doc.total}, tax {doc.tax_total}), but SyncResult.differences is "
            "empty; describe the booking with BookedDocument and return compare(invoice, "
            "booked)")

    def test_hook_on_invoice_sent_is_idempotent(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent")
        first = push(connected_connection, sample_invoice, "contract-idem-1", "first push")
        again = push(connected_connection, sample_invoice, "contract-idem-1", "same key again")
        assert again.external_id == first.external_id, (
            f"the same idempotency key gave {first.external_id!r} then {again.external_id!r}; "
            "send the key as the provider's idempotency key")
        the_only_invoice(provider_state, "after pushing twice with the same key")

    def test_hook_on_invoice_sent_retry_after_a_lost_response_returns_the_same_record(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent")
        if "lost_response" not in provider_state.fault_categories:
            pytest.skip("the provider state cannot lose a response (lost_response)")
        provider_state.inject_fault("lost_response")
        with pytest.raises(ProviderDown):
            push(connected_connection, sample_invoice, "contract-lost-1", "lost response")
        retry = push(connected_connection, sample_invoice, "contract-lost-1", "retry")
        doc = the_only_invoice(provider_state, "after a lost response and its retry")
        assert retry.external_id == doc.external_id, (
            f"the retry returned {retry.external_id!r}, the provider holds {doc.external_id!r}")

    def test_hook_on_invoice_sent_again_after_an_edit_updates_the_same_record(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent")
        first = push(connected_connection, sample_invoice, "contract-edit-1", "first push")
        changed = documents.edited(documents.pushed(sample_invoice, first))
        again = push(connected_connection, changed, "contract-edit-2", "push after the edit")
        assert again.external_id == first.external_id, (
            f"the edited invoice was pushed as {again.external_id!r}, not as the first push's "
            f"{first.external_id!r}: when invoice.external is set, update that record")
        doc = the_only_invoice(provider_state, "after an edit pushed again")
        assert_holds_invoice(doc, changed, "after the edit")

    def test_hook_on_invoice_voided_voids_the_held_invoice(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "on_invoice_voided")
        first = push(connected_connection, sample_invoice, "contract-void-1", "push")
        result = call(connected_connection, "on_invoice_voided",
                      invoice=documents.pushed(sample_invoice, first),
                      idempotency_key="contract-void-2")
        assert isinstance(result, SyncResult), "on_invoice_voided must return a SyncResult"
        doc = held(provider_state, first.external_id, "after the void")
        assert doc.status == "voided", (
            f"after on_invoice_voided the provider holds the invoice as {doc.status!r}, "
            "not 'voided'")

    def test_hook_on_credit_note_is_allocated_to_the_invoice_and_never_emailed(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "on_credit_note")
        first = push(connected_connection, sample_invoice, "contract-cn-1", "push")
        if self.auto_send_setting:
            connected_connection.settings = {**connected_connection.settings,
                                             self.auto_send_setting: True}
            db.session.commit()
        note = documents.credit_note(documents.pushed(sample_invoice, first))
        result = call(connected_connection, "on_credit_note", credit_note=note,
                      idempotency_key="contract-cn-2")
        assert isinstance(result, SyncResult) and result.external_id, (
            "on_credit_note must return a SyncResult with the credit note's external_id")
        doc = held(provider_state, result.external_id, "the credit note")
        assert doc.kind == "credit_note", (
            f"on_credit_note created a {doc.kind}, not a credit note")
        assert_holds_lines(doc, note, "the credit note")
        assert money(doc.total) == money(note.total), (
            f"the credit note's total is {doc.total} at the provider, {note.total} in the host")
        allocated = [(a.invoice_external_id, money(a.amount)) for a in doc.allocations]
        assert allocated == [(first.external_id, money(note.total))], (
            f"the credit note is allocated {allocated}; expected all of it "
            f"({note.total}) on the invoice {first.external_id!r}")
        assert not doc.emailed and not result.emailed, (
            "the credit note was emailed to the customer; credit notes are never sent, "
            "whatever the auto-send setting")

    def test_hook_on_payment_is_held_on_the_invoice_and_never_echoed(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "on_payment")
        first = push(connected_connection, sample_invoice, "contract-pay-1", "push")
        invoice = documents.pushed(sample_invoice, first)
        amount = documents.part_payment(invoice)
        result = call(connected_connection, "on_payment",
                      payment=documents.payment(invoice, amount),
                      idempotency_key="contract-pay-2")
        assert isinstance(result, SyncResult) and result.external_id, (
            "on_payment must return a SyncResult with the provider's payment id")
        payments = {p.external_id: p for p in provider_state.payments(first.external_id)}
        assert result.external_id in payments, (
            f"on_payment returned {result.external_id!r}, but the payments the provider holds "
            f"on the invoice are {sorted(payments)}")
        allocated = [(a.invoice_external_id, money(a.amount))
                     for a in payments[result.external_id].allocations]
        assert allocated == [(first.external_id, money(amount))], (
            f"the payment is allocated {allocated}; expected {amount} on the invoice "
            f"{first.external_id!r}")
        need(app, provider_key, "reconcile")
        echoed = [p.external_id for p in call(connected_connection, "reconcile",
                                              cursor=None).payments
                  if any(a.invoice_external_id == first.external_id for a in p.allocations)
                  and p.external_id != result.external_id]
        assert echoed == [], (
            f"reconcile reported the host's own payment as new payment(s) {echoed}; report it "
            f"with the id on_payment returned ({result.external_id!r}) or not at all")

    def test_hook_preview_matches_finds_the_pushed_customer_and_writes_nothing(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "preview_matches")
        push(connected_connection, sample_invoice, "contract-preview-1", "push")
        doc = the_only_invoice(provider_state, "after the push")
        before = dict(provider_state.live_records())
        previews = call(connected_connection, "preview_matches", kind="client",
                        records=[sample_invoice.client])
        assert [type(p) for p in previews] == [MatchPreview], (
            f"preview_matches must return one MatchPreview per record, got {previews!r}")
        (preview,) = previews
        assert preview.outcome == "match" and preview.external_id, (
            f"the client {sample_invoice.client.name!r} was previewed as {preview.outcome!r}, "
            f"but the push booked the invoice to the provider's customer "
            f"{doc.customer_name!r}: preview it as a match to that customer")
        assert dict(provider_state.live_records()) == before, (
            "preview_matches wrote at the provider; it must only read")
