"""Issue 4, points 3, 4, 5, 6 and 7 end to end, over real HTTP with the worker process: the life
of an invoice after its first push.

* edited in the host and sent again ("Send again" on the invoice page): the SAME QuickBooks
  invoice is updated (SyncToken), with the new lines and amounts, and the project's payment
  terms give its DueDate;
* voided in the host: voided in QuickBooks;
* voided or deleted in QuickBooks: shown on the host invoice after reconciliation, and neither
  "Send again" nor Retry ever makes a second QuickBooks invoice;
* a refusal that needs the admin (a closed books period) is shown on the invoice's sync panel
  with its fix, and Retry after the fix books it once;
* Disconnect stops both directions; reconnecting the same company resumes with the earlier
  links (an edited invoice updates the QuickBooks invoice pushed before the disconnect);
* a dead grant: auth error on the panel, the Reconnect banner, Reconnect pushes once;
* the UK company with a lost response or an expired token, and paid in QuickBooks;
* auto-send, a credit memo, one payment for two invoices, classes, custom transaction
  numbers, multicurrency, an inactive product/service fixed then retried.

Uses the ``payments_world`` of this folder's conftest (sandbox + host + worker process).
"""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal

import httpx
import pytest

from host.integrations.e2e import (
    invoice_status,
    poll,
    poll_for,
    provider_link,
    retry_action,
    sync_error,
    sync_status,
)
from psa_quickbooks.sandbox import DEMO_CLIENT_ID, US_REALM

pytestmark = pytest.mark.e2e
SETUP = {"default_item": "2"}
_n = itertools.count(1)


def consent(authorize_url: str) -> str:
    resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": US_REALM},
                      follow_redirects=False, timeout=15)
    assert resp.status_code in (302, 303), resp.text
    return resp.headers["Location"]


def disconnect(tenant) -> None:
    page = f"/settings/integrations?business_unit={tenant.business_unit_id}"
    resp = tenant.user.post_form(page, f"/settings/integrations/connections/"
                                       f"{tenant.connection_id}/disconnect")
    assert resp.status_code in (302, 303)


@pytest.fixture
def tenant(payments_world):
    env = payments_world.env
    payments_world.control("DELETE", "faults")
    payments_world.webhooks(None)
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent, setup=SETUP)
    yield tenant
    payments_world.control("DELETE", "faults")
    disconnect(tenant)


class Books:
    """The sandbox company through its Accounting API (what a bookkeeper does in QuickBooks)."""

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

    def invoice(self, ident) -> dict:
        return self.api("GET", f"invoice/{ident}")["Invoice"]

    def void_invoice(self, ident) -> None:
        current = self.invoice(ident)
        self.api("POST", "invoice", {"Id": ident, "SyncToken": current["SyncToken"]},
                 operation="void")

    def delete_invoice(self, ident) -> None:
        current = self.invoice(ident)
        self.api("POST", "invoice", {"Id": ident, "SyncToken": current["SyncToken"]},
                 operation="delete")


@pytest.fixture
def books(payments_world):
    b = Books(payments_world)
    yield b
    b.http.close()


# -- helpers --------------------------------------------------------------------------------------


def stored(world, entity: str) -> list[dict]:
    return world.control("GET", f"companies/{US_REALM}/entities/{entity}").json()[entity]


def invoices_of(world, customer_name: str) -> list[dict]:
    customers = [c["Id"] for c in stored(world, "Customer") if c["DisplayName"] == customer_name]
    assert len(customers) == 1, customers
    return [i for i in stored(world, "Invoice") if i["CustomerRef"]["value"] == customers[0]]


def sales_lines(invoice: dict) -> list[tuple]:
    return [(ln["Description"], ln["SalesItemLineDetail"]["Qty"],
             ln["SalesItemLineDetail"]["UnitPrice"], ln["Amount"])
            for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]


def new_invoice(world, tenant, lines=None, project=None) -> tuple[int, str]:
    n = next(_n)
    name = f"E2E Lifecycle Client {n}"
    invoice_id = world.env.draft_invoice(tenant, lines=lines, project=project, client={
        "name": name, "billing_email": f"ap{n}@lifecycle-e2e.test"})
    return invoice_id, name


