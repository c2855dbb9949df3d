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

from datetime import date, timedelta
from decimal import Decimal
from functools import partial

import httpx
import pytest

import qbo_e2ekit
from host.integrations.e2e import (
    poll,
    poll_for,
    provider_link,
    retry_action,
    sync_error,
    sync_status,
)
from psa_quickbooks.sandbox import DEMO_CLIENT_ID, US_REALM
from qbo_e2ekit import (
    Books,
    connect,
    connect_uk,
    consent_to,
    customer_ids,
    disconnect,
    entities,
    entity,
    invoice_action,
    invoices_of,
    sales_lines,
    status_of,
)

pytestmark = pytest.mark.e2e
new_invoice = partial(qbo_e2ekit.new_invoice, tag="lifecycle")  # -> (host id, client name)
send_new_invoice = partial(qbo_e2ekit.send_new_invoice, tag="lifecycle")  # + its record


# -- tests ----------------------------------------------------------------------------------------


def test_an_invoice_edited_in_the_host_and_sent_again_updates_the_same_quickbooks_invoice(
        payments_world, tenant):
    world, env = payments_world, payments_world.env
    invoice_id, client, first = send_new_invoice(env, tenant, project={"due_days": 45}, lines=[
        {"quantity": Decimal("10"), "unit_price": Decimal("150"), "description": "Consulting"},
        {"quantity": Decimal("1"), "unit_price": Decimal("80"), "description": "Travel"}])
    [booked] = invoices_of(world, client)
    assert booked["Id"] == first["external_id"] and booked["TotalAmt"] == 1580
    due = env.invoice_facts(invoice_id)["due_date"]
    assert due - timedelta(days=45) == date.fromisoformat(booked["TxnDate"])  # project override
    assert booked["DueDate"] == due.isoformat()

    env.edit_invoice(tenant, invoice_id,
                     {0: {"quantity": "12", "description": "Consulting (12 h)"}},
                     new_line={"description": "Workshop", "quantity": "1", "unit_price": "400.00"})
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert "Send again" in page
    env.press_send(tenant, invoice_id)
    second = env.wait_record(invoice_id, after=first["key"])
    assert second["operation"] == "update"

    [updated] = invoices_of(world, client)  # still exactly one invoice for the customer
    assert updated["Id"] == booked["Id"] and updated["DocNumber"] == booked["DocNumber"]
    assert int(updated["SyncToken"]) > int(booked["SyncToken"])
    assert sales_lines(updated, "Qty", "UnitPrice") == [
        ("Consulting (12 h)", 1800, 12, 150), ("Travel", 80, 1, 80), ("Workshop", 400, 1, 400)]
    assert updated["TotalAmt"] == 2280 and updated["DueDate"] == due.isoformat()
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced"
    assert provider_link(page)[2].strip() == booked["DocNumber"]


