"""The invoice page's two-way parts: "Push to <provider> now" with or without emailing it
(admin, CSRF, open invoices of a connected business unit only; queued, never a provider call in
the request) and the "Created in <provider>" badge of an imported invoice."""

from __future__ import annotations

from synchelpers import fresh_invoice, make_invoice, queued_record_ids, records

from host.extensions import db
from host.integrations.testing import csrf_token


def _push(client, invoice_id: int, email: str | None, token: str | None = None):
    token = token or csrf_token(client, f"/invoices/{invoice_id}")
    data = {"csrf_token": token} | ({"email": email} if email is not None else {})
    return client.post(f"/invoices/{invoice_id}/push-now", data=data)


def test_push_now_without_emailing_is_queued_and_says_so(app, org, admin_client, connection,
                                                         fake_ledger):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Push to Fake Ledger now" in page and 'id="push-now-no-email"' in page
    before = len(queued_record_ids(app))
    resp = _push(admin_client, invoice.id, "no")
    assert resp.status_code == 302
    assert len(queued_record_ids(app)) > before  # queued for the worker
    record = [r for r in records("invoice") if r.object_id == invoice.id][-1]
    assert any("without emailing it" in (e.message or "") for e in record.events)
    follow = admin_client.get(resp.location).get_data(as_text=True)
    assert "without emailing it" in follow


def test_push_now_with_email(app, org, admin_client, connection):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    assert _push(admin_client, invoice.id, "yes").status_code == 302
    record = [r for r in records("invoice") if r.object_id == invoice.id][-1]
    assert any("and email it" in (e.message or "") for e in record.events)


def test_members_get_no_push_now(org, member_client, connection):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    token = csrf_token(member_client, f"/invoices/{invoice.id}")
    assert _push(member_client, invoice.id, "no", token).status_code == 403
    assert "push-now" not in member_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert not any("Push now" in (e.message or "") for r in records("invoice") for e in r.events)


def test_push_now_refuses_bad_input(app, org, admin_client, connection):
    invoice = make_invoice(org, send=True)
    draft = make_invoice(org)
    db.session.commit()
    assert _push(admin_client, invoice.id, "maybe").status_code == 400
    assert _push(admin_client, invoice.id, None).status_code == 400
    assert admin_client.post(f"/invoices/{invoice.id}/push-now",
                             data={"email": "no"}).status_code == 400  # no CSRF token
    # a draft has no buttons, and a forged POST is refused with the reason
    assert 'id="push-now-form"' not in admin_client.get(
        f"/invoices/{draft.id}").get_data(as_text=True)
    resp = _push(admin_client, draft.id, "no")
    assert resp.status_code == 302
    assert "Only an open invoice" in admin_client.get(resp.location).get_data(as_text=True)
    assert _push(admin_client, 999999, "no").status_code == 404


def test_no_buttons_without_a_connection(org, admin_client, db):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="push-now-form"' not in page


def test_an_imported_invoice_shows_where_it_was_created(org, admin_client, connection):
    invoice = make_invoice(org, send=True)
    invoice.source, invoice.source_connection_id = "fakeprovider", connection.id
    db.session.commit()
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="invoice-source"' in page and "Created in Fake Ledger" in page
    other = make_invoice(org, send=True)
    db.session.commit()
    assert 'id="invoice-source"' not in admin_client.get(
        f"/invoices/{other.id}").get_data(as_text=True)
    assert fresh_invoice(invoice.id).source == "fakeprovider"
