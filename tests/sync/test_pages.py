"""The sync panel, Retry / Push actions and the connection's sync overview (Flask client).

Requests run outside any test app context (each request gets its own, as in production), so
database work here happens in short ``with app.app_context()`` blocks.
"""

import re

import fakeledger
import pytest
from synchelpers import make_invoice, records

from host.extensions import db
from host.models import Invoice
from host.services.invoicing import send_invoice
from host.integrations.testing import create_org, login, make_connection
from host.sync.queue import drain

LEDGER = fakeledger.LEDGER


def _connect(app, org) -> int:
    return make_connection(app, org.business_unit_ids[0], "fakeprovider",
                           settings={"default_item": "1"}, tokens=LEDGER.issue_tokens())


def _invoice(app, org) -> tuple[int, str]:
    with app.app_context():
        invoice = make_invoice(org, send=True)
        result = invoice.id, invoice.number
        db.session.remove()
    return result


def _records(app, object_type="invoice"):
    with app.app_context():
        rows = [(r.id, r.object_id, r.status) for r in records(object_type)]
        db.session.remove()
    return rows


def _token(client, path="/invoices/"):
    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def _retry_failed_then_synced(app, admin_client, page: str, object_type: str,
                              panel_url: str) -> str:
    """The panel of a record failed for validation shows its fix and Retry; Retry (as the admin
    presses it) pushes again and the panel says synced. Returns that panel."""
    assert 'data-status="failed"' in page
    assert 'class="sync-error" data-category="validation"' in page
    assert "Fix:" in page and 'id="retry-sync"' in page
    ((record_id, _, _),) = _records(app, object_type)
    resp = admin_client.post(f"/sync/records/{record_id}/retry",
                             data={"csrf_token": _token(admin_client)})
    assert resp.status_code == 302
    drain(app)
    panel = admin_client.get(panel_url).get_data(as_text=True)
    assert 'data-status="synced"' in panel
    return panel


def test_failed_record_shows_error_fix_and_retry_then_synced(app, admin_client, org):
    _connect(app, org)
    invoice_id, _ = _invoice(app, org)
    LEDGER.fail_next("validation")
    drain(app)
    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert "Customer email is invalid" in page
    panel = _retry_failed_then_synced(app, admin_client, page, "invoice",
                                      f"/invoices/{invoice_id}/sync")
    assert re.search(r'<a class="provider-number" href="[^"]+/app/\d+" target="_blank"', panel)


def test_invoice_sent_before_connecting_offers_push_to_admins_only(
        app, admin_client, member_client, org):
    invoice_id, _ = _invoice(app, org)
    _connect(app, org)
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert "Sent before the integration was connected." in panel
    assert 'id="push-sync"' in panel
    member_panel = member_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert "Sent before the integration was connected." in member_panel
    assert 'id="push-sync"' not in member_panel
    denied = member_client.post(f"/invoices/{invoice_id}/sync/push",
                                data={"csrf_token": _token(member_client)})
    assert denied.status_code == 403
    admin_client.post(f"/invoices/{invoice_id}/sync/push",
                      data={"csrf_token": _token(admin_client)})
    drain(app)
    assert [status for _, _, status in _records(app)] == ["synced"]
    assert len(LEDGER.invoices()) == 1


def test_overview_lists_excluded_and_failed_records_and_bulk_retries(app, admin_client, org):
    early_id, early_number = _invoice(app, org)
    connection_id = _connect(app, org)
    late_id, late_number = _invoice(app, org)
    LEDGER.fail_next("conflict")
    drain(app)
    page = admin_client.get(f"/settings/integrations/{connection_id}/sync").get_data(
        as_text=True)
    assert f"Invoice {early_number}" in page and "Sent before the integration" in page
    assert f"Invoice {late_number}" in page and "Stale version" in page
    admin_client.post(f"/settings/integrations/{connection_id}/sync/retry",
                      data={"csrf_token": _token(admin_client)})
    drain(app)
    statuses = {object_id: status for _, object_id, status in _records(app)}
    assert statuses == {early_id: "excluded", late_id: "synced"}


def test_other_organizations_cannot_see_or_retry_records(app, org):
    connection_id = _connect(app, org)
    invoice_id, _ = _invoice(app, org)
    LEDGER.fail_next("validation")
    drain(app)
    ((record_id, _, _),) = _records(app)
    other = create_org(app, name="Initech Corp", admin_email="boss@initech.test",
                       member_email="peon@initech.test")
    outsider = login(app.test_client(), other.admin_email, other.password)
    assert outsider.get(f"/invoices/{invoice_id}/sync").status_code == 404
    resp = outsider.post(f"/sync/records/{record_id}/retry",
                         data={"csrf_token": _token(outsider)})
    assert resp.status_code == 404
    assert outsider.get(f"/settings/integrations/{connection_id}/sync").status_code == 404
    assert [status for _, _, status in _records(app)] == ["failed"]


