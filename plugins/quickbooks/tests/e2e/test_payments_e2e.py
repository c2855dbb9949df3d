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

from host.integrations.e2e import invoice_status, poll, poll_for, sync_status
from host.integrations.signatures import hmac_sha256_base64
from psa_quickbooks.sandbox import DEMO_CLIENT_ID, US_REALM

pytestmark = pytest.mark.e2e
SETUP = {"default_item": "2"}


# -- helpers --------------------------------------------------------------------------------------


def consent_for(world):
    """The sandbox's consent page, answered for the US company (what the admin clicks)."""

    def consent(authorize_url: str) -> str:
        resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": US_REALM},
                          follow_redirects=False, timeout=15)
        assert resp.status_code in (302, 303), resp.text
        return resp.headers["Location"]

    return consent


@pytest.fixture
def tenant(payments_world):
    """A new organization whose first business unit is connected to the US company; it is
    disconnected afterwards through the host's page (one live connection per company)."""
    env = payments_world.env
    org = env.new_org()
    tenant = env.connect(org, "quickbooks", consent=consent_for(payments_world), setup=SETUP)
    yield tenant
    page = f"/settings/integrations?business_unit={tenant.business_unit_id}"
    resp = tenant.user.post_form(page, f"/settings/integrations/connections/{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303)


class Books:
    """The sandbox company: its pages and its Accounting API."""

    def __init__(self, world):
        self.world = world
        self.http = httpx.Client(base_url=world.sandbox_url, timeout=15)
        self.token = world.control("POST", "tokens", json={
            "client_id": DEMO_CLIENT_ID, "realm_id": US_REALM}).json()["access_token"]

    def api(self, method, path, body=None, **params):
        params.setdefault("minorversion", 75)
        r = self.http.request(method, f"/v3/company/{US_REALM}/{path}", params=params, json=body,
                              headers={"Authorization": f"Bearer {self.token}",
                                       "Accept": "application/json"})
        assert r.status_code == 200, r.text
        return r.json()

    def invoice(self, ident):
        return self.api("GET", f"invoice/{ident}")["Invoice"]

    def payments_linking(self, invoice_id):
        rows = self.api("GET", "query", query="SELECT * FROM Payment")["QueryResponse"]
        return [p for p in rows.get("Payment", []) if any(
            link["TxnId"] == invoice_id for line in p["Line"] for link in line["LinkedTxn"])]

    def receive_payment(self, invoice_id: str, amount: str) -> str:
        r = self.http.post(f"/company/{US_REALM}/invoices/{invoice_id}/payments",
                           data={"amount": amount})
        assert r.status_code in (302, 303), r.text
        message = httpx.URL(r.headers["location"]).params.get("message") or ""
        assert message.startswith("Payment "), r.headers["location"]
        return message.split()[1]

    def void_invoice(self, ident):
        current = self.invoice(ident)
        self.api("POST", "invoice", {"Id": ident, "SyncToken": current["SyncToken"]},
                 operation="void")


@pytest.fixture
def books(payments_world):
    b = Books(payments_world)
    yield b
    b.http.close()


def send(env, tenant, amount="100.00", lines=None) -> tuple[int, str]:
    """Draft and send an invoice from the host's page; returns (host id, QuickBooks Id)."""
    invoice_id = env.draft_invoice(tenant, lines, amount=amount)
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    assert resp.status_code in (302, 303)
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r and r["status"] in (
        "synced", "failed"), what="the invoice pushed")
    assert row["status"] == "synced", row
    return invoice_id, row["external_id"]


def add_tax_rate(env, tenant, name: str, rate: str) -> int:
    from host.extensions import db
    from host.models import TaxRate

    with env.app.app_context():
        row = TaxRate(organization_id=tenant.org_id, name=name, rate=Decimal(rate))
        db.session.add(row)
        db.session.commit()
        rate_id = row.id
        db.session.remove()
    return rate_id


def host_totals(env, invoice_id) -> tuple[Decimal, Decimal]:
    """(total, tax) of a host invoice, as the customer's copy shows them."""
    from host.extensions import db
    from host.models import Invoice

    with env.app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        out = (invoice.total, invoice.tax_total)
        db.session.remove()
    return out