def press_send(tenant, invoice_id) -> None:
    """The invoice page's #send-invoice button ("Send", or "Send again" once sent)."""
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert re.search(r'id="send-invoice"', page)
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/send")
    assert resp.status_code in (302, 303), resp.text


def wait_record(world, invoice_id, object_type="invoice", status=("synced",), after=None,
                timeout=60.0) -> dict:
    """The newest record of the invoice once it has settled (synced or failed) with a key
    other than ``after`` (a previous operation's key)."""
    env = world.env

    def settled(r):
        return r and r["status"] in ("synced", "failed") and r["key"] != after

    try:
        row = poll_for(lambda: env.sync_row(invoice_id, object_type), settled, timeout=timeout,
                       what=f"the {object_type} record settled")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; record {env.sync_row(invoice_id, object_type)}; worker "
                             f"log {env.worker_log()[-2000:]}") from None
    assert row["status"] in status, (row, env.worker_log()[-3000:])
    return row


def edit_invoice(tenant, invoice_id, changes: dict, new_line: dict | None = None) -> None:
    """Edit through the host's /invoices/<id>/edit form: ``changes`` = {line position:
    {field: value}}; ``new_line`` = the form's extra line."""
    html = tenant.user.page(f"/invoices/{invoice_id}/edit")
    line_ids = list(dict.fromkeys(re.findall(r'name="description-(\d+)"', html)))
    data = {"issue_date": re.search(r'name="issue_date"[^>]*value="([^"]+)"', html).group(1)}
    for pos, line_id in enumerate(line_ids):
        for field in ("description", "quantity", "unit_price", "discount"):
            value = re.search(rf'name="{field}-{line_id}" value="([^"]*)"', html).group(1)
            data[f"{field}-{line_id}"] = changes.get(pos, {}).get(field, value)
    for field, value in (new_line or {}).items():
        data[f"new-{field}"] = value
    resp = tenant.user.post_form(f"/invoices/{invoice_id}/edit", f"/invoices/{invoice_id}/edit",
                                 data)
    assert resp.status_code in (302, 303), resp.text[-2000:]


def reconcile_now(env, connection_id: int) -> None:
    from host.extensions import db
    from host.models import Connection
    from host.sync.queue import task

    with env.app.app_context():
        before = db.session.get(Connection, connection_id).reconciled_at
        db.session.remove()
        task("reconcile_connection")(connection_id)

    def done():
        with env.app.app_context():
            after = db.session.get(Connection, connection_id).reconciled_at
            db.session.remove()
        return after is not None and after != before

    poll(done, what="the reconciliation pass")


def host_due_date(env, invoice_id) -> date:
    from host.extensions import db
    from host.models import Invoice

    with env.app.app_context():
        due = db.session.get(Invoice, invoice_id).due_date
        db.session.remove()
    return due


# -- tests ----------------------------------------------------------------------------------------


def test_an_invoice_edited_in_the_host_and_sent_again_updates_the_same_quickbooks_invoice(
        payments_world, tenant):
    world, env = payments_world, payments_world.env
    invoice_id, client = new_invoice(world, tenant, project={"due_days": 45}, lines=[
        {"quantity": Decimal("10"), "unit_price": Decimal("150"), "description": "Consulting"},
        {"quantity": Decimal("1"), "unit_price": Decimal("80"), "description": "Travel"}])
    press_send(tenant, invoice_id)
    first = wait_record(world, invoice_id)
    [booked] = invoices_of(world, client)
    assert booked["Id"] == first["external_id"] and booked["TotalAmt"] == 1580
    due = host_due_date(env, invoice_id)
    assert due - timedelta(days=45) == date.fromisoformat(booked["TxnDate"])  # project override
    assert booked["DueDate"] == due.isoformat()

    edit_invoice(tenant, invoice_id, {0: {"quantity": "12", "description": "Consulting (12 h)"}},
                 new_line={"description": "Workshop", "quantity": "1", "unit_price": "400.00"})
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert "Send again" in page
    press_send(tenant, invoice_id)
    second = wait_record(world, invoice_id, after=first["key"])
    assert second["operation"] == "update"

    [updated] = invoices_of(world, client)  # still exactly one invoice for the customer
    assert updated["Id"] == booked["Id"] and updated["DocNumber"] == booked["DocNumber"]
    assert int(updated["SyncToken"]) > int(booked["SyncToken"])
    assert sales_lines(updated) == [("Consulting (12 h)", 12, 150, 1800), ("Travel", 1, 80, 80),
                                    ("Workshop", 1, 400, 400)]
    assert updated["TotalAmt"] == 2280 and updated["DueDate"] == due.isoformat()
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced"
    assert provider_link(page)[2].strip() == booked["DocNumber"]


