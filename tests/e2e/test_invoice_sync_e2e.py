"""Acceptance, end to end: real HTTP to the host, a real worker process, the fake ledger.

connect -> send -> pushed once -> synced with number and link on the invoice page; payments at
the provider -> partially paid -> paid; each error category shows message and fix and Retry
works; a worker killed mid-job loses nothing and the invoice is pushed exactly once; a webhook
with a bad signature gets 401 and nothing is stored.
"""

from decimal import Decimal

import fakeledger
import pytest
from e2ekit import (
    invoice_status, poll, poll_for, provider_link, retry_action, sync_error, sync_status,
)

pytestmark = pytest.mark.e2e
LEDGER = fakeledger.LEDGER


def _send(e2e, tenant, invoice_id: int):
    page = f"/invoices/{invoice_id}"
    resp = tenant.user.post_form(page, f"/invoices/{invoice_id}/send")
    assert resp.status_code in (302, 303)
    return page


def _panel(tenant, invoice_id):
    return tenant.user.page(f"/invoices/{invoice_id}/sync")


def _ledger_invoices_for(invoice_number_ref=None):
    return [d for d in LEDGER.invoices()
            if invoice_number_ref is None or d.get("number_ref") == invoice_number_ref]


def _number_ref(e2e, invoice_id):
    from host.extensions import db
    from host.models import Invoice

    with e2e.app.app_context():
        number = db.session.get(Invoice, invoice_id).number
        db.session.remove()
    return number


def test_send_is_pushed_once_and_shows_number_and_link_then_payments_come_back(e2e, tenant):
    invoice_id = e2e.draft_invoice(tenant, amount="100.00")
    page = _send(e2e, tenant, invoice_id)
    html = poll_for(lambda: tenant.user.page(page), lambda h: sync_status(h) == "synced",
                    what="the invoice page to show Synced")
    href, target, number = provider_link(html)
    (pushed,) = _ledger_invoices_for(_number_ref(e2e, invoice_id))
    assert number == pushed["number"]
    assert href == f"{e2e.ledger_url}/app/{pushed['id']}"
    assert target == "_blank"
    assert e2e.sync_row(invoice_id)["attempts"] == 1

    # The customer pays 40 at the provider: the signed webhook reaches the host over HTTP.
    body, headers = LEDGER.record_payment(pushed["id"], Decimal("40.00"))
    resp = tenant.user.http.post("/webhooks/fakeprovider", content=body, headers=headers)
    assert (resp.status_code, resp.content) == (200, b"")
    poll(lambda: invoice_status(tenant.user.page(page)) == "partially_paid",
         what="partially paid")
    body, headers = LEDGER.record_payment(pushed["id"], Decimal("60.00"))
    tenant.user.http.post("/webhooks/fakeprovider", content=body, headers=headers)
    poll(lambda: invoice_status(tenant.user.page(page)) == "paid", what="paid")
    assert len(_ledger_invoices_for(_number_ref(e2e, invoice_id))) == 1


@pytest.mark.parametrize("category", ["validation", "conflict", "mapping", "auth",
                                      "rate_limited", "provider_down"])
def test_each_error_category_shows_message_and_fix_and_retry_works(e2e, tenant, category):
    invoice_id = e2e.draft_invoice(tenant)
    if category == "mapping":
        _set_default_item(e2e, tenant, None)
    elif category == "auth":
        LEDGER.revoke_all()
    else:
        LEDGER.fail_next(category)
    _send(e2e, tenant, invoice_id)
    html = poll_for(lambda: _panel(tenant, invoice_id), sync_error,
                    what=f"the {category} error on the sync panel")
    error = sync_error(html)
    assert error["category"] == category
    assert error["message"] and error["fix"]
    if category in ("rate_limited", "provider_down"):
        # Retryable: retried automatically after the backoff / Retry-After.
        poll(lambda: sync_status(_panel(tenant, invoice_id)) == "synced", timeout=60,
             what="the automatic retry")
    else:
        if category == "mapping":
            _set_default_item(e2e, tenant, "1")
        elif category == "auth":
            _reconnect(e2e, tenant)
        html = _panel(tenant, invoice_id)
        action = retry_action(html)
        assert action, "Retry button missing"
        resp = tenant.user.post_form(f"/invoices/{invoice_id}", action)
        assert resp.status_code in (302, 303)
        poll(lambda: sync_status(_panel(tenant, invoice_id)) == "synced",
             what="synced after Retry")
    assert len(_ledger_invoices_for(_number_ref(e2e, invoice_id))) == 1