def host_payments(env, invoice_id) -> list[tuple]:
    from host.extensions import db
    from host.models import Payment

    with env.app.app_context():
        rows = [(p.source, p.amount, p.external_id, p.status) for p in db.session.scalars(
            db.select(Payment).filter_by(invoice_id=invoice_id).order_by(Payment.id))]
        db.session.remove()
    return rows


def deliveries(env) -> list[tuple]:
    from host.extensions import db
    from host.models import WebhookDelivery

    with env.app.app_context():
        rows = [(d.id, d.status, d.error) for d in db.session.scalars(
            db.select(WebhookDelivery).order_by(WebhookDelivery.id))]
        db.session.remove()
    return rows


def all_processed(env, at_least: int):
    rows = deliveries(env)
    return len(rows) >= at_least and all(status == "processed" for _, status, _ in rows)


def reconcile_now(env, tenant) -> None:
    """Run the reconciliation pass for the connection in the worker (the periodic job)."""
    from host.extensions import db
    from host.models import Connection
    from host.sync.queue import task

    with env.app.app_context():
        before = db.session.get(Connection, tenant.connection_id).reconciled_at
        db.session.remove()
        task("reconcile_connection")(tenant.connection_id)

    def done():
        with env.app.app_context():
            after = db.session.get(Connection, tenant.connection_id).reconciled_at
            db.session.remove()
        return after is not None and after != before

    poll(done, what="the reconciliation pass")


def status_of(tenant, invoice_id) -> str | None:
    return invoice_status(tenant.user.page(f"/invoices/{invoice_id}"))


# -- tests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_payments_in_quickbooks_mark_the_host_invoice_partially_paid_then_paid_once(
        payments_world, tenant, books, fmt):
    env = payments_world.env
    payments_world.webhooks(fmt)
    invoice_id, qbo_id = send(env, tenant)

    first = books.receive_payment(qbo_id, "40.00")
    poll(lambda: status_of(tenant, invoice_id) == "partially_paid", what="partially paid")
    assert host_payments(env, invoice_id) == [
        ("provider", Decimal("40.00"), f"{first}:{qbo_id}", "recorded")]

    # Intuit redelivers the same notification, and another one names the same payment
    poll(lambda: all_processed(env, 1), what="deliveries processed")
    count = len(deliveries(env))
    sent = payments_world.control("GET", "webhooks").json()["deliveries"]
    last = next(d for d in reversed(sent) if d["status"] == "delivered")
    resp = httpx.post(f"{env.url}/webhooks/quickbooks", content=last["body"].encode(),
                      headers=last["headers"], timeout=15)
    assert (resp.status_code, resp.content) == (200, b"")
    assert len(deliveries(env)) == count  # the same body is stored once
    body = json.dumps({"eventNotifications": [{"realmId": US_REALM, "dataChangeEvent": {
        "entities": [{"name": "Payment", "id": first, "operation": "Update",
                      "lastUpdated": "2026-11-23T18:00:00.000Z"}]}}]}).encode()
    resp = httpx.post(f"{env.url}/webhooks/quickbooks", content=body, timeout=15, headers={
        "intuit-signature": hmac_sha256_base64(payments_world.verifier_token, body),
        "content-type": "application/json"})
    assert resp.status_code == 200
    poll(lambda: all_processed(env, count + 1), what="the second notification processed")
    assert len(host_payments(env, invoice_id)) == 1

    second = books.receive_payment(qbo_id, "60.00")
    poll(lambda: status_of(tenant, invoice_id) == "paid", what="paid")
    assert host_payments(env, invoice_id) == [
        ("provider", Decimal("40.00"), f"{first}:{qbo_id}", "recorded"),
        ("provider", Decimal("60.00"), f"{second}:{qbo_id}", "recorded")]
    # a reconciliation pass afterwards finds both again and records nothing twice
    reconcile_now(env, tenant)
    assert len(host_payments(env, invoice_id)) == 2
    assert [e for e in deliveries(env) if e[1] != "processed"] == []


def test_webhook_with_a_bad_signature_is_refused_and_not_stored(payments_world, tenant):
    env = payments_world.env
    count = len(deliveries(env))
    body = b'{"eventNotifications":[]}'
    resp = httpx.post(f"{env.url}/webhooks/quickbooks", content=body, timeout=15, headers={
        "intuit-signature": hmac_sha256_base64("another-apps-token", body)})
    assert resp.status_code == 401
    assert len(deliveries(env)) == count