def test_voiding_in_the_host_voids_the_quickbooks_invoice(payments_world, tenant, books):
    world, env = payments_world, payments_world.env
    invoice_id, client, pushed = send_new_invoice(env, tenant)
    invoice_action(tenant, invoice_id, "void")
    env.wait_record(invoice_id, "invoice_void")
    [voided] = invoices_of(world, client)
    assert voided["Id"] == pushed["external_id"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0
    assert voided["PrivateNote"].startswith("Voided")
    assert status_of(tenant, invoice_id) == "void"


@pytest.mark.parametrize("how", ["void", "delete"])
def test_an_invoice_voided_or_deleted_in_quickbooks_is_shown_and_never_recreated(
        payments_world, tenant, books, how):
    world, env = payments_world, payments_world.env
    invoice_id, client, first = send_new_invoice(env, tenant)
    (books.void_invoice if how == "void" else books.delete_invoice)(first["external_id"])

    env.reconcile(tenant.connection_id)
    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    state = {"void": ("voided", "Voided at the provider"),
             "delete": ("deleted", "Deleted at the provider")}[how]
    assert f'data-state="{state[0]}"' in panel and state[1] in panel, panel

    # the admin edits and sends again: refused with the reason, nothing made in QuickBooks
    env.edit_invoice(tenant, invoice_id, {0: {"unit_price": "120.00"}})
    env.press_send(tenant, invoice_id)
    again = env.wait_record(invoice_id, status=("failed",), after=first["key"])
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
    invoice_action(tenant, invoice_id, action)
    poll_for(lambda: env.sync_row(invoice_id), lambda r: r["status"] == "failed"
             and r["attempts"] >= 1 and "retry" in r["events"], what="the retry settled")
    assert [i["Id"] for i in invoices_of(world, client, one_customer=False)] == kept
    assert again["external_id"] == first["external_id"]

    # what the fix says: void it in the PSA -- done, with nothing left to do in QuickBooks
    invoice_action(tenant, invoice_id, "void")
    void = env.wait_record(invoice_id, "invoice_void")
    assert ("Already voided" if how == "void" else "Already deleted") in void["note"]
    assert [i["Id"] for i in invoices_of(world, client, one_customer=False)] == kept


def test_a_closed_books_period_is_shown_on_the_sync_panel_and_retry_after_the_fix_books_it(
        payments_world, tenant):
    world, env = payments_world, payments_world.env
    prefs = f"companies/{US_REALM}/preferences"
    closed = (date.today() + timedelta(days=7)).isoformat()
    world.control("POST", prefs, json={"AccountingInfoPrefs": {"BookCloseDate": closed}})
    try:
        invoice_id, client, failed = send_new_invoice(env, tenant, status=("failed",))
        page = tenant.user.page(f"/invoices/{invoice_id}")
        error = sync_error(page)
        assert error and error["category"] == "validation", page
        assert "closed" in error["message"] and "reopen" in error["fix"]
        assert "Provider code 6200" in page
        assert failed["attempts"] == 1  # not retried automatically: the admin must act
        assert invoices_of(world, client, one_customer=False) == []
    finally:
        world.control("POST", prefs, json={"AccountingInfoPrefs": {"BookCloseDate": "2000-01-31"}})

    invoice_action(tenant, invoice_id, retry_action(page))
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r["status"] == "synced",
                   what="the retried push")
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced" and sync_error(page) is None and provider_link(page)


def test_disconnect_stops_both_directions_and_reconnecting_the_same_company_resumes(
        payments_world, books):
    world, env = payments_world, payments_world.env
    world.webhooks("legacy")
    org = env.new_org()
    tenant = connect(world, org=org)
    invoice_id, client, first = send_new_invoice(env, tenant)
    disconnect(tenant)

    # QuickBooks -> host stopped: a payment in QuickBooks is not applied (QuickBooks does not
    # even notify: the app's grant for the company was revoked)
    deliveries = len(env.settle_deliveries(world.sandbox_url))  # the push's own
    books.receive_payment(first["external_id"], "25.00")
    assert len(env.settle_deliveries(world.sandbox_url)) == deliveries
    assert status_of(tenant, invoice_id) == "sent"

    # host -> QuickBooks stopped: an edit sent again while disconnected is not pushed
    env.edit_invoice(tenant, invoice_id, {0: {"unit_price": "130.00"}})
    env.press_send(tenant, invoice_id)
    assert env.sync_row(invoice_id)["key"] == first["key"]
    assert books.invoice(first["external_id"])["TotalAmt"] == 100

    # reconnect the same company on the same business unit: the earlier links are used
    again = connect(world, org=org, user=tenant.user)
    try:
        env.edit_invoice(tenant, invoice_id, {0: {"unit_price": "140.00"}})
        env.press_send(tenant, invoice_id)
        row = env.wait_record(invoice_id, after=first["key"])
        assert row["external_id"] == first["external_id"] and row["operation"] == "update"
        [updated] = invoices_of(world, client)
        assert updated["Id"] == first["external_id"] and updated["TotalAmt"] == 140
        # the payment made in QuickBooks while disconnected is caught by the next pass
        env.reconcile(again.connection_id)
        assert status_of(tenant, invoice_id) == "partially_paid"
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
    invoice_id, client = new_invoice(env, tenant)
    env.press_send(tenant, invoice_id)
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r and r["status"] in (
        "waiting_reauth", "synced", "failed"), what="the push met the dead grant")
    assert row["status"] == "waiting_reauth", row
    page = tenant.user.page(f"/invoices/{invoice_id}")
    error = sync_error(page)
    assert error and error["category"] == "auth" and "Reconnect" in error["fix"], page
    assert 'class="banner reconnect-banner"' in page and "needs to be reconnected" in page
    assert customer_ids(world, client) == []  # nothing reached QuickBooks

    # the banner's Reconnect button: Intuit's consent for the same company, back to the host
    start = tenant.user.post_form(f"/invoices/{invoice_id}", "/oauth/quickbooks/start", {
        "business_unit": tenant.business_unit_id, "reconnect": tenant.connection_id})
    assert start.status_code in (302, 303), start.text
    callback = httpx.URL(consent_to(US_REALM)(start.headers["Location"]))
    done = tenant.user.http.get(f"{callback.path}?{callback.query.decode()}")
    assert done.status_code in (302, 303), done.text
    row = env.wait_record(invoice_id)
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert "reconnect-banner" not in page and sync_status(page) == "synced"
    assert provider_link(page)[2].strip() == row["number"]


