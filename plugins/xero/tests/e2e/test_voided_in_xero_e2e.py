"""Issue 6, point 5 ("an invoice voided or deleted in Xero is detected and shown, never
re-created silently") end to end, over real HTTP with the worker process.

The accountant voids a pushed invoice in Xero (another app's API call, as in Xero's web app).
The reconciliation pass (what catches a missed webhook; the session sandbox sends none) shows it
on the host invoice's sync panel; an edit sent again and Retry are refused with the reason and
never make a second Xero invoice; voiding it in the PSA then is recorded as already done in
Xero. Every exchange is OpenAPI-checked by the autouse fixture of the plugin's conftest.
"""

from __future__ import annotations

import html as html_lib
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from host.integrations.e2e import E2E, poll_for, retry_action, sync_error
from psa_xero.sandbox import US_TENANT_ID

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def env(psa_template_db, tmp_path_factory, xero_server):
    from xero_testkit import xero_config

    e2e = E2E(psa_template_db(("xero",)), tmp_path_factory.mktemp("xero-voided-e2e"),
              plugins=("xero",), config=xero_config(xero_server.url))
    e2e.start()
    yield e2e
    e2e.stop()


def consent(sandbox_url: str):
    def run(authorize_url: str) -> str:
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        resp = httpx.post(f"{sandbox_url}/identity/connect/authorize",
                          data={**params, "action": "allow", "tenant": [US_TENANT_ID]})
        assert resp.status_code == 302, resp.text
        return resp.headers["location"]
    return run


def test_e2e_an_invoice_voided_in_xero_is_shown_and_never_recreated(env, xero_server):
    from xero_books import Xero

    from host.extensions import db
    from host.models import Invoice
    from host.services.invoicing import update_invoice

    tenant = env.connect(env.new_org(), "xero", consent=consent(xero_server.url),
                         setup={"default_revenue_account": "4000"})
    invoice_id = env.draft_invoice(tenant, amount="150.00")
    tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    first = env.wait_record(invoice_id, status=None)
    assert first["status"] == "synced", first
    xero_id = first["external_id"]

    accountant = Xero(xero_server.url, tenant=US_TENANT_ID, revenue="4000", bank="1000")
    try:
        assert accountant.update(xero_id, Status="VOIDED")["Status"] == "VOIDED"
    finally:
        accountant.close()

    env.reconcile(tenant.connection_id)
    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    assert 'data-state="voided"' in panel and "Voided at the provider" in panel, panel[-3000:]

    # the admin edits it (host.services.invoicing) and sends again: refused with the reason
    with env.app.app_context():
        inv = db.session.get(Invoice, invoice_id)
        update_invoice(inv, [{"quantity": 1, "unit_price": Decimal("180.00"),
                              "description": "Consulting (corrected)"}])
        number = inv.number
        db.session.remove()
    tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    again = env.wait_record(invoice_id, after=first["key"], status=None)
    assert again["status"] == "failed" and again["error_category"] == "conflict", again
    page = tenant.user.page(f"/invoices/{invoice_id}")
    error = sync_error(page)
    assert f"Invoice {number} is voided in Xero" in html_lib.unescape(error["message"])
    assert "new invoice in the PSA" in html_lib.unescape(error["fix"])

    # Retry: the same answer, still no second invoice
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", retry_action(page))
    assert resp.status_code in (302, 303)
    poll_for(lambda: env.sync_row(invoice_id), lambda r: r["status"] == "failed"
             and "retry" in r["events"], what="the retry settled")
    rows = httpx.get(f"{xero_server.url}/_sandbox/entities/{US_TENANT_ID}/invoices").json()
    ours = [r for r in rows.values() if r.get("InvoiceNumber") == number]
    assert [(r["InvoiceID"], r["Status"]) for r in ours] == [(xero_id, "VOIDED")]

    # voiding it in the PSA too: nothing to do in Xero, and the record says so
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/void")
    assert resp.status_code in (302, 303)
    void = env.wait_record(invoice_id, "invoice_void", status=None)
    assert void["status"] == "synced", void
    assert "already voided in Xero" in (void["note"] or ""), void
    rows = httpx.get(f"{xero_server.url}/_sandbox/entities/{US_TENANT_ID}/invoices").json()
    assert [r["InvoiceID"] for r in rows.values() if r.get("InvoiceNumber") == number] == [
        xero_id]
