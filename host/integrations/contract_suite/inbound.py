"""Scenarios: a payment typed at the provider comes back to the host, once.

An accountant records a payment in the provider's own app (``provider_state.record_payment``).
Its webhook must verify (a tampered copy must not), parse into events for the connection's
tenant, and ``fetch_changes`` must report that payment with its allocation; applied through the
host's inbound path twice it is recorded once. When the webhook never arrives, ``reconcile``
finds the payment, and the next pass from the returned cursor does not report it again.
"""

from __future__ import annotations

from werkzeug.datastructures import Headers

from host.contract.types import WEBHOOK_ENTITIES, WEBHOOK_OPERATIONS, ChangeSet, WebhookEvent
from host.integrations.contract_suite import documents
from host.integrations.contract_suite.hooks import call, call_keyless, need
from host.integrations.contract_suite.host_records import provider_payments, synced_invoice
from host.integrations.contract_suite.outbound import push
from host.integrations.contract_suite.readback import money

#: How far ``advance_clock`` moves the provider's clock before a reconcile pass: more than any
#: overlap a plugin re-reads before its cursor (QuickBooks 1 minute, Xero 2 minutes).
PAST_ANY_OVERLAP = 15 * 60


def _tampered(body: bytes) -> bytes:
    return body[:-1] + (b" " if body[-1:] != b" " else b"\n")


def _reported(changes, payment_id: str) -> list:
    assert isinstance(changes, ChangeSet), f"expected a ChangeSet, got {changes!r}"
    return [p for p in changes.payments if p.external_id == payment_id and not p.voided]


def _assert_allocated(record, invoice_id: str, amount, what: str) -> None:
    allocated = [(a.invoice_external_id, money(a.amount)) for a in record.allocations]
    assert (invoice_id, money(amount)) in allocated, (
        f"{what}: the payment {record.external_id!r} is allocated {allocated}; expected "
        f"{money(amount)} on the invoice {invoice_id!r}")


def _events(app, provider_key: str, delivery, tenant_id: str) -> list:
    """``parse_webhook`` on the delivery: events in the host's words, for the tenant."""
    events = call_keyless(app, provider_key, "parse_webhook",
                          headers=Headers(list(delivery.headers.items())), body=delivery.body)
    assert isinstance(events, list) and events, (
        f"parse_webhook turned the payment's delivery into {events!r}; expected events")
    for event in events:
        assert isinstance(event, WebhookEvent), f"parse_webhook returned {event!r}"
        assert event.entity in WEBHOOK_ENTITIES and event.operation in WEBHOOK_OPERATIONS, (
            f"event {event} uses entity {event.entity!r} / operation {event.operation!r}; "
            f"use the host's words {WEBHOOK_ENTITIES} / {WEBHOOK_OPERATIONS}")
        assert event.tenant_id == tenant_id, (
            f"event {event} names tenant {event.tenant_id!r}, the payment was recorded in "
            f"{tenant_id!r}: the host routes events by tenant")
        assert event.entity_id, f"event {event} names no entity_id"
    return events


