"""7. The organisation page (Record payment fires the webhook), deep links; 8. the control
API: reset, seed, tokens, clock, faults incl. commit-then-drop, request log, entities."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from psa_xero.sandbox import NZ_TENANT_ID, UK_TENANT_ID

from .conftest import WEBHOOK_KEY, invoice_body


def _row(html: str, invoice_id: str) -> str:
    match = re.search(rf'<tr data-invoice-id="{invoice_id}".*?</tr>', html, re.S)
    assert match, "invoice row missing"
    return match.group(0)


def test_org_page_lists_invoices_credit_notes_contacts(server, control):
    control.post("/seed", json={})
    page = httpx.get(f"{server.url}/orgs/{UK_TENANT_ID}")
    assert page.status_code == 200
    assert page.text.count("data-invoice-id=") == 2
    assert 'name="amount"' in page.text and 'class="record-payment"' in page.text
    assert "data-credit-note-id=" in page.text and "Acme Widgets Ltd" in page.text
    index = httpx.get(f"{server.url}/")
    assert all(t in index.text for t in (UK_TENANT_ID, NZ_TENANT_ID))


def test_record_partial_then_full_payment_from_the_page_fires_webhook(server, xero, control,
                                                                      receiver):
    control.post("/webhook", json={"url": receiver.url, "key": WEBHOOK_KEY})
    inv = xero.invoice()  # 1800.00
    action = f"{server.url}/orgs/{UK_TENANT_ID}/invoices/{inv['InvoiceID']}/payments"
    resp = httpx.post(action, data={"amount": "500.00"}, follow_redirects=True)
    assert resp.status_code == 200 and "Payment of 500.00 recorded" in resp.text
    row = _row(resp.text, inv["InvoiceID"])
    assert "AUTHORISED" in row and "1300.00" in row
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert got["AmountPaid"] == 500.0 and len(got["Payments"]) == 1
    resp = httpx.post(action, data={}, follow_redirects=True)  # empty amount = full amount due
    assert "PAID" in _row(resp.text, inv["InvoiceID"])
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and len(receiver.events()) < 3:
        time.sleep(0.02)
    updates = [e for e in receiver.events() if e["eventType"] == "UPDATE"]
    assert [e["resourceId"] for e in updates] == [inv["InvoiceID"]] * 2


def test_page_rejects_overpayment(server, xero):
    inv = xero.invoice()
    resp = httpx.post(f"{server.url}/orgs/{UK_TENANT_ID}/invoices/{inv['InvoiceID']}/payments",
                      data={"amount": "99999"}, follow_redirects=True)
    assert "exceeds the amount outstanding" in resp.text


def test_deep_links_redirect_to_the_invoice_page(server, xero):
    inv = xero.invoice()
    short = xero.get("Organisation").json()["Organisations"][0]["ShortCode"]
    classic = httpx.get(f"{server.url}/organisationlogin/default.aspx", params={
        "shortcode": short,
        "redirecturl": f"/AccountsReceivable/View.aspx?InvoiceID={inv['InvoiceID']}"})
    target = f"/orgs/{UK_TENANT_ID}/invoices/{inv['InvoiceID']}"
    assert classic.status_code == 302 and classic.headers["location"].endswith(target)
    new_ui = httpx.get(f"{server.url}/app/{short}/invoicing/view/{inv['InvoiceID']}")
    assert new_ui.headers["location"].endswith(target)
    page = httpx.get(f"{server.url}{target}")
    assert inv["InvoiceNumber"] in page.text and "1800.00" in page.text


def test_seed_and_reset(server, control, xero):
    summary = control.post("/seed", json={}).json()
    assert {t["tenantId"] for t in summary["tenants"]} >= {UK_TENANT_ID, NZ_TENANT_ID}
    assert len(xero.get("Invoices").json()["Invoices"]) == 2
    control.post("/reset")
    assert httpx.get(f"{server.url}/api.xro/2.0/Invoices", headers=xero.headers()).status_code \
        == 401  # tokens are gone too


def test_entities_and_request_log(xero, control):
    inv = xero.invoice()
    raw = control.get(f"/entities/{UK_TENANT_ID}/invoices/{inv['InvoiceID']}").json()
    assert raw["Date"] == "2026-03-10" and raw["Total"] == 1800.0
    assert control.get(f"/entities/{UK_TENANT_ID}/invoices/nope").status_code == 404
    log = control.get("/requests", params={"path": "/api.xro/2.0/Invoices"}).json()["requests"]
    assert log[-1]["method"] == "PUT" and log[-1]["headers"]["Authorization"] == "<redacted>"


def test_fault_status_injection(xero, control):
    control.post("/faults", json={"kind": "status", "path": "/api.xro/2.0/Invoices",
                                  "method": "PUT", "status": 503, "body": "Organisation offline"})
    assert xero.put("Invoices", {"Invoices": [invoice_body()]}).status_code == 503
    assert xero.put("Invoices", {"Invoices": [invoice_body()]}).status_code == 200


def test_commit_then_drop_and_idempotent_retry(xero, control):
    control.post("/faults", json={"kind": "drop_after_commit", "path": "/api.xro/2.0/Invoices",
                                  "method": "PUT"})
    key = {"Idempotency-Key": "sync-77"}
    with pytest.raises(httpx.TransportError):
        xero.put("Invoices", {"Invoices": [invoice_body(InvoiceNumber="D-1")]}, headers=key)
    assert len(xero.get("Invoices").json()["Invoices"]) == 1  # the write happened
    retry = xero.put("Invoices", {"Invoices": [invoice_body(InvoiceNumber="D-1")]}, headers=key)
    assert retry.status_code == 200  # replayed, not a duplicate-number error
    assert len(xero.get("Invoices").json()["Invoices"]) == 1


def test_latency_fault_and_clock(xero, control):
    control.post("/faults", json={"kind": "latency", "path": "/Organisation", "latency_ms": 300})
    started = time.monotonic()
    assert xero.get("Organisation").status_code == 200
    assert time.monotonic() - started >= 0.3
    before = control.get("/clock").json()["now"]
    after = control.post("/clock/advance", json={"seconds": 3600}).json()["now"]
    assert after - before >= 3600


def test_register_client_with_exact_redirect(server, control):
    control.post("/clients", json={"client_id": "psa", "client_secret": "s3",
                                   "redirect_uris": ["https://psa.example/cb"],
                                   "allow_localhost": False})
    params = {"response_type": "code", "client_id": "psa", "scope": "openid", "state": "x"}
    ok = httpx.get(f"{server.url}/identity/connect/authorize",
                   params=dict(params, redirect_uri="https://psa.example/cb"))
    assert ok.status_code == 200
    local = httpx.get(f"{server.url}/identity/connect/authorize",
                      params=dict(params, redirect_uri="http://127.0.0.1:5000/cb"))
    assert local.status_code == 400