def test_voiding_in_the_host_voids_the_quickbooks_invoice(payments_world, tenant, books):
    world = payments_world
    invoice_id, client = new_invoice(world, tenant)
    press_send(tenant, invoice_id)
    pushed = wait_record(world, invoice_id)
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/void")
    assert resp.status_code in (302, 303)
    wait_record(world, invoice_id, "invoice_void")
    [voided] = invoices_of(world, client)
    assert voided["Id"] == pushed["external_id"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert invoice_status(tenant.user.page(f"/invoices/{invoice_id}")) == "void"


@pytest.mark.parametrize("how", ["void", "delete"])
def test_an_invoice_voided_or_deleted_in_quickbooks_is_shown_and_never_recreated(
        payments_world, tenant, books, how):
    world, env = payments_world, payments_world.env
    invoice_id, client = new_invoice(world, tenant)
    press_send(tenant, invoice_id)
    first = wait_record(world, invoice_id)
    (books.void_invoice if how == "void" else books.delete_invoice)(first["external_id"])

    reconcile_now(env, tenant.connection_id)
    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    state = {"void": ("voided", "Voided at the provider"),
             "delete": ("deleted", "Deleted at the provider")}[how]
    assert f'data-state="{state[0]}"' in panel and state[1] in panel, panel

    # the admin edits and sends again: refused with the reason, nothing made in QuickBooks
    edit_invoice(tenant, invoice_id, {0: {"unit_price": "120.00"}})
    press_send(tenant, invoice_id)
    again = wait_record(world, invoice_id, status=("failed",), after=first["key"])
    page = tenant.user.page(f"/invoices/{invoice_id}")
    error = sync_error(page)
    assert error and error["fix"], page
    word = "voided" if how == "void" else "deleted"
    assert f"{word} in QuickBooks" in error["message"]
    kept = [i["Id"] for i in invoices_of(world, client)] if how == "void" else []
    assert kept == ([first["external_id"]] if how == "void" else [])

    # Retry gives the same answer and still makes no second invoice
    action = retry_action(page)
    assert action
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", action)
    assert resp.status_code in (302, 303)
    poll_for(lambda: env.sync_row(invoice_id), lambda r: r["status"] == "failed"
             and r["attempts"] >= 1 and "retry" in r["events"], what="the retry settled")
    customers = [c["Id"] for c in stored(world, "Customer") if c["DisplayName"] == client]
    assert [i["Id"] for i in stored(world, "Invoice")
            if i["CustomerRef"]["value"] in customers] == kept
    assert again["external_id"] == first["external_id"]

    # what the fix says: void it in the PSA -- done, with nothing left to do in QuickBooks
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/void")
    assert resp.status_code in (302, 303)
    void = wait_record(world, invoice_id, "invoice_void")
    assert ("Already voided" if how == "void" else "Already deleted") in void["note"]
    assert [i["Id"] for i in stored(world, "Invoice")
            if i["CustomerRef"]["value"] in customers] == kept


def test_a_closed_books_period_is_shown_on_the_sync_panel_and_retry_after_the_fix_books_it(
        payments_world, tenant):
    world = payments_world
    prefs = f"companies/{US_REALM}/preferences"
    closed = (date.today() + timedelta(days=7)).isoformat()
    world.control("POST", prefs, json={"AccountingInfoPrefs": {"BookCloseDate": closed}})
    try:
        invoice_id, client = new_invoice(world, tenant)
        press_send(tenant, invoice_id)
        failed = wait_record(world, invoice_id, status=("failed",))
        page = tenant.user.page(f"/invoices/{invoice_id}")
        error = sync_error(page)
        assert error and error["category"] == "validation", page
        assert "closed" in error["message"] and "reopen" in error["fix"]
        assert "Provider code 6200" in page
        assert failed["attempts"] == 1  # not retried automatically: the admin must act
        customers = [c["Id"] for c in stored(world, "Customer") if c["DisplayName"] == client]
        assert [i for i in stored(world, "Invoice")
                if i["CustomerRef"]["value"] in customers] == []
    finally:
        world.control("POST", prefs, json={"AccountingInfoPrefs": {"BookCloseDate": "2000-01-31"}})

    resp = tenant.user.post_form(f"/invoices/{invoice_id}", retry_action(page))
    assert resp.status_code in (302, 303)
    row = poll_for(lambda: world.env.sync_row(invoice_id), lambda r: r["status"] == "synced",
                   what="the retried push")
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced" and sync_error(page) is None and provider_link(page)


def test_disconnect_stops_both_directions_and_reconnecting_the_same_company_resumes(
        payments_world, books):
    world, env = payments_world, payments_world.env
    world.webhooks("legacy")
    org = env.new_org()
    tenant = env.connect(org, "quickbooks", consent=consent, setup=SETUP)
    invoice_id, client = new_invoice(world, tenant)
    press_send(tenant, invoice_id)
    first = wait_record(world, invoice_id)
    disconnect(tenant)

    # QuickBooks -> host stopped: a payment in QuickBooks is notified but not applied
    deliveries = env.delivery_count()
    r = books.http.post(f"/company/{US_REALM}/invoices/{first['external_id']}/payments",
                        data={"amount": "25.00"})
    assert r.status_code in (302, 303), r.text
    poll(lambda: env.delivery_count() > deliveries, what="QuickBooks' notification received")
    from host.extensions import db
    from host.models import WebhookDelivery

    def settled():
        with env.app.app_context():
            rows = db.session.scalars(db.select(WebhookDelivery.status)).all()
            db.session.remove()
        return all(s in ("processed", "ignored", "failed") for s in rows)

    poll(settled, what="the delivery handled")
    assert invoice_status(tenant.user.page(f"/invoices/{invoice_id}")) == "sent"

    # host -> QuickBooks stopped: an edit sent again while disconnected is not pushed
    edit_invoice(tenant, invoice_id, {0: {"unit_price": "130.00"}})
    press_send(tenant, invoice_id)
    assert env.sync_row(invoice_id)["key"] == first["key"]
    assert books.invoice(first["external_id"])["TotalAmt"] == 100

    # reconnect the same company on the same business unit: the earlier links are used
    again = env.connect(org, "quickbooks", consent=consent, setup=SETUP, user=tenant.user)
    try:
        edit_invoice(tenant, invoice_id, {0: {"unit_price": "140.00"}})
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id, after=first["key"])
        assert row["external_id"] == first["external_id"] and row["operation"] == "update"
        [updated] = invoices_of(world, client)
        assert updated["Id"] == first["external_id"] and updated["TotalAmt"] == 140
        # the payment made in QuickBooks while disconnected is caught by the next pass
        reconcile_now(env, again.connection_id)
        assert invoice_status(tenant.user.page(f"/invoices/{invoice_id}")) == "partially_paid"
    finally:
        world.webhooks(None)
        disconnect(again)


