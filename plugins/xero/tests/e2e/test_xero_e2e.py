"""End to end over real HTTP: the host (server thread), a real worker process, the Xero sandbox.

Connect through the real OAuth pages (Xero's consent screen, ticking two organisations, then
the host's organisation picker), finish the setup step, send an invoice, the worker pushes it,
and the invoice page shows the Xero number as a link into Xero. Faults injected at the sandbox
show the category, Xero's message and a fix; a lost answer never makes a second invoice; void
and disconnect reach Xero. Every request the plugin sends is checked against Xero's OpenAPI
documents by the autouse fixture of ``plugins/xero/tests/conftest.py``.
"""

from __future__ import annotations

from decimal import Decimal

import httpx
import pytest
from xero_e2ekit import (
    connect,
    connection_facts,
    disconnect,
    send_synced,
    xero_connections,
    xero_invoices,
)

from host.integrations.e2e import (
    invoice_status,
    poll,
    poll_for,
    provider_link,
    retry_action,
    sync_error,
    sync_status,
)
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

pytestmark = pytest.mark.e2e
BOTH = (UK_TENANT_ID, US_TENANT_ID)


def connect_us(env, **setup):
    """Consent to both organisations, pick the US one (it books USD, like the host)."""
    return connect(env, US_TENANT_ID, tenants=BOTH, **setup)


def number_of(env, invoice_id: int) -> str:
    return env.invoice_facts(invoice_id)["number"]


def test_e2e_connect_picking_one_of_two_organisations_then_send_shows_the_xero_link(
        env, xero_server, sandbox_api):
    tenant = connect_us(env, auto_send="y")
    page = tenant.user.page(f"/settings/integrations?business_unit={tenant.business_unit_id}")
    assert "Hudson Advisory (US)" in page and "(!uS4hX)" in page  # name and short code shown
    conn = connection_facts(env, tenant.connection_id)
    assert (conn["tenant_id"], conn["tenant_short_code"]) == (US_TENANT_ID, "!uS4hX")
    assert conn["settings"]["default_revenue_account"] == "4000"

    invoice_id = env.draft_invoice(tenant, amount="240.00")
    synced_page = send_synced(env, tenant, invoice_id)
    assert "Emailed to the customer by Xero." in synced_page  # as QuickBooks says it
    href, target, number = provider_link(synced_page)
    psa_number = number_of(env, invoice_id)
    (pushed,) = xero_invoices(xero_server.url, psa_number)
    assert number == pushed["InvoiceNumber"] == psa_number
    assert "shortcode=!uS4hX" in href and pushed["InvoiceID"] in href and target == "_blank"
    assert pushed["Status"] == "AUTHORISED" and Decimal(str(pushed["Total"])) == Decimal("240.00")
    opened = httpx.get(href, follow_redirects=True)
    assert opened.status_code == 200 and psa_number in opened.text
    # auto-send: Xero emailed the invoice to the client's billing email
    emails = sandbox_api(US_TENANT_ID, "emails")
    assert any(e.get("InvoiceID") == pushed["InvoiceID"] for e in emails)
    assert env.sync_row(invoice_id)["attempts"] == 1


def test_e2e_uk_organisation_books_a_gbp_invoice_with_its_own_link(env, xero_server):
    tenant = connect(env, UK_TENANT_ID, tenants=BOTH, default_revenue_account="210")
    invoice_id = env.draft_invoice(tenant, amount="480.00", client={"currency": "GBP"})
    href, _, number = provider_link(send_synced(env, tenant, invoice_id))
    (pushed,) = xero_invoices(xero_server.url, number_of(env, invoice_id), tenant=UK_TENANT_ID)
    assert number == pushed["InvoiceNumber"] and "shortcode=!uK7dA" in href
    assert pushed["CurrencyCode"] == "GBP" and pushed["LineItems"][0]["AccountCode"] == "210"
    assert Decimal(str(pushed["Total"])) == Decimal("480.00")  # untaxed in the PSA: NONE


def test_e2e_lost_answer_is_retried_and_books_the_invoice_once(env, xero_server, faults):
    tenant = connect_us(env)
    faults("drop_after_commit", path="/api.xro/2.0/Invoices$", method="PUT")
    invoice_id = env.draft_invoice(tenant, amount="99.00")
    send_synced(env, tenant, invoice_id, timeout=60)
    row = env.sync_row(invoice_id)
    assert row["attempts"] >= 2
    assert len(xero_invoices(xero_server.url, number_of(env, invoice_id))) == 1


