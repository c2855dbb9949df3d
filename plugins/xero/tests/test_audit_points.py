"""Issue 6, points 4 and 6, checked on the wire (the sandbox's recorded exchanges): one invoice per
call with an Idempotency-Key that a retry repeats; Xero's concurrent-call limit held per
organisation across several handles (as several workers would); reconciliation asks with
If-Modified-Since."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from xero_testkit import invoice_data

from psa_xero.sandbox import UK_TENANT_ID


def _exchanges(xero_server, method: str, path: str) -> list[dict]:
    return [ex for ex in list(xero_server.sandbox.exchanges)
            if ex["method"] == method and ex["path"] == path]


def _header(ex: dict, name: str) -> str | None:
    return next((v for k, v in ex["headers"].items() if k.lower() == name.lower()), None)


def test_hook_on_invoice_sent_one_invoice_per_call_and_the_retry_repeats_its_idempotency_key(
        connected_connection, hook, faults, sandbox_api, xero_server):
    import json

    from hookspecs import ProviderDown

    invoice = invoice_data()
    faults("drop_after_commit", path="/api.xro/2.0/Invoices$", method="PUT")
    with pytest.raises(ProviderDown):  # the answer was lost after Xero committed
        hook(connected_connection, "on_invoice_sent", invoice=invoice, idempotency_key="k-77")
    hook(connected_connection, "on_invoice_sent", invoice=invoice, idempotency_key="k-77")

    puts = _exchanges(xero_server, "PUT", "/api.xro/2.0/Invoices")
    assert len(puts) == 2
    keys = [_header(ex, "Idempotency-Key") for ex in puts]
    assert keys[0] and keys[0] == keys[1] and len(keys[0]) <= 128
    for ex in puts:
        assert len(json.loads(ex["body"])["Invoices"]) == 1  # one invoice per call
        assert "summarizeErrors=false" in ex["query"]
    assert len([d for d in sandbox_api(UK_TENANT_ID, "invoices").values()
                if d.get("InvoiceNumber") == invoice.number]) == 1


def test_concurrent_calls_to_one_organisation_stay_within_xeros_limit(
        xero_connection, org, handle, xero_server):
    """Xero allows 5 calls in flight per organisation (429 ``X-Rate-Limit-Problem:
    concurrent`` beyond). Ten handles (as ten workers would hold), of two business units'
    connections to the same organisation, calling at once: the host's lease, shared per
    organisation, keeps at most 5 in flight, so Xero never refuses one."""
    from psa_xero.api import XeroClient

    first = xero_connection("uk")
    second = xero_connection("uk", business_unit_id=org.business_unit_ids[1])
    assert first.id != second.id and first.tenant_id == second.tenant_id
    httpx.post(f"{xero_server.url}/_sandbox/limits",
               json={"concurrent": 5, "slow_ms": 300}).raise_for_status()
    handles = [handle(conn) for conn in (first, second) for _ in range(5)]

    def call(h):
        return XeroClient(h).organisation()["ShortCode"]

    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            codes = list(pool.map(call, handles))
    finally:
        httpx.post(f"{xero_server.url}/_sandbox/limits",
                   json={"concurrent": 5, "slow_ms": 0}).raise_for_status()
    assert codes == ["!uK7dA"] * 10
    orgs = _exchanges(xero_server, "GET", "/api.xro/2.0/Organisation")
    assert len(orgs) == 10 and all(ex["status"] == 200 for ex in orgs)


def test_hook_reconcile_asks_xero_with_if_modified_since(connected_connection, hook,
                                                        xero_server):
    first = hook(connected_connection, "reconcile", cursor=None)
    xero_server.sandbox.exchanges.clear()
    hook(connected_connection, "reconcile", cursor=first.cursor)
    reads = [ex for ex in list(xero_server.sandbox.exchanges)
             if ex["method"] == "GET" and ex["path"] in ("/api.xro/2.0/Invoices",
                                                         "/api.xro/2.0/Payments",
                                                         "/api.xro/2.0/CreditNotes")]
    assert reads
    assert all(_header(ex, "If-Modified-Since") for ex in reads), [
        (ex["path"], ex["headers"]) for ex in reads]
