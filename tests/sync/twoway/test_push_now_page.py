"""The invoice page's two-way parts: the "Push to <provider> now" buttons (admins, open
invoices of a connected business unit; the route is ``sync_controls.push_invoice_now``, tested
in ``test_push_now.py``) and the "Created in <provider>" badge of an imported invoice."""

from __future__ import annotations

import html
import re

from synchelpers import make_invoice, records

from host.extensions import db


def _push_form(page: str) -> tuple[str, str]:
    """The Push now form's action and CSRF token, as the page renders them."""
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="push-now-form">(.*?)</form>',
                     page, re.S)
    assert form, "no Push now form"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form.group(2))
    return html.unescape(form.group(1)), token.group(1)


def test_the_buttons_push_without_or_with_email(org, admin_client, connection):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "Push to Fake Ledger now" in page
    assert 'name="email" value="0" id="push-now-no-email"' in page
    assert 'name="email" value="1" id="push-now-email"' in page
    action, token = _push_form(page)
    resp = admin_client.post(action, data={"csrf_token": token, "email": "0"})
    assert resp.status_code == 302
    assert "without emailing it" in admin_client.get(resp.location).get_data(as_text=True)
    record = [r for r in records("invoice") if r.object_id == invoice.id][-1]
    assert any("without emailing it" in (e.message or "") for e in record.events)


def test_members_get_no_buttons(org, member_client, connection):
    invoice = make_invoice(org, send=True)
    db.session.commit()
    assert 'id="push-now-form"' not in member_client.get(
        f"/invoices/{invoice.id}").get_data(as_text=True)


def test_no_buttons_on_drafts_or_without_a_connection(org, admin_client, db):
    draft, sent = make_invoice(org), make_invoice(org, send=True)
    db.session.commit()
    for invoice in (draft, sent):  # no connection yet
        assert 'id="push-now-form"' not in admin_client.get(
            f"/invoices/{invoice.id}").get_data(as_text=True)


def test_an_imported_invoice_shows_where_it_was_created(org, admin_client, connection):
    invoice = make_invoice(org, send=True)
    invoice.source, invoice.source_connection_id = "fakeprovider", connection.id
    other = make_invoice(org, send=True)
    db.session.commit()
    page = admin_client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert 'id="invoice-source"' in page and "Created in Fake Ledger" in page
    assert 'id="invoice-source"' not in admin_client.get(
        f"/invoices/{other.id}").get_data(as_text=True)