UK_WRITE_FAULTS = {
    "server-error": {"kind": "status", "status": 500, "body": {}},
    "throttled": {"kind": "rate_limit"},
    "lost-response": {"kind": "drop_after_commit"},
}


@pytest.mark.parametrize("fault", [*UK_WRITE_FAULTS, "expired-token"])
def test_uk_company_fault_on_the_push_still_books_one_vat_invoice(payments_world, fault):
    """Acceptance for the non-US company end to end: a 500, a 429, a write committed whose
    response is lost, or an expired access token still gives one invoice with the VAT code, tax
    and due date."""
    from psa_quickbooks.sandbox import UK_REALM

    world, env = payments_world, payments_world.env
    world.control("DELETE", "faults")
    tenant, codes = connect_uk(world)
    vat_id = env.add_tax_rate(tenant, "VAT 20%", "20")
    try:
        if fault in UK_WRITE_FAULTS:
            world.control("POST", "settings", json={"retry_after": 1})  # a short 429 wait
            world.control("POST", "faults", json={"method": "POST", "path": "/invoice$",
                                                  "count": 1, **UK_WRITE_FAULTS[fault]})
        else:
            world.control("POST", "clock/advance", json={"seconds": 3700})
        invoice_id, client, row = send_new_invoice(env, tenant, project={"due_days": 14}, lines=[
            {"quantity": Decimal("8"), "unit_price": Decimal("95"), "description": "Support",
             "tax_rate_id": vat_id},
            {"quantity": Decimal("1"), "unit_price": Decimal("40"), "description": "Parking"}],
            timeout=90)
        if fault in UK_WRITE_FAULTS:
            assert row["attempts"] >= 2, row  # the first attempt met the fault
        [booked] = invoices_of(world, client, UK_REALM, one_customer=False)
        assert booked["Id"] == row["external_id"]
        assert sales_lines(booked, "TaxCodeRef.value") == [("Support", 760, codes["20.0% S"]),
                                                           ("Parking", 40, codes["0.0% Z"])]
        assert booked["TxnTaxDetail"]["TotalTax"] == 152 and booked["TotalAmt"] == 952
        assert booked["DueDate"] == env.invoice_facts(invoice_id)["due_date"].isoformat()
        page = tenant.user.page(f"/invoices/{invoice_id}")
        assert provider_link(page)[2].strip() == booked["DocNumber"]
        assert "realmId=" + UK_REALM in provider_link(page)[0]
    finally:
        world.control("DELETE", "faults")
        world.control("POST", "settings", json={"retry_after": None})
        disconnect(tenant)


def test_auto_send_emails_through_quickbooks_or_says_why_not(payments_world):
    """Point 4: with "Automatically send invoice to the customer" on, QuickBooks emails the
    invoice to the billing email; a client without one is pushed, not emailed, and the invoice's
    sync panel says why."""
    world, env = payments_world, payments_world.env
    tenant = connect(world, auto_send="y")
    try:
        invoice_id, client, row = send_new_invoice(env, tenant)
        [booked] = invoices_of(world, client)
        assert booked["EmailStatus"] == "EmailSent"
        assert booked["BillEmail"]["Address"] == f"ap{client.split()[-1]}@lifecycle-e2e.test"
        panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
        assert "Emailed to the customer by QuickBooks Online." in panel

        silent = env.draft_invoice(tenant, client={"name": f"E2E No Email {invoice_id}",
                                                   "billing_email": ""})
        row = env.send_and_wait(tenant, silent)
        [booked] = invoices_of(world, f"E2E No Email {invoice_id}")
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
    first_id, client, first = send_new_invoice(env, tenant)
    with env.app.app_context():
        project = db.session.get(Invoice, first_id).project
        second = create_invoice(project, [{"quantity": 1, "unit_price": Decimal("250.00"),
                                           "description": "Second month"}])
        send_invoice(second)
        second_id = second.id
        db.session.remove()
    second_row = env.wait_record(second_id)
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
    env.reconcile(tenant.connection_id)
    assert status_of(tenant, first_id) == "paid"
    assert status_of(tenant, second_id) == "partially_paid"
    env.reconcile(tenant.connection_id)  # a second pass records nothing twice
    paid = {i: [amount for _, amount, _, _ in env.host_payments(i)] for i in (first_id, second_id)}
    assert paid == {first_id: [Decimal("100.00")], second_id: [Decimal("200.00")]}


