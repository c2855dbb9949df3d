"""Xero's official SDK (xero-python) pointed at the sandbox: contacts, invoices, credit notes,
email, connections, token refresh. Every exchange is OpenAPI-checked by the conftest."""

from __future__ import annotations

from datetime import date

import pytest
from xero_python.accounting import (AccountingApi, Allocation, Allocations, Contact, Contacts,
                                    CreditNote, CreditNotes, Invoice, Invoices, LineItem,
                                    LineAmountTypes, Payment, Payments, Account)
from xero_python.api_client import ApiClient, Configuration
from xero_python.api_client.oauth2 import OAuth2Token, TokenApi
from xero_python.identity import IdentityApi

from psa_xero.sandbox import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, UK_TENANT_ID


@pytest.fixture()
def sdk(server, mint, monkeypatch):
    # The SDK keeps identity URLs as TokenApi class attributes; API hosts are base_url args.
    monkeypatch.setattr(TokenApi, "refresh_token_url", f"{server.url}/connect/token")
    monkeypatch.setattr(TokenApi, "revoke_token_url", f"{server.url}/connect/revocation")
    minted = mint()
    token = {k: minted[k] for k in ("access_token", "refresh_token", "id_token", "expires_in",
                                    "token_type")}
    token["scope"] = minted["scope"].split()  # the SDK joins a list when refreshing
    store = {"token": token}
    client = ApiClient(
        Configuration(oauth2_token=OAuth2Token(client_id=DEMO_CLIENT_ID,
                                               client_secret=DEMO_CLIENT_SECRET)),
        pool_threads=1,
        oauth2_token_getter=lambda: store["token"],
        oauth2_token_saver=lambda token: store.update(token=token))
    accounting = AccountingApi(client, base_url=f"{server.url}/api.xro/2.0")
    identity = IdentityApi(client, base_url=server.url)
    yield accounting, identity, client, store
    client.rest_client.pool_manager.clear()


def test_sdk_contacts_invoices_credit_notes_email_connections(sdk):
    accounting, identity, _, _ = sdk
    connections = identity.get_connections()
    assert UK_TENANT_ID in [str(c.tenant_id) for c in connections]

    created = accounting.create_contacts(UK_TENANT_ID, Contacts(contacts=[
        Contact(name="SDK Customer Ltd", email_address="billing@sdk.example",
                contact_number="PSA-C-55")]))
    contact = created.contacts[0]
    assert contact.contact_id and contact.name == "SDK Customer Ltd"

    invoice = Invoice(type="ACCREC", contact=Contact(contact_id=contact.contact_id),
                      date=date(2026, 3, 10), due_date=date(2026, 4, 9),
                      line_amount_types=LineAmountTypes.EXCLUSIVE, status="AUTHORISED",
                      reference="SDK test", line_items=[
                          LineItem(description="Consulting", quantity=10.0,
                                   unit_amount=150.0, account_code="210",
                                   tax_type="OUTPUT2")])
    made = accounting.create_invoices(UK_TENANT_ID, Invoices(invoices=[invoice]),
                                      idempotency_key="sdk-invoice-1").invoices[0]
    assert made.total == 1800.0 and made.status == "AUTHORISED"
    assert made.date == date(2026, 3, 10)

    again = accounting.get_invoice(UK_TENANT_ID, made.invoice_id).invoices[0]
    assert again.invoice_number == made.invoice_number and again.amount_due == 1800.0
    listed = accounting.get_invoices(UK_TENANT_ID, where='Status=="AUTHORISED"', page=1)
    assert [i.invoice_id for i in listed.invoices] == [made.invoice_id]

    accounting.email_invoice(UK_TENANT_ID, made.invoice_id, {})
    assert accounting.get_invoice(UK_TENANT_ID, made.invoice_id).invoices[0].sent_to_contact

    online = accounting.get_online_invoice(UK_TENANT_ID, made.invoice_id)
    assert online.online_invoices[0].online_invoice_url.startswith("http://127.0.0.1")

    note = accounting.create_credit_notes(UK_TENANT_ID, CreditNotes(credit_notes=[
        CreditNote(type="ACCRECCREDIT", contact=Contact(contact_id=contact.contact_id),
                   date=date(2026, 3, 20), status="AUTHORISED", line_amount_types=LineAmountTypes.EXCLUSIVE,
                   line_items=[LineItem(description="Goodwill", quantity=1.0,
                                        unit_amount=100.0, account_code="210",
                                        tax_type="OUTPUT2")])])).credit_notes[0]
    assert note.total == 120.0 and note.remaining_credit == 120.0
    accounting.create_credit_note_allocation(UK_TENANT_ID, note.credit_note_id, Allocations(
        allocations=[Allocation(invoice=Invoice(invoice_id=made.invoice_id), amount=120.0,
                                date=date(2026, 3, 20))]))
    fetched = accounting.get_credit_note(UK_TENANT_ID, note.credit_note_id).credit_notes[0]
    assert fetched.status == "PAID"

    accounting.create_payments(UK_TENANT_ID, Payments(payments=[
        Payment(invoice=Invoice(invoice_id=made.invoice_id), account=Account(code="090"),
                amount=680.0, date=date(2026, 3, 25), reference="Part")]))
    after = accounting.get_invoice(UK_TENANT_ID, made.invoice_id).invoices[0]
    assert (after.amount_paid, after.amount_credited, after.amount_due) == (680.0, 120.0, 1000.0)


def test_sdk_refreshes_tokens_against_the_sandbox(sdk):
    _, identity, client, store = sdk
    old_refresh = store["token"]["refresh_token"]
    new = client.refresh_oauth2_token()
    assert new["refresh_token"] != old_refresh
    assert identity.get_connections()


def test_sdk_adds_a_currency_and_books_an_invoice_in_it(sdk):
    from xero_python.accounting import Currency, CurrencyCode

    accounting, _, _, _ = sdk
    assert [str(c.code.value) for c in accounting.get_currencies(UK_TENANT_ID).currencies] == \
        ["GBP"]
    added = accounting.create_currency(UK_TENANT_ID, Currency(code=CurrencyCode.EUR,
                                                              description="Euro"))
    assert [str(c.code.value) for c in added.currencies] == ["EUR"]
    invoice = Invoice(type="ACCREC", contact=Contact(name="Euro Customer SA"),
                      date=date(2026, 3, 10), due_date=date(2026, 4, 9),
                      currency_code=CurrencyCode.EUR,
                      line_amount_types=LineAmountTypes.EXCLUSIVE, status="AUTHORISED",
                      line_items=[LineItem(description="Workshop", quantity=1.0,
                                           unit_amount=1580.0, account_code="210",
                                           tax_type="OUTPUT2")])
    made = accounting.create_invoices(UK_TENANT_ID, Invoices(invoices=[invoice])).invoices[0]
    assert str(made.currency_code.value) == "EUR" and str(made.currency_rate) == "1.164557"
