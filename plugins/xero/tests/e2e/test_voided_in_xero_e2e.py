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

import pytest
from xero_books import Xero
from xero_e2ekit import connect, xero_invoices

from host.integrations.e2e import poll_for, retry_action, sync_error
from psa_xero.sandbox import US_TENANT_ID

pytestmark = pytest.mark.e2e


def test_e2e_an_invoice_voided_in_xero_is_shown_and_never_recreated(env, xero_server):
    tenant = connect(env, US_TENANT_ID)
    invoice_id = env.draft_invoice(tenant, amount="150.00")
    first = env.send_and_wait(tenant, invoice_id)
    xero_id = first["external_id"]

    with Xero(xero_server.url, US_TENANT_ID) as accountant:
        assert accountant.update(xero_id, Status="VOIDED")["Status"] == "VOIDED"

    env.reconcile(tenant.connection_id)
    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    assert 'data-state="voided"' in panel and "Voided at the provider" in panel, panel[-3000:]

    # the admin edits it (the invoice's Edit page) and sends again: refused with the reason
    env.edit_invoice(tenant, invoice_id,
                     {0: {"unit_price": "180.00", "description": "Consulting (corrected)"}})
    number = env.invoice_facts(invoice_id)["number"]
    again = env.send_and_wait(tenant, invoice_id, status=("failed",))
    assert again["error_category"] == "conflict", again
    page = tenant.user.page(f"/invoices/{invoice_id}")
    error = sync_error(page)
    assert f"Invoice {number} is voided in Xero" in html_lib.unescape(error["message"])
    assert "new invoice in the PSA" in html_lib.unescape(error["fix"])

    # Retry: the same answer, still no second invoice
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", retry_action(page))
    assert resp.status_code in (302, 303)
    poll_for(lambda: env.sync_row(invoice_id), lambda r: r["status"] == "failed"
             and "retry" in r["events"], what="the retry settled")
    assert [(r["InvoiceID"], r["Status"]) for r in xero_invoices(xero_server.url, number)] == [
        (xero_id, "VOIDED")]

    # voiding it in the PSA too: nothing to do in Xero, and the record says so
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/void")
    assert resp.status_code in (302, 303)
    void = env.wait_record(invoice_id, "invoice_void")
    assert "already voided in Xero" in (void["note"] or ""), void
    assert [r["InvoiceID"] for r in xero_invoices(xero_server.url, number)] == [xero_id]