def test_a_dead_grant_shows_the_reconnect_banner_and_reconnecting_pushes_the_waiting_invoice_once(
        payments_world, tenant):
    """Point 1 and the auth fault of point 6: the company revokes the app at Intuit (the refresh
    token is dead); the invoice waits with an auth error on its sync panel, every page shows the
    Reconnect banner, and Reconnect (the same company) pushes it exactly once."""
    world, env = payments_world, payments_world.env
    world.control("POST", "disconnect", json={"client_id": DEMO_CLIENT_ID, "realm_id": US_REALM})
    invoice_id, client = new_invoice(world, tenant)
    press_send(tenant, invoice_id)
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r and r["status"] in (
        "waiting_reauth", "synced", "failed"), what="the push met the dead grant")
    assert row["status"] == "waiting_reauth", row
    page = tenant.user.page(f"/invoices/{invoice_id}")
    error = sync_error(page)
    assert error and error["category"] == "auth" and "Reconnect" in error["fix"], page
    assert 'class="banner reconnect-banner"' in page and "needs to be reconnected" in page
    customers = [c for c in stored(world, "Customer") if c["DisplayName"] == client]
    assert customers == []  # nothing reached QuickBooks

    # the banner's Reconnect button: Intuit's consent for the same company, back to the host
    start = tenant.user.post_form(f"/invoices/{invoice_id}", "/oauth/quickbooks/start", {
        "business_unit": tenant.business_unit_id, "reconnect": tenant.connection_id})
    assert start.status_code in (302, 303), start.text
    callback = httpx.URL(consent(start.headers["Location"]))
    done = tenant.user.http.get(f"{callback.path}?{callback.query.decode()}")
    assert done.status_code in (302, 303), done.text
    row = wait_record(world, invoice_id)
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert "reconnect-banner" not in page and sync_status(page) == "synced"
    assert provider_link(page)[2].strip() == row["number"]


