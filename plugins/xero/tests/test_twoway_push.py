"""The invoice push and two-way sync's additions: the admin's per-push email choice
(``InvoiceData.send_email``) and the Reference (mapped field, host reference, or memo)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import httpx

from psa_xero.sandbox import UK_TENANT_ID
from xero_testkit import client_data, invoice_data


def _held(sandbox_api, number: str) -> dict:
    rows = sandbox_api(UK_TENANT_ID, "invoices")
    rows = list(rows.values()) if isinstance(rows, dict) else rows
    return next(d for d in rows if d["InvoiceNumber"] == number)


def _emailed(sandbox_api, invoice_id: str) -> int:
    rows = sandbox_api(UK_TENANT_ID, "emails")
    return len([e for e in rows if e.get("InvoiceID") == invoice_id])


def test_push_now_and_email_it_overrides_auto_send_off(xero_connection, hook, sandbox_api):
    conn = xero_connection("uk", settings={"auto_send": False})
    invoice = replace(invoice_data(), send_email=True)
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="now-1")
    assert result.emailed is True and _emailed(sandbox_api, result.external_id) == 1


def test_push_now_without_emailing_overrides_auto_send_on(xero_connection, hook, sandbox_api):
    conn = xero_connection("uk", settings={"auto_send": True})
    invoice = replace(invoice_data(), send_email=False)
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="now-2")
    assert result.emailed is False and _emailed(sandbox_api, result.external_id) == 0
    assert _held(sandbox_api, invoice.number)["Status"] == "AUTHORISED"


def test_no_choice_follows_the_connection_setting(xero_connection, hook, sandbox_api):
    conn = xero_connection("uk", settings={"auto_send": True})
    result = hook(conn, "on_invoice_sent", invoice=invoice_data(), idempotency_key="now-3")
    assert result.emailed is True


def test_reference_comes_from_the_mapped_field_then_the_host_then_the_memo(
        connected_connection, hook, sandbox_api):
    memo_only = invoice_data(memo="March", project="Apollo")
    hook(connected_connection, "on_invoice_sent", invoice=memo_only, idempotency_key="ref-1")
    assert _held(sandbox_api, memo_only.number)["Reference"] == "Apollo / March"
    with_po = replace(invoice_data(memo="March", client=client_data("PO Client Ltd")),
                      reference="PO-4471")
    hook(connected_connection, "on_invoice_sent", invoice=with_po, idempotency_key="ref-2")
    assert _held(sandbox_api, with_po.number)["Reference"] == "PO-4471"
    mapped = replace(with_po, fields={"Reference": "  Contract 9  "})
    hook(connected_connection, "on_invoice_sent", invoice=mapped, idempotency_key="ref-3")
    assert _held(sandbox_api, with_po.number)["Reference"] == "Contract 9"


def test_test_warns_about_lock_dates_off_then_passes_with_one(connected_connection, hook,
                                                              xero_server):
    result = hook(connected_connection, "test_connection", write_check=False)
    lock = next(c for c in result.checks if c.name == "Lock dates")
    assert lock.status == "warn" and "Closed-period locking is off" in lock.message
    httpx.post(f"{xero_server.url}/_sandbox/lock-dates", json={
        "tenant_id": UK_TENANT_ID, "PeriodLockDate": "2026-01-31"}).raise_for_status()
    result = hook(connected_connection, "test_connection", write_check=False)
    lock = next(c for c in result.checks if c.name == "Lock dates")
    assert (lock.status, lock.message) == ("pass", "Xero locks the period lock date 2026-01-31.")


def test_test_warns_when_xero_and_the_psa_number_invoices_alike(connected_connection, hook,
                                                                provider_state):
    def numbering():
        result = hook(connected_connection, "test_connection", write_check=False)
        return next(c for c in result.checks if c.name == "Invoice numbers")

    customer = provider_state.create_record("customer", {"name": "Numbered Ltd"})
    provider_state.create_record("invoice", {
        "customer_id": customer, "issue_date": date(2026, 3, 2), "due_date": date(2026, 4, 1),
        "lines": [{"description": "x", "quantity": D("1"), "unit_price": D("5"),
                   "taxed": False}]})  # Xero numbers it INV-0001
    hook(connected_connection, "on_invoice_sent", invoice=invoice_data(number="PSA-0900"),
         idempotency_key="num-1")
    assert numbering().status == "pass"
    hook(connected_connection, "on_invoice_sent", invoice=invoice_data(number="INV-0907"),
         idempotency_key="num-2")
    check = numbering()
    assert check.status == "warn" and "'INV-0907'" in check.message and "prefix" in check.fix