def test_worker_killed_mid_push_loses_nothing_and_pushes_exactly_once(e2e, tenant):
    gate = _gate_ledger_invoice_posts()
    try:
        invoice_id = e2e.draft_invoice(tenant)
        _send(e2e, tenant, invoice_id)
        poll(lambda: gate.waiting.is_set(), what="the worker to reach the ledger")
        assert e2e.sync_row(invoice_id)["status"] == "in_progress"
        e2e.worker.kill()  # SIGKILL while the push is in flight
        gate.release.set()  # the ledger stores the invoice; nobody hears the answer
        poll(lambda: len(_ledger_invoices_for(_number_ref(e2e, invoice_id))) == 1,
             what="the ledger to store the invoice")
        assert e2e.sync_row(invoice_id)["status"] == "in_progress"
    finally:
        gate.release.set()
        gate.remove()
    e2e.start_worker()
    poll(lambda: (e2e.sync_row(invoice_id) or {}).get("status") == "synced", timeout=60,
         what="synced after the worker restarted")
    row = e2e.sync_row(invoice_id)
    assert row["events"].count("synced") == 1
    assert len(_ledger_invoices_for(_number_ref(e2e, invoice_id))) == 1
    assert sync_status(_panel(tenant, invoice_id)) == "synced"


def test_webhook_with_bad_signature_gets_401_and_nothing_is_stored(e2e, tenant):
    before = e2e.delivery_count()
    body = b'{"events": [{"tenant": "t-1", "entity": "Payment", "id": "1", "operation": "Create"}]}'
    resp = tenant.user.http.post("/webhooks/fakeprovider", content=body,
                                 headers={"X-Fake-Signature": "not-the-signature"})
    assert resp.status_code == 401
    assert e2e.delivery_count() == before


# -- helpers -------------------------------------------------------------------------------------


def _set_default_item(e2e, tenant, value):
    from host.extensions import db
    from host.models import Connection

    with e2e.app.app_context():
        conn = db.session.get(Connection, tenant.connection_id)
        settings = dict(conn.settings or {})
        if value is None:
            settings.pop("default_item", None)
        else:
            settings["default_item"] = value
        conn.settings = settings
        db.session.commit()
        db.session.remove()


def _reconnect(e2e, tenant):
    """Fresh tokens through the host's real Reconnect flow."""
    import httpx

    start = tenant.user.post_form(
        f"/settings/integrations?business_unit={tenant.business_unit_id}",
        "/oauth/fakeprovider/start",
        {"business_unit": tenant.business_unit_id, "reconnect": tenant.connection_id})
    assert start.status_code in (302, 303), start.text
    callback = httpx.URL(fakeledger.consent(start.headers["Location"]))
    done = tenant.user.http.get(f"{callback.path}?{callback.query.decode()}")
    assert done.status_code in (302, 303), done.text


class _Gate:
    def __init__(self, app, hook):
        import threading

        self.app, self.hook = app, hook
        self.waiting = threading.Event()
        self.release = threading.Event()

    def remove(self):
        funcs = self.app.before_request_funcs.get(None, [])
        if self.hook in funcs:
            funcs.remove(self.hook)


def _gate_ledger_invoice_posts() -> _Gate:
    """Hold the ledger's POST /api/invoices until released (the push is 'in flight')."""
    from flask import request

    ledger_app = fakeledger._server.app
    gate = None

    def hold():
        if request.method == "POST" and request.path == "/api/invoices":
            gate.waiting.set()
            gate.release.wait(30)

    gate = _Gate(ledger_app, hold)
    ledger_app.before_request_funcs.setdefault(None, []).append(hold)
    return gate
