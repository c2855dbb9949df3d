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
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from host.integrations.e2e import (
    E2E,
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


@pytest.fixture(scope="module")
def env(psa_template_db, tmp_path_factory, xero_server):
    from xero_testkit import xero_config

    e2e = E2E(psa_template_db(("xero",)), tmp_path_factory.mktemp("xero-e2e"),
              plugins=("xero",), config=xero_config(xero_server.url))
    e2e.start()
    yield e2e
    e2e.stop()


def consent(sandbox_url: str, tenants=(UK_TENANT_ID, US_TENANT_ID)):
    """Xero's consent screen, as the user: tick the organisations, Allow."""
    def run(authorize_url: str) -> str:
        page = httpx.get(authorize_url)
        assert page.status_code == 200 and "Ashdown Consulting" in page.text, page.text[:300]
        params = dict(parse_qsl(urlsplit(authorize_url).query))
        resp = httpx.post(f"{sandbox_url}/identity/connect/authorize",
                          data={**params, "action": "allow", "tenant": list(tenants)})
        assert resp.status_code == 302, resp.text
        return resp.headers["location"]
    return run


def connect_us(env, xero_server, **setup):
    """Consent to both organisations, pick the US one (it books USD, like the host)."""
    org = env.new_org()
    tenant = env.connect(org, "xero", consent=consent(xero_server.url), tenant_id=US_TENANT_ID,
                         setup={"default_revenue_account": "4000", **setup})
    return org, tenant


def send(tenant, invoice_id: int) -> str:
    page = f"/invoices/{invoice_id}"
    resp = tenant.user.post_form(page, f"/invoices/{invoice_id}/send")
    assert resp.status_code in (302, 303), resp.text
    return page


def number_of(env, invoice_id: int) -> str:
    from host.extensions import db
    from host.models import Invoice

    with env.app.app_context():
        number = db.session.get(Invoice, invoice_id).number
        db.session.remove()
    return number


def wait_synced(env, tenant, invoice_id: int, timeout: float = 45.0) -> str:
    """The invoice page once it shows Synced; on timeout, the record and the worker's log."""
    try:
        return poll_for(lambda: tenant.user.page(f"/invoices/{invoice_id}"),
                        lambda h: sync_status(h) == "synced", timeout=timeout,
                        what="the invoice to show Synced")
    except AssertionError as exc:
        error = sync_error(tenant.user.page(f"/invoices/{invoice_id}/sync"))
        log = [ln for ln in env.worker_log().splitlines() if "sync.sweep" not in ln]
        raise AssertionError(f"{exc}\nrecord: {env.sync_row(invoice_id)}\nerror: {error}\n"
                             "worker log:\n" + "\n".join(log[-30:])) from None


def xero_invoices(xero_server, number: str, tenant=US_TENANT_ID) -> list[dict]:
    rows = httpx.get(f"{xero_server.url}/_sandbox/entities/{tenant}/invoices").json()
    return [r for r in rows.values() if r.get("InvoiceNumber") == number]


def test_e2e_connect_picking_one_of_two_organisations_then_send_shows_the_xero_link(
        env, xero_server):
    org, tenant = connect_us(env, xero_server, auto_send="y")
    page = tenant.user.page(f"/settings/integrations?business_unit={tenant.business_unit_id}")
    assert "Hudson Advisory (US)" in page and "(!uS4hX)" in page  # name and short code shown
    from host.extensions import db
    from host.models import Connection

    with env.app.app_context():
        conn = db.session.get(Connection, tenant.connection_id)
        assert (conn.tenant_id, conn.tenant_short_code) == (US_TENANT_ID, "!uS4hX")
        assert conn.settings["default_revenue_account"] == "4000"
        db.session.remove()

    invoice_id = env.draft_invoice(tenant, amount="240.00")
    send(tenant, invoice_id)
    html = wait_synced(env, tenant, invoice_id)
    href, target, number = provider_link(html)
    psa_number = number_of(env, invoice_id)
    (pushed,) = xero_invoices(xero_server, psa_number)
    assert number == pushed["InvoiceNumber"] == psa_number
    assert "shortcode=!uS4hX" in href and pushed["InvoiceID"] in href and target == "_blank"
    assert pushed["Status"] == "AUTHORISED" and Decimal(str(pushed["Total"])) == Decimal("240.00")
    opened = httpx.get(href, follow_redirects=True)
    assert opened.status_code == 200 and psa_number in opened.text
    # auto-send: Xero emailed the invoice to the client's billing email
    emails = httpx.get(f"{xero_server.url}/_sandbox/entities/{US_TENANT_ID}/emails").json()
    assert any(e.get("InvoiceID") == pushed["InvoiceID"] for e in emails)
    assert env.sync_row(invoice_id)["attempts"] == 1


def test_e2e_uk_organisation_books_a_gbp_invoice_with_its_own_link(env, xero_server):
    org = env.new_org()
    tenant = env.connect(org, "xero", consent=consent(xero_server.url), tenant_id=UK_TENANT_ID,
                         setup={"default_revenue_account": "210"})
    invoice_id = env.draft_invoice(tenant, amount="480.00", client={"currency": "GBP"})
    send(tenant, invoice_id)
    href, _, number = provider_link(wait_synced(env, tenant, invoice_id))
    (pushed,) = xero_invoices(xero_server, number_of(env, invoice_id), tenant=UK_TENANT_ID)
    assert number == pushed["InvoiceNumber"] and "shortcode=!uK7dA" in href
    assert pushed["CurrencyCode"] == "GBP" and pushed["LineItems"][0]["AccountCode"] == "210"
    assert Decimal(str(pushed["Total"])) == Decimal("480.00")  # untaxed in the PSA: NONE


def test_e2e_lost_answer_is_retried_and_books_the_invoice_once(env, xero_server):
    org, tenant = connect_us(env, xero_server)
    httpx.post(f"{xero_server.url}/_sandbox/faults", json={
        "kind": "drop_after_commit", "path": "/api.xro/2.0/Invoices$", "method": "PUT",
        "count": 1}).raise_for_status()
    invoice_id = env.draft_invoice(tenant, amount="99.00")
    send(tenant, invoice_id)
    wait_synced(env, tenant, invoice_id, timeout=60)
    row = env.sync_row(invoice_id)
    assert row["attempts"] >= 2
    assert len(xero_invoices(xero_server, number_of(env, invoice_id))) == 1


def test_e2e_xero_validation_error_shows_xeros_message_and_fix_then_retry_works(env,
                                                                                xero_server):
    org, tenant = connect_us(env, xero_server)
    body = ('{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception '
            'occurred","Elements":[{"ValidationErrors":[{"Message":"The document date cannot be '
            'before the period lock date, currently set at 30-Nov-2026"}]}]}')
    httpx.post(f"{xero_server.url}/_sandbox/faults", json={
        "kind": "status", "path": "/api.xro/2.0/Invoices$", "method": "PUT", "count": 1,
        "status": 400, "body": body, "headers": {"Content-Type": "application/json"}}
    ).raise_for_status()
    invoice_id = env.draft_invoice(tenant)
    send(tenant, invoice_id)
    panel = f"/invoices/{invoice_id}/sync"
    html = poll_for(lambda: tenant.user.page(panel), sync_error, what="the sync error")
    error = sync_error(html)
    assert error["category"] == "validation"
    assert "period lock date" in error["message"] and "lock date" in error["fix"]
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", retry_action(html))
    assert resp.status_code in (302, 303)
    poll(lambda: sync_status(tenant.user.page(panel)) == "synced", what="synced after Retry")
    assert len(xero_invoices(xero_server, number_of(env, invoice_id))) == 1


def test_e2e_void_reaches_xero(env, xero_server):
    org, tenant = connect_us(env, xero_server)
    invoice_id = env.draft_invoice(tenant)
    page = send(tenant, invoice_id)
    wait_synced(env, tenant, invoice_id)
    resp = tenant.user.post_form(page, f"/invoices/{invoice_id}/void")
    assert resp.status_code in (302, 303), resp.text
    poll(lambda: (xero_invoices(xero_server, number_of(env, invoice_id)) or [{}])[0].get(
        "Status") == "VOIDED", what="the invoice voided in Xero")
    assert invoice_status(tenant.user.page(page)) == "void"


def test_e2e_disconnect_removes_the_organisation_at_xero(env, xero_server):
    org, tenant = connect_us(env, xero_server)
    before = httpx.get(f"{xero_server.url}/_sandbox/connections").json()
    assert any(c.get("tenantId") == US_TENANT_ID for c in _rows(before))
    resp = tenant.user.post_form(
        f"/settings/integrations?business_unit={tenant.business_unit_id}",
        f"/settings/integrations/connections/{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303), resp.text
    after = httpx.get(f"{xero_server.url}/_sandbox/connections").json()
    assert not any(c.get("tenantId") == US_TENANT_ID for c in _rows(after))
    # then the host revoked the token, which ends the whole grant (both organisations)
    assert _rows(after) == []


def _rows(data):
    if isinstance(data, dict):
        data = data.get("connections", list(data.values()))
    return [r for r in data if isinstance(r, dict)]


def test_e2e_credit_note_is_allocated_to_its_invoice_and_not_emailed(env, xero_server):
    org, tenant = connect_us(env, xero_server, auto_send="y")
    invoice_id = env.draft_invoice(tenant, amount="200.00")
    send(tenant, invoice_id)
    wait_synced(env, tenant, invoice_id)
    page = f"/invoices/{invoice_id}/credit-notes/new"
    resp = tenant.user.post_form(page, page, {"mode": "amount", "amount": "40.00",
                                              "reason": "Late delivery"})
    assert resp.status_code in (302, 303), resp.text
    number = number_of(env, invoice_id)
    (invoice,) = xero_invoices(xero_server, number)

    def credited():
        notes = httpx.get(f"{xero_server.url}/_sandbox/entities/{US_TENANT_ID}/credit_notes"
                          ).json()
        ours = [n for n in notes.values() if number in (n.get("Reference") or "")]
        current = xero_invoices(xero_server, number)[0]
        return ours if Decimal(str(current["AmountCredited"])) == Decimal("40.00") else None

    (note,) = poll(credited, what="the credit note allocated in Xero")
    assert note["Type"] == "ACCRECCREDIT" and note["Status"] in ("AUTHORISED", "PAID")
    assert Decimal(str(note["Total"])) == Decimal("40.00")
    emails = httpx.get(f"{xero_server.url}/_sandbox/entities/{US_TENANT_ID}/emails").json()
    assert [e.get("InvoiceID") for e in emails] == [invoice["InvoiceID"]]  # the invoice only
    assert len(xero_invoices(xero_server, number)) == 1


@pytest.mark.parametrize("fault", [
    {"kind": "rate_limit", "headers": {"Retry-After": "1", "X-Rate-Limit-Problem": "minute"}},
    {"kind": "status", "status": 500, "body": "Internal error"},
], ids=["429-minute-limit", "500"])
def test_e2e_throttled_or_failing_xero_is_retried_automatically_and_books_once(env,
                                                                               xero_server,
                                                                               fault):
    org, tenant = connect_us(env, xero_server)
    httpx.post(f"{xero_server.url}/_sandbox/faults", json={
        "path": "/api.xro/2.0/Invoices$", "method": "PUT", "count": 1, **fault}
    ).raise_for_status()
    invoice_id = env.draft_invoice(tenant, amount="75.00")
    send(tenant, invoice_id)
    wait_synced(env, tenant, invoice_id, timeout=60)
    row = env.sync_row(invoice_id)
    assert row["attempts"] >= 2 and "error" in row["events"]
    assert len(xero_invoices(xero_server, number_of(env, invoice_id))) == 1