@pytest.mark.parametrize("path", ["/invoices/{id}/sync"])
def test_panel_needs_login(app, client, org, path):
    invoice_id, _ = _invoice(app, org)
    resp = client.get(path.format(id=invoice_id))
    assert resp.status_code in (302, 401)


def test_what_the_provider_booked_differently_shows_on_the_panel_until_a_push_matches(
        app, admin_client, org):
    """The booked-vs-sent comparison (host.contract.booking): the ledger books a EUR invoice in
    USD; the panel says so as a warning, the JSON API lists it, and the next push that books
    what was sent clears it."""
    _connect(app, org)
    with app.app_context():
        invoice = make_invoice(org)
        invoice.currency = "EUR"
        send_invoice(invoice)
        invoice_id = invoice.id
        db.session.remove()
    LEDGER.books_in = "USD"
    drain(app)
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert 'data-status="synced"' in panel
    assert 'class="sync-differences" role="status"' in panel
    assert "Fake Ledger booked it in USD; the PSA invoice is in EUR." in panel
    with app.app_context():
        (record,) = records("invoice")
        assert record.difference_list == ["Fake Ledger booked it in USD; the PSA invoice is in "
                                          "EUR."]
        assert "booked it in USD" in record.events[-1].message
        db.session.remove()
    LEDGER.books_in = None
    with app.app_context():  # sent again (an edit): the ledger now books what was sent
        send_invoice(db.session.get(Invoice, invoice_id))
        db.session.remove()
    drain(app)
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert "sync-differences" not in panel and 'data-status="synced"' in panel
def test_panel_and_overview_name_the_provider_by_its_label(app, admin_client, org):
    """The provider's own spelling ("QuickBooks", "Fake Ledger"), never its key title-cased."""
    connection_id = _connect(app, org)
    invoice_id, _ = _invoice(app, org)
    drain(app)
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    overview = admin_client.get(
        f"/settings/integrations/{connection_id}/sync?status=all").get_data(as_text=True)
    for page in (panel, overview):
        assert "Fake Ledger" in page and "Fakeprovider" not in page


def test_credit_note_page_has_the_invoice_panel_error_retry_number_link_and_not_emailed(
        app, admin_client, org):
    from host.models import Invoice
    from host.services.credit_notes import issue_credit_note

    make_connection(app, org.business_unit_ids[0], "fakeprovider",
                    settings={"default_item": "1", "auto_send": True},
                    tokens=LEDGER.issue_tokens())
    invoice_id, _ = _invoice(app, org)
    drain(app)
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert 'data-emailed="true">Emailed to the customer by Fake Ledger.</p>' in panel
    with app.app_context():
        note = issue_credit_note(db.session.get(Invoice, invoice_id), amount="40")
        note_id = note.id
        db.session.remove()
    LEDGER.fail_next("validation")
    drain(app)
    page = admin_client.get(f"/credit-notes/{note_id}").get_data(as_text=True)
    assert 'id="sync-panel"' in page and f'data-poll-url="/credit-notes/{note_id}/sync"' in page
    panel = _retry_failed_then_synced(app, admin_client, page, "credit_note",
                                      f"/credit-notes/{note_id}/sync")
    link = re.search(r'<a class="provider-number" href="([^"]+)" target="_blank"[^>]*>([^<]+)</a>',
                     panel)
    assert link and link.group(1).endswith(f"/app/{link.group(2).split('-')[1]}")
    assert link.group(2).startswith("CRE-")
    assert 'data-emailed="false">Not emailed to the customer.</p>' in panel
    other = create_org(app, name="Initech Corp", admin_email="boss@initech.test",
                       member_email="peon@initech.test")
    outsider = login(app.test_client(), other.admin_email, other.password)
    assert outsider.get(f"/credit-notes/{note_id}/sync").status_code == 404


def test_a_fix_naming_the_manage_page_links_to_that_connections_manage_page(
        app, admin_client, member_client, org):
    connection_id = make_connection(app, org.business_unit_ids[0], "fakeprovider",
                                    settings={"default_item": ""}, tokens=LEDGER.issue_tokens())
    invoice_id, _ = _invoice(app, org)
    drain(app)
    link = (f'<a class="fix-link" href="/settings/integrations/connections/{connection_id}">'
            "Manage page</a>")
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert 'data-category="mapping"' in panel and f"product on the {link}, or" in panel
    overview = admin_client.get(f"/settings/integrations/{connection_id}/sync").get_data(
        as_text=True)
    assert link in overview
    member_panel = member_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert "product on the Manage page, or" in member_panel and "fix-link" not in member_panel