def test_classes_company_books_line_classes_service_dates_and_discounts(payments_world):
    """Acceptance "class": a company tracking classes per line gets each contract-line class as
    the line's ClassRef, with the service date and the discount folded into the amount."""
    from psa_quickbooks.sandbox import CLASSES_REALM

    world, env = payments_world, payments_world.env

    classes = {c["Name"]: c["Id"] for c in entities(world, "Class", CLASSES_REALM)}
    tenant = connect(world, CLASSES_REALM, use_classes="y")
    try:
        invoice_id, client, row = send_new_invoice(env, tenant, lines=[
            {"quantity": Decimal("4"), "unit_price": Decimal("150"), "description": "Design",
             "class_label": "East", "service_date": "2026-11-03", "discount_percent": "10"},
            {"quantity": Decimal("2"), "unit_price": Decimal("100"), "description": "Build",
             "class_label": "West", "service_date": "2026-11-10"}])
        [booked] = invoices_of(world, client, CLASSES_REALM, one_customer=False)
        assert booked["Id"] == row["external_id"]
        assert sales_lines(booked, "ClassRef.value", "ServiceDate") == [
            ("Design (less 10% discount)", 540, classes["East"], "2026-11-03"),
            ("Build", 200, classes["West"], "2026-11-10")]
        assert booked["TotalAmt"] == 740
        assert provider_link(tenant.user.page(f"/invoices/{invoice_id}"))[2].strip() == \
            booked["DocNumber"]
    finally:
        disconnect(tenant)


def test_custom_transaction_numbers_company_gets_the_host_number(payments_world):
    """Point 4: with Custom Transaction Numbers on, DocNumber is the PSA's invoice number (and
    the host shows it as the QuickBooks number)."""
    from psa_quickbooks.sandbox import CUSTOM_NUMBERS_REALM

    world, env = payments_world, payments_world.env
    tenant = connect(world, CUSTOM_NUMBERS_REALM)
    try:
        invoice_id, client, row = send_new_invoice(env, tenant)
        number = env.invoice_facts(invoice_id)["number"]
        booked = entity(world, "Invoice", row["external_id"], CUSTOM_NUMBERS_REALM)
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
    tenant = connect(world, auto_send="y")
    try:
        invoice_id, client, pushed = send_new_invoice(env, tenant)
        resp = tenant.user.post_form(f"/invoices/{invoice_id}/credit-notes/new",
                                     f"/invoices/{invoice_id}/credit-notes/new",
                                     {"mode": "amount", "amount": "40.00", "reason": "Goodwill"})
        assert resp.status_code in (302, 303), resp.text[-1500:]
        with env.app.app_context():
            note_id = db.session.scalars(db.select(CreditNote.id).filter_by(
                invoice_id=invoice_id)).one()
            db.session.remove()
        row = env.wait_record(note_id, "credit_note")
        memo = entity(world, "CreditMemo", row["external_id"])
        [booked] = invoices_of(world, client)
        assert memo["CustomerRef"]["value"] == booked["CustomerRef"]["value"]
        assert memo["TotalAmt"] == 40 and memo.get("EmailStatus") != "EmailSent"
        note_page = tenant.user.page(f"/credit-notes/{note_id}")  # its own sync panel
        assert f'>{memo["DocNumber"]}</a>' in note_page
        assert "Not emailed to the customer." in note_page
        invoice_page = tenant.user.page(f"/invoices/{invoice_id}")
        assert "Emailed to the customer by QuickBooks Online." in invoice_page
        assert booked["Id"] == pushed["external_id"] and booked["Balance"] == 60
        assert len([m for m in entities(world, "CreditMemo")
                    if m["CustomerRef"]["value"] == booked["CustomerRef"]["value"]]) == 1
        assert status_of(tenant, invoice_id) == "partially_credited"
    finally:
        disconnect(tenant)


