"""Issue 4, point 5 end to end: payments come back from QuickBooks and go to it.

The host runs over real HTTP with a real worker process and only the quickbooks plugin; the
QuickBooks sandbox is a real server. Invoices are sent from the host's pages; money is received
on the sandbox's invoice page ("Receive payment") or through its Accounting API, as a
bookkeeper would; the sandbox's signed webhooks reach the host's ``/webhooks/quickbooks``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import httpx
import pytest

from host.integrations.e2e import poll, sync_status
from host.integrations.signatures import hmac_sha256_base64
from psa_quickbooks.sandbox import US_REALM
from qbo_e2ekit import status_of

pytestmark = pytest.mark.e2e


# -- helpers --------------------------------------------------------------------------------------


def send(env, tenant, amount="100.00", lines=None) -> tuple[int, str]:
    """Draft and send an invoice from the host's page; returns (host id, QuickBooks Id)."""
    invoice_id = env.draft_invoice(tenant, lines, amount=amount)
    return invoice_id, env.send_and_wait(tenant, invoice_id)["external_id"]


# -- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_payments_in_quickbooks_mark_the_host_invoice_partially_paid_then_paid_once(
        payments_world, tenant, books, fmt):
    env = payments_world.env
    payments_world.webhooks(fmt)
    invoice_id, qbo_id = send(env, tenant)

    first = books.receive_payment(qbo_id, "40.00")
    poll(lambda: status_of(tenant, invoice_id) == "partially_paid", what="partially paid")
    assert env.host_payments(invoice_id) == [
        ("provider", Decimal("40.00"), f"{first}:{qbo_id}", "recorded")]

    # Intuit redelivers the same notification, and another one names the same payment (counted
    # once QuickBooks delivered all it held: the push's own notifications, the payment's)
    count = len(env.settle_deliveries(payments_world.sandbox_url))
    sent = payments_world.control("GET", "webhooks").json()["deliveries"]
    last = next(d for d in reversed(sent) if d["status"] == "delivered")
    resp = httpx.post(f"{env.url}/webhooks/quickbooks", content=last["body"].encode(),
                      headers=last["headers"], timeout=15)
    assert (resp.status_code, resp.content) == (200, b"")
    assert len(env.deliveries()) == count  # the same body is stored once
    body = json.dumps({"eventNotifications": [{"realmId": US_REALM, "dataChangeEvent": {
        "entities": [{"name": "Payment", "id": first, "operation": "Update",
                      "lastUpdated": "2026-11-23T18:00:00.000Z"}]}}]}).encode()
    resp = httpx.post(f"{env.url}/webhooks/quickbooks", content=body, timeout=15, headers={
        "intuit-signature": hmac_sha256_base64(payments_world.verifier_token, body),
        "content-type": "application/json"})
    assert resp.status_code == 200
    poll(lambda: env.all_deliveries_processed(count + 1), what="the second notification processed")
    assert len(env.host_payments(invoice_id)) == 1

    second = books.receive_payment(qbo_id, "60.00")
    poll(lambda: status_of(tenant, invoice_id) == "paid", what="paid")
    assert env.host_payments(invoice_id) == [
        ("provider", Decimal("40.00"), f"{first}:{qbo_id}", "recorded"),
        ("provider", Decimal("60.00"), f"{second}:{qbo_id}", "recorded")]
    # a reconciliation pass afterwards finds both again and records nothing twice
    env.reconcile(tenant.connection_id)
    assert len(env.host_payments(invoice_id)) == 2
    assert [e for e in env.settle_deliveries(payments_world.sandbox_url)
            if e[1] != "processed"] == []


def test_webhook_with_a_bad_signature_is_refused_and_not_stored(payments_world, tenant):
    env = payments_world.env
    count = len(env.settle_deliveries(payments_world.sandbox_url))
    body = b'{"eventNotifications":[]}'
    resp = httpx.post(f"{env.url}/webhooks/quickbooks", content=body, timeout=15, headers={
        "intuit-signature": hmac_sha256_base64("another-apps-token", body)})
    assert resp.status_code == 401
    assert len(env.deliveries()) == count


def test_a_missed_webhook_is_caught_by_the_reconciliation_pass(payments_world, tenant, books):
    env = payments_world.env
    payments_world.webhooks(None)  # the app's webhook endpoint is not configured
    paid_id, paid_qbo = send(env, tenant)
    voided_id, voided_qbo = send(env, tenant, amount="70.00")
    before = len(env.deliveries())

    books.receive_payment(paid_qbo, "100.00")
    books.void_invoice(voided_qbo)
    assert status_of(tenant, paid_id) == "sent" and len(env.deliveries()) == before

    env.reconcile(tenant.connection_id)
    assert status_of(tenant, paid_id) == "paid"
    assert [p[:2] for p in env.host_payments(paid_id)] == [("provider", Decimal("100.00"))]
    # the invoice voided in QuickBooks is shown as such; the host invoice is left as it is
    panel = tenant.user.page(f"/invoices/{voided_id}/sync")
    assert 'data-state="voided"' in panel and "Voided at the provider" in panel
    assert status_of(tenant, voided_id) == "sent"
    assert env.sync_row(voided_id)["status"] == "synced"