class InboundScenarios:
    """``verify_webhook``, ``parse_webhook``, ``fetch_changes`` and ``reconcile``."""

    def _paid_at_the_provider(self, connected_connection, sample_invoice, provider_state,
                              key: str):
        first = push(connected_connection, sample_invoice, key, "push")
        invoice = documents.pushed(sample_invoice, first)
        amount = documents.part_payment(invoice)
        payment, delivery = provider_state.record_payment(first.external_id, amount,
                                                          invoice.issue_date)
        return first, amount, payment, delivery

    def test_hook_verify_webhook_accepts_the_provider_signature_only(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "verify_webhook")
        _, _, _, delivery = self._paid_at_the_provider(
            connected_connection, sample_invoice, provider_state, "contract-verify-1")
        headers = Headers(list(delivery.headers.items()))
        assert call_keyless(app, provider_key, "verify_webhook", headers=headers,
                            body=delivery.body, config=app.config) is True, (
            "verify_webhook refused a delivery the provider signed with the configured key")
        assert call_keyless(app, provider_key, "verify_webhook", headers=headers,
                            body=_tampered(delivery.body), config=app.config) is False, (
            "verify_webhook accepted a body changed after signing; verify the signature over "
            "the raw body with hmac.compare_digest")

    def test_hook_parse_webhook_gives_events_for_the_tenant_in_the_hosts_words(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "parse_webhook")
        _, _, _, delivery = self._paid_at_the_provider(
            connected_connection, sample_invoice, provider_state, "contract-parse-1")
        _events(app, provider_key, delivery, connected_connection.tenant_id)

    def test_hook_fetch_changes_turns_a_payment_webhook_into_one_host_payment(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "parse_webhook", "fetch_changes")
        from host.sync.inbound import apply_changes

        first, amount, payment, delivery = self._paid_at_the_provider(
            connected_connection, sample_invoice, provider_state, "contract-inbound-1")
        events = _events(app, provider_key, delivery, connected_connection.tenant_id)
        changes = call(connected_connection, "fetch_changes", events=events)
        found = _reported(changes, payment.external_id)
        assert len(found) == 1, (
            f"fetch_changes reported the provider's payment {payment.external_id!r} "
            f"{len(found)} times (payments reported: "
            f"{[p.external_id for p in changes.payments]}); report it once, with its own id")
        _assert_allocated(found[0], first.external_id, amount, "fetch_changes")
        invoice = synced_invoice(connected_connection, sample_invoice, first.external_id)
        apply_changes(connected_connection, changes)
        apply_changes(connected_connection, changes)
        recorded = provider_payments(invoice)
        assert [money(p.amount) for p in recorded] == [money(amount)], (
            f"applying the changes twice recorded {[p.amount for p in recorded]} on the host "
            f"invoice; expected one payment of {amount}")

    def test_hook_reconcile_finds_a_payment_whose_webhook_was_missed_once(
            self, app, db, provider_key, connected_connection, sample_invoice, provider_state):
        need(app, provider_key, "on_invoice_sent", "reconcile")
        from host.sync.inbound import apply_changes

        first, amount, payment, _ = self._paid_at_the_provider(
            connected_connection, sample_invoice, provider_state, "contract-missed-1")
        moved = hasattr(provider_state, "advance_clock")
        if moved:  # past any overlap a pass re-reads before its cursor
            provider_state.advance_clock(PAST_ANY_OVERLAP)
        changes = call(connected_connection, "reconcile", cursor=None)
        found = _reported(changes, payment.external_id)
        assert len(found) == 1, (
            f"reconcile(None) reported the payment {payment.external_id!r} {len(found)} times "
            f"(payments reported: {[p.external_id for p in changes.payments]}); a first pass "
            "must find payments on the invoices this connection pushed")
        _assert_allocated(found[0], first.external_id, amount, "reconcile")
        assert changes.cursor, "reconcile returned no cursor for the next pass"
        invoice = synced_invoice(connected_connection, sample_invoice, first.external_id)
        apply_changes(connected_connection, changes)
        again = call(connected_connection, "reconcile", cursor=changes.cursor)
        apply_changes(connected_connection, again)
        recorded = provider_payments(invoice)
        assert [money(p.amount) for p in recorded] == [money(amount)], (
            f"two reconcile passes recorded {[p.amount for p in recorded]} on the host invoice; "
            f"expected one payment of {amount} (report each payment with its provider id)")
        if moved:
            assert _reported(again, payment.external_id) == [], (
                f"reconcile from the cursor it returned ({changes.cursor!r}) reported the "
                f"payment {payment.external_id!r} again, although it was recorded "
                f"{PAST_ANY_OVERLAP // 60} minutes before that pass: the cursor does not advance "
                "past what the pass saw")