@pytest.mark.parametrize("fault", ["lost-response", "expired-token"])
def test_uk_company_fault_on_the_push_still_books_one_vat_invoice(payments_world, fault):
    """Acceptance for the non-US company end to end: a write committed whose response is lost,
    or an expired access token, still gives one invoice with the VAT code, tax and due date."""
    from host.extensions import db
    from host.models import TaxRate
    from psa_quickbooks.sandbox import UK_REALM

    world, env = payments_world, payments_world.env
    world.control("DELETE", "faults")

    def uk_consent(authorize_url: str) -> str:
        resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": UK_REALM},
                          follow_redirects=False, timeout=15)
        assert resp.status_code in (302, 303), resp.text
        return resp.headers["Location"]

    def uk(entity):
        return world.control("GET", f"companies/{UK_REALM}/entities/{entity}").json()[entity]

    codes = {c["Name"]: c["Id"] for c in uk("TaxCode")}
    org = env.new_org()
    tenant = env.connect(org, "quickbooks", consent=uk_consent, setup={
        "default_item": "2", "non_us": "y", "untaxed_tax_code": codes["0.0% Z"]})
    with env.app.app_context():
        vat = TaxRate(organization_id=tenant.org_id, name="VAT 20%", rate=Decimal("20"))
        db.session.add(vat)
        db.session.commit()
        vat_id = vat.id
        db.session.remove()
    try:
        if fault == "lost-response":
            world.control("POST", "faults", json={"method": "POST", "path": "/invoice$",
                                                  "count": 1, "kind": "drop_after_commit"})
        else:
            world.control("POST", "clock/advance", json={"seconds": 3700})
        invoice_id, client = new_invoice(world, tenant, project={"due_days": 14}, lines=[
            {"quantity": Decimal("8"), "unit_price": Decimal("95"), "description": "Support",
             "tax_rate_id": vat_id},
            {"quantity": Decimal("1"), "unit_price": Decimal("40"), "description": "Parking"}])
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id, timeout=90)
        if fault == "lost-response":
            assert row["attempts"] >= 2, row
        customers = [c["Id"] for c in uk("Customer") if c["DisplayName"] == client]
        [booked] = [i for i in uk("Invoice") if i["CustomerRef"]["value"] in customers]
        assert booked["Id"] == row["external_id"]
        lines = [(ln["Description"], ln["Amount"], ln["SalesItemLineDetail"]["TaxCodeRef"]["value"])
                 for ln in booked["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
        assert lines == [("Support", 760, codes["20.0% S"]), ("Parking", 40, codes["0.0% Z"])]
        assert booked["TxnTaxDetail"]["TotalTax"] == 152 and booked["TotalAmt"] == 952
        assert booked["DueDate"] == host_due_date(env, invoice_id).isoformat()
        page = tenant.user.page(f"/invoices/{invoice_id}")
        assert provider_link(page)[2].strip() == booked["DocNumber"]
        assert "realmId=" + UK_REALM in provider_link(page)[0]
    finally:
        world.control("DELETE", "faults")
        disconnect(tenant)


def test_auto_send_emails_through_quickbooks_or_says_why_not(payments_world):
    """Point 4: with "Automatically send invoice to the customer" on, QuickBooks emails the
    invoice to the billing email; a client without one is pushed, not emailed, and the invoice's
    sync panel says why."""
    world, env = payments_world, payments_world.env
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent,
                         setup={**SETUP, "auto_send": "y"})
    try:
        invoice_id, client = new_invoice(world, tenant)
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id)
        [booked] = invoices_of(world, client)
        assert booked["EmailStatus"] == "EmailSent"
        assert booked["BillEmail"]["Address"] in row["note"] and "Emailed" in row["note"]

        n = next(_n)
        silent = env.draft_invoice(tenant, client={"name": f"E2E No Email {n}",
                                                   "billing_email": ""})
        press_send(tenant, silent)
        row = wait_record(world, silent)
        [booked] = invoices_of(world, f"E2E No Email {n}")
        assert booked["EmailStatus"] != "EmailSent"
        panel = tenant.user.page(f"/invoices/{silent}/sync")
        assert "not emailed" in panel and "no billing email" in panel
    finally:
        disconnect(tenant)