def test_a_missed_webhook_is_caught_by_the_reconciliation_pass(payments_world, tenant, books):
    env = payments_world.env
    payments_world.webhooks(None)  # the app's webhook endpoint is not configured
    paid_id, paid_qbo = send(env, tenant)
    voided_id, voided_qbo = send(env, tenant, amount="70.00")
    before = len(deliveries(env))

    books.receive_payment(paid_qbo, "100.00")
    books.void_invoice(voided_qbo)
    assert status_of(tenant, paid_id) == "sent" and len(deliveries(env)) == before

    reconcile_now(env, tenant)
    assert status_of(tenant, paid_id) == "paid"
    assert [p[:2] for p in host_payments(env, paid_id)] == [("provider", Decimal("100.00"))]
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
    poll(lambda: all_processed(env, 1), what="the push's own notifications processed")
    before = len(deliveries(env))

    page = f"/invoices/{invoice_id}"
    resp = tenant.user.post_form(page, f"/invoices/{invoice_id}/payments", {
        "amount": "30.00", "date": date(2026, 11, 23).isoformat(), "reference": "CHK 881"})
    assert resp.status_code in (302, 303)
    assert status_of(tenant, invoice_id) == "partially_paid"
    ((source, amount, _, _),) = host_payments(env, invoice_id)
    assert (source, amount) == ("host", Decimal("30.00"))

    from host.extensions import db
    from host.models import Payment

    with env.app.app_context():
        payment_id = db.session.scalars(db.select(Payment.id).filter_by(
            invoice_id=invoice_id)).one()
        db.session.remove()
    row = poll_for(lambda: env.sync_row(payment_id, "payment"),
                   lambda r: r and r["status"] in ("synced", "failed"),
                   what="the payment pushed to QuickBooks")
    assert row["status"] == "synced", row
    (booked,) = books.payments_linking(qbo_id)
    assert booked["Id"] == row["external_id"]
    assert (booked["TotalAmt"], booked["PaymentRefNum"]) == (30, "CHK 881")
    assert books.invoice(qbo_id)["Balance"] == 70

    # QuickBooks notifies the host of that payment: it is not recorded a second time
    poll(lambda: all_processed(env, before + 1), what="QuickBooks' notification processed")
    reconcile_now(env, tenant)
    assert [p[:2] for p in host_payments(env, invoice_id)] == [("host", Decimal("30.00"))]
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
    poll(lambda: host_payments(env, invoice_id)[0][3] == "reversed",
         what="the host payment reversed")
    assert status_of(tenant, invoice_id) == "sent"
    assert len(host_payments(env, invoice_id)) == 1


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
    reconcile_now(env, tenant)
    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    assert 'data-state="differs"' in panel and "Edited at the provider" in panel


def test_a_full_payment_in_quickbooks_pays_a_taxed_invoice_at_a_rate_quickbooks_lacks(
        payments_world, tenant, books):
    """The demo's case: New York 8.875 % in the PSA, QuickBooks' default sales tax code at 8 %.
    The invoice in QuickBooks carries the PSA's tax, so the customer paying the whole
    QuickBooks balance pays the PSA invoice in full."""
    env = payments_world.env
    payments_world.webhooks("legacy")
    rate_id = add_tax_rate(env, tenant, "US Sales Tax (NY)", "8.875")
    invoice_id, qbo_id = send(env, tenant, lines=[
        {"quantity": Decimal("22"), "unit_price": Decimal("150.00"),
         "description": "Consulting, November", "tax_rate_id": rate_id}])
    assert host_totals(env, invoice_id) == (Decimal("3592.88"), Decimal("292.88"))
    booked = books.invoice(qbo_id)
    assert (booked["TotalAmt"], booked["TxnTaxDetail"]["TotalTax"]) == (3592.88, 292.88)
    assert booked["Balance"] == 3592.88  # not 3,564.00 (8 %)

    payment = books.receive_payment(qbo_id, "3592.88")
    poll(lambda: status_of(tenant, invoice_id) == "paid", what="paid")
    assert host_payments(env, invoice_id) == [
        ("provider", Decimal("3592.88"), f"{payment}:{qbo_id}", "recorded")]
    assert books.invoice(qbo_id)["Balance"] == 0

