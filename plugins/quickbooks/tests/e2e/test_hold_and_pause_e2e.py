"""Automatic push off and sync paused, end to end with QuickBooks.

The host runs over real HTTP with a real worker process and only the quickbooks plugin; the
QuickBooks sandbox is a real server whose signed webhooks reach the host. An admin switches
automatic push off on the Manage page: a sent invoice is held and QuickBooks has nothing; the
invoice panel's Push sends it, once. The admin pauses sync: a payment received in QuickBooks
is delivered, verified and stored, but the host invoice stays unpaid; Resume applies it.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from host.integrations.e2e import poll, sync_status
from qbo_e2ekit import customer_ids, invoices_of, new_invoice, status_of

pytestmark = pytest.mark.e2e


def _manage_action(tenant, action: str, data: dict | None = None) -> None:
    manage = f"/settings/integrations/connections/{tenant.connection_id}"
    resp = tenant.user.post_form(manage, f"{manage}/{action}", data)
    assert resp.status_code in (302, 303), resp.text[-2000:]


def _payment_deliveries(env, payment_id: str) -> list[str]:
    """Statuses of the stored webhook deliveries that name the QuickBooks payment."""
    from host.extensions import db
    from host.models import WebhookDelivery

    with env.app.app_context():
        rows = [d.status for d in db.session.scalars(
            db.select(WebhookDelivery).order_by(WebhookDelivery.id))
            if b'"Payment"' in d.body and f'"{payment_id}"'.encode() in d.body]
        db.session.remove()
    return rows


def test_held_invoice_is_pushed_once_and_a_paused_payment_is_applied_on_resume(
        payments_world, tenant, books):
    env = payments_world.env
    payments_world.webhooks("legacy")
    _manage_action(tenant, "auto-push", {})  # the switch unticked: automatic push off

    invoice_id, client_name = new_invoice(env, tenant, tag="held")
    env.press_send(tenant, invoice_id)
    page = f"/invoices/{invoice_id}"
    html = tenant.user.page(page)
    assert sync_status(html) == "held" and "Automatic push is off" in html
    row = env.sync_row(invoice_id)
    assert (row["status"], row["attempts"]) == ("held", 0)  # no worker ever took it
    assert customer_ids(payments_world, client_name) == []  # nothing in QuickBooks
    assert status_of(tenant, invoice_id) == "sent"

    # The invoice panel's Push: enqueued, pushed by the worker, once.
    push = re.search(r'action="(/sync/records/\d+/push)"', html).group(1)
    resp = tenant.user.post_form(page, push, {"next": page})
    assert resp.status_code in (302, 303)
    row = env.wait_record(invoice_id)
    (pushed,) = invoices_of(payments_world, client_name)
    assert (row["external_id"], row["attempts"]) == (pushed["Id"], 1)
    before = len(env.settle_deliveries(payments_world.sandbox_url))  # the push's own, applied

    # Sync paused: a payment received in QuickBooks is stored, not applied.
    _manage_action(tenant, "pause")
    payment_id = books.receive_payment(pushed["Id"], "100.00")
    poll(lambda: _payment_deliveries(env, payment_id) == ["held"],
         what="the payment's webhook stored and held", timeout=60)
    assert status_of(tenant, invoice_id) == "sent"
    assert env.host_payments(invoice_id) == []
    assert 'id="sync-paused"' in tenant.user.page(page)

    # Resume: the stored delivery is applied, the invoice is paid, QuickBooks still has one.
    _manage_action(tenant, "resume")
    poll(lambda: status_of(tenant, invoice_id) == "paid", what="paid after resuming", timeout=60)
    assert env.host_payments(invoice_id) == [
        ("provider", Decimal("100.00"), f"{payment_id}:{pushed['Id']}", "recorded")]
    poll(lambda: env.all_deliveries_processed(before + 1), what="every held delivery applied")
    assert _payment_deliveries(env, payment_id) == ["processed"]
    assert len(invoices_of(payments_world, client_name)) == 1