def test_a_payment_recorded_in_the_host_goes_to_quickbooks_once_and_is_not_echoed(
        payments_world, tenant, books):
    env = payments_world.env
    payments_world.webhooks("legacy")
    invoice_id, qbo_id = send(env, tenant)
    before = len(env.settle_deliveries(payments_world.sandbox_url))  # the push's own

    payment_id = env.record_payment(tenant, invoice_id, "30.00",
                                    date(2026, 11, 23).isoformat(), "CHK 881")
    assert status_of(tenant, invoice_id) == "partially_paid"
    ((source, amount, _, _),) = env.host_payments(invoice_id)
    assert (source, amount) == ("host", Decimal("30.00"))
    row = env.wait_record(payment_id, "payment")  # the payment pushed to QuickBooks: synced
    (booked,) = books.payments_linking(qbo_id)
    assert booked["Id"] == row["external_id"]
    assert (booked["TotalAmt"], booked["PaymentRefNum"]) == (30, "CHK 881")
    assert books.invoice(qbo_id)["Balance"] == 70

    # QuickBooks notifies the host of that payment: it is not recorded a second time
    assert len(env.settle_deliveries(payments_world.sandbox_url)) > before
    env.reconcile(tenant.connection_id)
    assert [p[:2] for p in env.host_payments(invoice_id)] == [("host", Decimal("30.00"))]
    assert status_of(tenant, invoice_id) == "partially_paid"
    assert len(books.payments_linking(qbo_id)) == 1
    assert sync_status(tenant.user.page(f"/invoices/{invoice_id}/sync")) == "synced"


def test_a_payment_voided_in_quickbooks_is_reversed_in_the_host(payments_world, tenant, books):
    env = payments_world.env
    payments_world.webhooks("cloudevents")
    invoice_id, qbo_id = send(env, tenant)
    payment = books.receive_payment(qbo_id, "100.00")
    poll(lambda: status_of(tenant, invoice_id) == "paid", what="paid")

    current = books.api("GET", f"payment/{payment}")["Payment"]
    books.api("POST", "payment", {"Id": payment, "SyncToken": current["SyncToken"],
                                  "sparse": True}, operation="update", include="void")
    poll(lambda: env.host_payments(invoice_id)[0][3] == "reversed",
         what="the host payment reversed")
    assert status_of(tenant, invoice_id) == "sent"
    assert len(env.host_payments(invoice_id)) == 1


def test_an_invoice_edited_in_quickbooks_is_flagged_on_the_host_invoice(payments_world, tenant,
                                                                       books):
    env = payments_world.env
    payments_world.webhooks(None)
    invoice_id, qbo_id = send(env, tenant)
    current = books.invoice(qbo_id)
    lines = [ln for ln in current["Line"] if ln.get("DetailType") == "SalesItemLineDetail"]
    lines[0]["Amount"] = 90
    lines[0]["SalesItemLineDetail"].update(Qty=1, UnitPrice=90)
    books.api("POST", "invoice", {"Id": qbo_id, "SyncToken": current["SyncToken"],
                                  "sparse": True, "Line": lines})
    env.reconcile(tenant.connection_id)
    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    assert 'data-state="differs"' in panel and "Edited at the provider" in panel


def test_a_full_payment_in_quickbooks_pays_a_taxed_invoice_at_a_rate_quickbooks_lacks(
        payments_world, tenant, books):
    """The demo's case: New York 8.875 % in the PSA, QuickBooks' default sales tax code at 8 %.
    The invoice in QuickBooks carries the PSA's tax, so the customer paying the whole
    QuickBooks balance pays the PSA invoice in full."""
    env = payments_world.env
    payments_world.webhooks("legacy")
    rate_id = env.add_tax_rate(tenant, "US Sales Tax (NY)", "8.875")
    invoice_id, qbo_id = send(env, tenant, lines=[
        {"quantity": Decimal("22"), "unit_price": Decimal("150.00"),
         "description": "Consulting, November", "tax_rate_id": rate_id}])
    facts = env.invoice_facts(invoice_id)
    assert (facts["total"], facts["tax_total"]) == (Decimal("3592.88"), Decimal("292.88"))
    booked = books.invoice(qbo_id)
    assert (booked["TotalAmt"], booked["TxnTaxDetail"]["TotalTax"]) == (3592.88, 292.88)
    assert booked["Balance"] == 3592.88  # not 3,564.00 (8 %)

    payment = books.receive_payment(qbo_id, "3592.88")
    poll(lambda: status_of(tenant, invoice_id) == "paid", what="paid")
    assert env.host_payments(invoice_id) == [
        ("provider", Decimal("3592.88"), f"{payment}:{qbo_id}", "recorded")]
    assert books.invoice(qbo_id)["Balance"] == 0