def test_an_ended_connection_keeps_a_read_only_page_at_its_old_manage_address(
        app, admin_client, member_client, org):
    from host.contract.types import Tenant
    from host.integrations import connections as lifecycle
    from host.models import Connection

    old_id = _connect(app, org)
    invoice_id, invoice_number = _invoice(app, org)
    drain(app)
    with app.app_context():
        new = db.session.get(Connection, make_connection(
            app, org.business_unit_ids[0], "fakeprovider", status="pending",
            tokens=LEDGER.issue_tokens()))
        lifecycle.activate(new, Tenant("t-2", "Other Books"), None)  # the switch
        new_id = new.id
        (record,) = [r for r in records("invoice") if r.connection_id == old_id]
        number, link = record.number, record.deep_link
        db.session.remove()

    url = f"/settings/integrations/connections/{old_id}"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'id="previous-connection" data-status="replaced"' in page and "Fake Ledger" in page
    assert f'<a href="/invoices/{invoice_id}">Invoice {invoice_number}</a>' in page
    assert f'<a class="provider-number" href="{link}" target="_blank" rel="noopener">{number}</a>' \
        in page
    assert "Synced as" in page  # the record's history
    for control in ('id="run-test"', 'id="settings-form"', 'id="disconnect"', "save-mapping",
                    'id="reconcile-now"'):
        assert control not in page, control
    assert admin_client.post(url, data={"csrf_token": _token(admin_client),
                                        "action": "test"}).status_code == 404
    index = f"/settings/integrations?business_unit={org.business_unit_ids[0]}"
    assert f'href="{url}">Fake Ledger · Fake Books Inc</a>' in admin_client.get(index).get_data(
        as_text=True)

    with app.app_context():
        lifecycle.disconnect(db.session.get(Connection, new_id))
        db.session.remove()
    tiles = admin_client.get(index).get_data(as_text=True)
    assert "Was connected to Other Books until" in tiles
    assert (f'<a href="/settings/integrations/connections/{new_id}" class="previous-history">'
            "records and history</a>") in tiles

    assert member_client.get(url).status_code == 403
    other = create_org(app, name="Initech Corp", admin_email="boss@initech.test",
                       member_email="peon@initech.test")
    outsider = login(app.test_client(), other.admin_email, other.password)
    assert outsider.get(url).status_code == 404


def test_a_payment_whose_push_failed_shows_on_the_invoice_panel_and_the_overview_with_retry(
        app, admin_client, org):
    """A payment typed on the invoice page goes out with ``on_payment``; when the provider
    refuses it, the invoice's panel and the sync overview say so with the fix, and Retry sends
    it again until the panel shows it synced, with its history."""
    connection_id = _connect(app, org)
    invoice_id, number = _invoice(app, org)
    drain(app)
    resp = admin_client.post(f"/invoices/{invoice_id}/payments", data={
        "csrf_token": _token(admin_client), "amount": "40.00", "date": "2026-12-01",
        "reference": "CHK-17"})
    assert resp.status_code == 302
    LEDGER.fail_next("validation")
    drain(app)
    ((record_id, _, status),) = _records(app, "payment")
    assert status == "failed"

    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    payment = re.search(r'<div class="sync-record" data-record-id="%d" data-object-type="payment">'
                        r'(.*?)</details>' % record_id, page, re.S)
    assert payment, "the invoice's panel has no payment record"
    payment = payment.group(1)
    assert f"Payment of 40.00 on {number}:" in payment
    assert 'data-status="failed"' in payment
    assert 'class="sync-error" data-category="validation"' in payment
    assert "Customer email is invalid" in payment and "Fix:" in payment
    assert f'action="/sync/records/{record_id}/retry"' in payment
    assert "Payment recorded: queued for the provider." in payment  # its history
    assert page.count('data-object-type="invoice"') == 1  # the invoice itself is synced

    overview = admin_client.get(f"/settings/integrations/{connection_id}/sync").get_data(
        as_text=True)
    row = re.search(r'<tr data-record-id="%d">(.*?)</tr>' % record_id, overview, re.S).group(1)
    assert (f'<a href="/invoices/{invoice_id}">Payment of 40.00 on '
            f'{number}</a>') in row
    assert 'data-status="failed"' in row and "Customer email is invalid" in row
    assert f'name="record_id" value="{record_id}"' in row  # selectable for Retry selected

    resp = admin_client.post(f"/sync/records/{record_id}/retry",
                             data={"csrf_token": _token(admin_client)},
                             headers={"Referer": f"http://localhost/invoices/{invoice_id}"})
    assert resp.status_code == 302
    drain(app)
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    payment = re.search(r'data-object-type="payment">(.*?)</details>', panel, re.S).group(1)
    (pushed,) = [d for d in LEDGER.documents.values() if d["type"] == "payment"]
    assert 'data-status="synced"' in payment and "sync-error" not in payment
    assert f"/app/{pushed['id']}\" target=\"_blank\"" in payment
    assert "Retry requested by" in payment