def test_e2e_xero_validation_error_shows_xeros_message_and_fix_then_retry_works(env,
                                                                                xero_server,
                                                                                faults):
    tenant = connect_us(env)
    body = ('{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception '
            'occurred","Elements":[{"ValidationErrors":[{"Message":"The document date cannot be '
            'before the period lock date, currently set at 30-Nov-2026"}]}]}')
    faults("status", path="/api.xro/2.0/Invoices$", method="PUT", status=400, body=body,
           headers={"Content-Type": "application/json"})
    invoice_id = env.draft_invoice(tenant)
    env.press_send(tenant, invoice_id)
    panel = f"/invoices/{invoice_id}/sync"
    html = poll_for(lambda: tenant.user.page(panel), sync_error, what="the sync error")
    error = sync_error(html)
    assert error["category"] == "validation"
    assert "period lock date" in error["message"] and "lock date" in error["fix"]
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", retry_action(html))
    assert resp.status_code in (302, 303)
    poll(lambda: sync_status(tenant.user.page(panel)) == "synced", what="synced after Retry")
    assert len(xero_invoices(xero_server.url, number_of(env, invoice_id))) == 1


def test_e2e_void_reaches_xero(env, xero_server):
    tenant = connect_us(env)
    invoice_id = env.draft_invoice(tenant)
    send_synced(env, tenant, invoice_id)
    page = f"/invoices/{invoice_id}"
    resp = tenant.user.post_form(page, f"/invoices/{invoice_id}/void")
    assert resp.status_code in (302, 303), resp.text
    poll(lambda: (xero_invoices(xero_server.url, number_of(env, invoice_id)) or [{}])[0].get(
        "Status") == "VOIDED", what="the invoice voided in Xero")
    assert invoice_status(tenant.user.page(page)) == "void"


def test_e2e_disconnect_removes_the_organisation_at_xero(env, xero_server):
    tenant = connect_us(env)
    assert any(c.get("tenantId") == US_TENANT_ID for c in xero_connections(xero_server.url))
    disconnect(tenant)
    after = xero_connections(xero_server.url)
    assert not any(c.get("tenantId") == US_TENANT_ID for c in after)
    # then the host revoked the token, which ends the whole grant (both organisations)
    assert after == []


def test_e2e_credit_note_is_allocated_to_its_invoice_and_not_emailed(env, xero_server,
                                                                     sandbox_api):
    tenant = connect_us(env, auto_send="y")
    invoice_id = env.draft_invoice(tenant, amount="200.00")
    send_synced(env, tenant, invoice_id)
    page = f"/invoices/{invoice_id}/credit-notes/new"
    resp = tenant.user.post_form(page, page, {"mode": "amount", "amount": "40.00",
                                              "reason": "Late delivery"})
    assert resp.status_code in (302, 303), resp.text
    number = number_of(env, invoice_id)
    (invoice,) = xero_invoices(xero_server.url, number)

    def credited():
        notes = sandbox_api(US_TENANT_ID, "credit_notes")
        ours = [n for n in notes.values() if number in (n.get("Reference") or "")]
        current = xero_invoices(xero_server.url, number)[0]
        return ours if Decimal(str(current["AmountCredited"])) == Decimal("40.00") else None

    (note,) = poll(credited, what="the credit note allocated in Xero")
    assert note["Type"] == "ACCRECCREDIT" and note["Status"] in ("AUTHORISED", "PAID")
    assert Decimal(str(note["Total"])) == Decimal("40.00")
    emails = sandbox_api(US_TENANT_ID, "emails")
    assert [e.get("InvoiceID") for e in emails] == [invoice["InvoiceID"]]  # the invoice only
    assert len(xero_invoices(xero_server.url, number)) == 1


@pytest.mark.parametrize("fault", [
    {"kind": "rate_limit", "headers": {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"}},
    {"kind": "status", "status": 500, "body": "Internal error"},
], ids=["429-minute-limit", "500"])
def test_e2e_throttled_or_failing_xero_is_retried_automatically_and_books_once(env,
                                                                               xero_server,
                                                                               faults, fault):
    tenant = connect_us(env)
    faults(path="/api.xro/2.0/Invoices$", method="PUT", **fault)
    invoice_id = env.draft_invoice(tenant, amount="75.00")
    send_synced(env, tenant, invoice_id, timeout=60)
    row = env.sync_row(invoice_id)
    assert row["attempts"] >= 2 and "error" in row["events"]
    assert len(xero_invoices(xero_server.url, number_of(env, invoice_id))) == 1