def test_multicurrency_company_gets_the_invoice_currency(payments_world):
    """Point 4: "currency when the company uses multicurrency" -- a EUR client's invoice is a
    EUR invoice for a EUR customer in QuickBooks, at QuickBooks' rate, which the invoice page
    names (issue 10)."""
    from psa_quickbooks.sandbox import MULTICURRENCY_REALM

    world, env = payments_world, payments_world.env
    tenant = connect(world, MULTICURRENCY_REALM)
    try:
        invoice_id, name = qbo_e2ekit.new_invoice(env, tenant, client={"currency": "EUR"},
                                                  tag="euro")
        row = env.send_and_wait(tenant, invoice_id)
        [booked] = invoices_of(world, name, MULTICURRENCY_REALM)
        assert booked["Id"] == row["external_id"] and booked["CurrencyRef"]["value"] == "EUR"
        assert booked["ExchangeRate"] == 1.085
        customer = [c for c in entities(world, "Customer", MULTICURRENCY_REALM)
                    if c["DisplayName"] == name][0]
        assert customer["CurrencyRef"]["value"] == "EUR"
        page = tenant.user.page(f"/invoices/{invoice_id}")
        assert "Booked in EUR at 1 EUR = 1.085 USD (QuickBooks&#39; rate for 2026-01-01)." in page
    finally:
        disconnect(tenant)


def test_uk_company_payment_in_quickbooks_pays_the_host_invoice(payments_world):
    """Point 5 for the non-US company: a VAT invoice paid in full in QuickBooks (the sandbox's
    "Receive payment") is paid in the host through the signed webhook, once."""
    from psa_quickbooks.sandbox import UK_REALM

    world, env = payments_world, payments_world.env
    world.webhooks("cloudevents")
    tenant, _ = connect_uk(world)
    uk_books = Books(world, UK_REALM)
    try:
        vat_id = env.add_tax_rate(tenant, "VAT 20%", "20")
        invoice_id, client, row = send_new_invoice(env, tenant, lines=[
            {"quantity": Decimal("5"), "unit_price": Decimal("100"), "description": "Support",
             "tax_rate_id": vat_id}])
        uk_books.receive_payment(row["external_id"], "600.00")
        try:
            poll(lambda: status_of(tenant, invoice_id) == "paid",
                 what="the UK invoice paid in the host")
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{world.diagnose()}") from None
        paid = [(source, amount) for source, amount, _, _ in env.host_payments(invoice_id)]
        assert paid == [("provider", Decimal("600.00"))]
    finally:
        uk_books.close()
        world.webhooks(None)
        disconnect(tenant)


def test_an_inactive_product_is_explained_on_the_sync_panel_and_retry_after_reactivating_books_it(
        payments_world, tenant, books):
    """Point 6, "inactive item", end to end: the default product/service made inactive in
    QuickBooks stops the push with a mapping error naming it and a fix; reactivated, Retry books
    the invoice once."""
    world, env = payments_world, payments_world.env

    def set_active(active: bool) -> None:
        item = books.api("GET", "item/2")["Item"]
        books.api("POST", "item", {"Id": "2", "SyncToken": item["SyncToken"], "sparse": True,
                                   "Active": active})

    set_active(False)
    try:
        invoice_id, client, _ = send_new_invoice(env, tenant, status=("failed",))
        page = tenant.user.page(f"/invoices/{invoice_id}")
        error = sync_error(page)
        assert error and error["category"] == "mapping", page
        assert "Consulting" in error["message"] and "inactive" in error["message"]
        assert "Reactivate" in error["fix"] or "reactivate" in error["fix"]
    finally:
        set_active(True)
    invoice_action(tenant, invoice_id, retry_action(page))
    row = poll_for(lambda: env.sync_row(invoice_id), lambda r: r["status"] == "synced",
                   what="the retried push")
    assert [i["Id"] for i in invoices_of(world, client)] == [row["external_id"]]
