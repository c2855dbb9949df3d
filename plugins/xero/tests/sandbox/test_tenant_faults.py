"""Faults injected per organisation (``/_sandbox/tenant-faults``): Xero's answer shapes, only
for that organisation, only on its next write unless told otherwise, consumed once."""

from __future__ import annotations

import httpx
import pytest

from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

from .conftest import invoice_body


def inject(control, category: str, tenant: str = UK_TENANT_ID, **kw) -> None:
    resp = control.post("/tenant-faults", json={"tenant_id": tenant, "category": category, **kw})
    assert resp.status_code == 201, resp.text


def test_validation_is_xeros_element_error_in_both_summarize_modes(xero, control):
    inject(control, "validation")
    resp = xero.put("Invoices", {"Invoices": [invoice_body()]})
    assert resp.status_code == 400
    body = resp.json()
    assert (body["ErrorNumber"], body["Type"]) == (10, "ValidationException")
    assert body["Elements"][0]["ValidationErrors"] == [{"Message": "Email address must be valid."}]

    inject(control, "validation")
    resp = xero.put("Invoices?summarizeErrors=false", {"Invoices": [invoice_body()]})
    assert resp.status_code == 200
    [element] = resp.json()["Invoices"]
    assert element["StatusAttributeString"] == "ERROR" and element["HasErrors"] is True
    assert xero.get("Invoices").json()["Invoices"] == []  # nothing was written


def test_conflict_answers_with_the_message_of_the_write(xero, control):
    inject(control, "conflict")
    resp = xero.put("Invoices", {"Invoices": [invoice_body()]})
    assert resp.json()["Elements"][0]["ValidationErrors"][0]["Message"] == \
        "Invoice # must be unique."
    invoice = xero.invoice()
    inject(control, "conflict")
    resp = xero.post(f"Invoices/{invoice['InvoiceID']}",
                     {"Invoices": [{"Reference": "edited", "DueDate": "2026-05-01"}]})
    assert "cannot be edited as it has a payment or credit note allocated" in \
        resp.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    inject(control, "conflict")
    resp = xero.put("Contacts", {"Contacts": [{"Name": "Northwind Traders"}]})
    assert resp.json()["Elements"][0]["ValidationErrors"][0]["Message"].startswith(
        "The contact name Northwind Traders is already assigned to another contact.")


@pytest.mark.parametrize("category, status, content_type", [
    ("not_found", 404, "text/plain"), ("provider_down", 503, "text/plain"),
    ("rate_limited", 429, "application/json")])
def test_status_faults_carry_xeros_headers(xero, control, category, status, content_type):
    inject(control, category)
    resp = xero.put("Invoices", {"Invoices": [invoice_body()]})
    assert resp.status_code == status
    assert resp.headers["Content-Type"].startswith(content_type)
    assert resp.headers["Xero-Correlation-Id"]
    if category == "rate_limited":
        assert resp.headers["X-Rate-Limit-Problem"] == "minute"
        assert int(resp.headers["Retry-After"]) >= 1
    assert xero.put("Invoices", {"Invoices": [invoice_body()]}).status_code == 200  # once


def test_a_fault_waits_for_the_organisations_next_write(xero, control):
    inject(control, "provider_down")
    assert xero.get("Invoices").status_code == 200
    assert xero.get("Invoices", tenant=US_TENANT_ID).status_code == 200
    assert xero.put("Invoices", {"Invoices": [invoice_body()]}).status_code == 503

    inject(control, "provider_down", writes_only=False)
    assert xero.get("Invoices").status_code == 503
    assert control.get("/tenant-faults").json() == []


def test_auth_revokes_the_grant_so_the_refresh_fails_too(server, mint, control):
    from .conftest import Xero

    tokens = mint()
    xero = Xero(server.url, tokens["access_token"])
    inject(control, "auth")
    assert xero.put("Invoices", {"Invoices": [invoice_body()]}).status_code == 401
    refresh = httpx.post(f"{server.url}/connect/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=("xero-demo-client", "xero-demo-secret"))
    assert (refresh.status_code, refresh.json()["error"]) == (400, "invalid_grant")
    xero.http.close()


def test_lost_response_commits_and_the_same_key_replays(xero, control):
    inject(control, "lost_response")
    with pytest.raises(httpx.TransportError):
        xero.put("Invoices", {"Invoices": [invoice_body()]}, headers={"Idempotency-Key": "k-1"})
    [booked] = xero.get("Invoices").json()["Invoices"]
    again = xero.put("Invoices", {"Invoices": [invoice_body()]}, headers={"Idempotency-Key": "k-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["Invoices"][0]["InvoiceID"] == booked["InvoiceID"]


def test_an_unknown_category_or_organisation_is_refused(control):
    assert control.post("/tenant-faults", json={"tenant_id": UK_TENANT_ID,
                                                "category": "gremlins"}).status_code == 400
    assert control.post("/tenant-faults", json={"tenant_id": "nope",
                                                "category": "auth"}).status_code == 404