def test_one_quickbooks_payment_for_two_invoices_pays_each_host_invoice(payments_world, tenant,
                                                                         books):
    """Point 5: one payment received in QuickBooks against two invoices of the customer
    updates each host invoice (found by the reconciliation pass)."""
    from host.extensions import db
    from host.models import Invoice
    from host.services.invoicing import create_invoice, send_invoice

    world, env = payments_world, payments_world.env
    first_id, client = new_invoice(world, tenant)
    press_send(tenant, first_id)
    first = wait_record(world, first_id)
    with env.app.app_context():
        project = db.session.get(Invoice, first_id).project
        second = create_invoice(project, [{"quantity": 1, "unit_price": Decimal("250.00"),
                                           "description": "Second month"}])
        send_invoice(second)
        second_id = second.id
        db.session.remove()
    second_row = wait_record(world, second_id)
    booked = invoices_of(world, client)
    assert sorted(i["Id"] for i in booked) == sorted([first["external_id"],
                                                      second_row["external_id"]])
    customer = booked[0]["CustomerRef"]["value"]
    books.api("POST", "payment", {
        "CustomerRef": {"value": customer}, "TotalAmt": 300.00, "PaymentRefNum": "WIRE-77",
        "Line": [{"Amount": 100.00, "LinkedTxn": [{"TxnId": first["external_id"],
                                                   "TxnType": "Invoice"}]},
                 {"Amount": 200.00, "LinkedTxn": [{"TxnId": second_row["external_id"],
                                                   "TxnType": "Invoice"}]}]})
    reconcile_now(env, tenant.connection_id)
    assert invoice_status(tenant.user.page(f"/invoices/{first_id}")) == "paid"
    assert invoice_status(tenant.user.page(f"/invoices/{second_id}")) == "partially_paid"
    reconcile_now(env, tenant.connection_id)  # a second pass records nothing twice
    with env.app.app_context():
        paid = {i: [p.amount for p in db.session.get(Invoice, i).payments]
                for i in (first_id, second_id)}
        db.session.remove()
    assert paid == {first_id: [Decimal("100.00")], second_id: [Decimal("200.00")]}


def consent_to(realm: str):
    def pick(authorize_url: str) -> str:
        resp = httpx.post(authorize_url, data={"action": "authorize", "realm_id": realm},
                          follow_redirects=False, timeout=15)
        assert resp.status_code in (302, 303), resp.text
        return resp.headers["Location"]

    return pick


def test_classes_company_books_line_classes_service_dates_and_discounts(payments_world):
    """Acceptance "class": a company tracking classes per line gets each contract-line class as
    the line's ClassRef, with the service date and the discount folded into the amount."""
    from psa_quickbooks.sandbox import CLASSES_REALM

    world, env = payments_world, payments_world.env

    def company(entity):
        return world.control("GET", f"companies/{CLASSES_REALM}/entities/{entity}").json()[entity]

    classes = {c["Name"]: c["Id"] for c in company("Class")}
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent_to(CLASSES_REALM),
                         setup={**SETUP, "use_classes": "y"})
    try:
        invoice_id, client = new_invoice(world, tenant, lines=[
            {"quantity": Decimal("4"), "unit_price": Decimal("150"), "description": "Design",
             "class_label": "East", "service_date": "2026-11-03", "discount_percent": "10"},
            {"quantity": Decimal("2"), "unit_price": Decimal("100"), "description": "Build",
             "class_label": "West", "service_date": "2026-11-10"}])
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id)
        customers = [c["Id"] for c in company("Customer") if c["DisplayName"] == client]
        [booked] = [i for i in company("Invoice") if i["CustomerRef"]["value"] in customers]
        assert booked["Id"] == row["external_id"]
        lines = [(ln["Description"], ln["Amount"], ln["SalesItemLineDetail"]["ClassRef"]["value"],
                  ln["SalesItemLineDetail"]["ServiceDate"])
                 for ln in booked["Line"] if ln["DetailType"] == "SalesItemLineDetail"]
        assert lines == [("Design (less 10% discount)", 540, classes["East"], "2026-11-03"),
                         ("Build", 200, classes["West"], "2026-11-10")]
        assert booked["TotalAmt"] == 740
        assert provider_link(tenant.user.page(f"/invoices/{invoice_id}"))[2].strip() == \
            booked["DocNumber"]
    finally:
        disconnect(tenant)


def test_custom_transaction_numbers_company_gets_the_host_number(payments_world):
    """Point 4: with Custom Transaction Numbers on, DocNumber is the PSA's invoice number (and
    the host shows it as the QuickBooks number)."""
    from host.extensions import db
    from host.models import Invoice
    from psa_quickbooks.sandbox import CUSTOM_NUMBERS_REALM

    world, env = payments_world, payments_world.env
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent_to(CUSTOM_NUMBERS_REALM),
                         setup=SETUP)
    try:
        invoice_id, client = new_invoice(world, tenant)
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id)
        with env.app.app_context():
            number = db.session.get(Invoice, invoice_id).number
            db.session.remove()
        booked = world.control("GET", f"companies/{CUSTOM_NUMBERS_REALM}/entities/Invoice/"
                                      f"{row['external_id']}").json()["Invoice"]
        assert booked["DocNumber"] == number == row["number"]
        assert provider_link(tenant.user.page(f"/invoices/{invoice_id}"))[2].strip() == number
    finally:
        disconnect(tenant)


def test_a_credit_note_goes_as_a_credit_memo_applied_to_the_invoice_and_never_emailed(
        payments_world):
    """Point 4: a credit note issued from the invoice page (auto-send on) becomes a QuickBooks
    credit memo for the same customer, applied to the invoice, and is not emailed."""
    from host.extensions import db
    from host.models import CreditNote

    world, env = payments_world, payments_world.env
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent,
                         setup={**SETUP, "auto_send": "y"})
    try:
        invoice_id, client = new_invoice(world, tenant)
        press_send(tenant, invoice_id)
        pushed = wait_record(world, invoice_id)
        resp = tenant.user.post_form(f"/invoices/{invoice_id}/credit-notes/new",
                                     f"/invoices/{invoice_id}/credit-notes/new",
                                     {"mode": "amount", "amount": "40.00", "reason": "Goodwill"})
        assert resp.status_code in (302, 303), resp.text[-1500:]
        with env.app.app_context():
            note_id = db.session.scalars(db.select(CreditNote.id).filter_by(
                invoice_id=invoice_id)).one()
            db.session.remove()
        row = wait_record(world, note_id, "credit_note")
        memo = world.control("GET", f"companies/{US_REALM}/entities/CreditMemo/"
                                    f"{row['external_id']}").json()["CreditMemo"]
        [booked] = invoices_of(world, client)
        assert memo["CustomerRef"]["value"] == booked["CustomerRef"]["value"]
        assert memo["TotalAmt"] == 40 and memo.get("EmailStatus") != "EmailSent"
        assert booked["Id"] == pushed["external_id"] and booked["Balance"] == 60
        assert len([m for m in stored(world, "CreditMemo")
                    if m["CustomerRef"]["value"] == booked["CustomerRef"]["value"]]) == 1
        assert invoice_status(tenant.user.page(f"/invoices/{invoice_id}")) == "partially_paid"
    finally:
        disconnect(tenant)


def test_multicurrency_company_gets_the_invoice_currency(payments_world, tenant):
    """Point 4: "currency when the company uses multicurrency" -- a EUR client's invoice is a
    EUR invoice for a EUR customer in QuickBooks."""
    world = payments_world
    prefs = f"companies/{US_REALM}/preferences"
    world.control("POST", prefs, json={"CurrencyPrefs": {"MultiCurrencyEnabled": True}})
    try:
        n = next(_n)
        name = f"E2E Euro Client {n}"
        invoice_id = world.env.draft_invoice(tenant, client={
            "name": name, "billing_email": f"ap{n}@euro-e2e.test", "currency": "EUR"})
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id)
        [booked] = invoices_of(world, name)
        assert booked["Id"] == row["external_id"] and booked["CurrencyRef"]["value"] == "EUR"
        customer = [c for c in stored(world, "Customer") if c["DisplayName"] == name][0]
        assert customer["CurrencyRef"]["value"] == "EUR"
    finally:
        world.control("POST", prefs, json={"CurrencyPrefs": {"MultiCurrencyEnabled": False}})


def test_uk_company_payment_in_quickbooks_pays_the_host_invoice(payments_world):
    """Point 5 for the non-US company: a VAT invoice paid in full in QuickBooks (the sandbox's
    "Receive payment") is paid in the host through the signed webhook, once."""
    from host.extensions import db
    from host.models import Payment, TaxRate
    from psa_quickbooks.sandbox import UK_REALM

    world, env = payments_world, payments_world.env
    world.webhooks("cloudevents")
    codes = {c["Name"]: c["Id"] for c in world.control(
        "GET", f"companies/{UK_REALM}/entities/TaxCode").json()["TaxCode"]}
    tenant = env.connect(env.new_org(), "quickbooks", consent=consent_to(UK_REALM), setup={
        "default_item": "2", "non_us": "y", "untaxed_tax_code": codes["0.0% Z"]})
    try:
        with env.app.app_context():
            vat = TaxRate(organization_id=tenant.org_id, name="VAT 20%", rate=Decimal("20"))
            db.session.add(vat)
            db.session.commit()
            vat_id = vat.id
            db.session.remove()
        invoice_id, client = new_invoice(world, tenant, lines=[
            {"quantity": Decimal("5"), "unit_price": Decimal("100"), "description": "Support",
             "tax_rate_id": vat_id}])
        press_send(tenant, invoice_id)
        row = wait_record(world, invoice_id)
        r = httpx.post(f"{world.sandbox_url}/company/{UK_REALM}/invoices/{row['external_id']}"
                       "/payments", data={"amount": "600.00"}, timeout=15)
        assert r.status_code in (302, 303), r.text
        poll(lambda: invoice_status(tenant.user.page(f"/invoices/{invoice_id}")) == "paid",
             what="the UK invoice paid in the host")
        with env.app.app_context():
            paid = [(p.source, p.amount) for p in db.session.scalars(
                db.select(Payment).filter_by(invoice_id=invoice_id))]
            db.session.remove()
        assert paid == [("provider", Decimal("600.00"))]
    finally:
        world.webhooks(None)
        disconnect(tenant)


def test_an_inactive_product_is_explained_on_the_sync_panel_and_retry_after_reactivating_books_it(
        payments_world, tenant, books):
    """Point 6, "inactive item", end to end: the default product/service made inactive in
    QuickBooks stops the push with a mapping error naming it and a fix; reactivated, Retry books
    the invoice once."""
    world = payments_world

    def set_active(active: bool) -> None:
        item = books.api("GET", "item/2")["Item"]
        books.api("POST", "item", {"Id": "2", "SyncToken": item["SyncToken"], "sparse": True,
                                   "Active": active})

    set_active(False)
    try:
        invoice_id, client = new_invoice(world, tenant)
        press_send(tenant, invoice_id)
        wait_record(world, invoice_id, status=("failed",))
        page = tenant.user.page(f"/invoices/{invoice_id}")
        error = sync_error(page)
        assert error and error["category"] == "mapping", page
        assert "Consulting" in error["message"] and "inactive" in error["message"]
        assert "Reactivate" in error["fix"] or "reactivate" in error["fix"]
    finally:
        set_active(True)
    resp = tenant.user.post_form(f"/invoices/{invoice_id}", retry_action(page))
    assert resp.status_code in (302, 303)
    row = poll_for(lambda: world.env.sync_row(invoice_id), lambda r: r["status"] == "synced",
                   what="the retried push")
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
