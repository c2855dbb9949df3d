"""Bad input through the pages' forms: the field's error on the page, what was typed kept, never
a 500, nothing saved; and the services refuse the same values when called directly."""

from datetime import date
from decimal import Decimal

import pytest
from factories import post_form

from host.extensions import db
from host.models import ContractLine, CreditNote, Invoice, Payment, Project

UNSTORABLE = ["NaN", "Infinity", "-Infinity", "1e400", "1e30"]


def _sent_invoice(app, catalog) -> tuple[int, int]:
    from host.services import invoicing

    with app.app_context():
        invoice = invoicing.create_invoice_from_project(
            db.session.get(Project, catalog.project_id), {catalog.cl_support: "2"})
        invoicing.send_invoice(invoice)
        return invoice.id, invoice.lines[0].id


def _count(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


@pytest.mark.parametrize("amount", UNSTORABLE + ["0.001"])
def test_payment_form_refuses_unstorable_amounts_and_keeps_them(app, catalog, admin_client,
                                                                amount):
    invoice_id, _ = _sent_invoice(app, catalog)
    resp = post_form(admin_client, f"/invoices/{invoice_id}/payments",
                     {"amount": amount, "date": "2026-06-01"}, page=f"/invoices/{invoice_id}")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert f'value="{amount}"' in page and '<p class="error">Amount ' in page
    assert _count(app, Payment) == 0
    assert admin_client.get("/invoices/").status_code == 200


@pytest.mark.parametrize("amount", UNSTORABLE)
def test_credit_note_form_refuses_unstorable_amounts(app, catalog, admin_client, amount):
    invoice_id, line_id = _sent_invoice(app, catalog)
    url = f"/invoices/{invoice_id}/credit-notes/new"
    resp = post_form(admin_client, url, {"mode": "amount", "amount": amount, "reason": "x"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert f'value="{amount}"' in page and '<p class="error">Amount ' in page
    resp = post_form(admin_client, url, {"mode": "lines", f"credit-{line_id}": amount})
    assert resp.status_code == 422 and f'value="{amount}"' in resp.get_data(as_text=True)
    assert _count(app, CreditNote) == 0


def test_credit_over_what_is_left_is_an_amount_error_on_the_page(app, catalog, admin_client):
    invoice_id, _ = _sent_invoice(app, catalog)  # 160.00
    resp = post_form(admin_client, f"/invoices/{invoice_id}/credit-notes/new",
                     {"mode": "amount", "amount": "999.00", "reason": "x"})
    assert resp.status_code == 422
    assert '<p class="error">The credit (999.00) is more than' in resp.get_data(as_text=True)
    assert _count(app, CreditNote) == 0


@pytest.mark.parametrize("qty", UNSTORABLE + ["abc"])
def test_new_invoice_form_refuses_unstorable_quantities_and_keeps_them(app, catalog,
                                                                      admin_client, qty):
    resp = post_form(admin_client, "/invoices/new",
                     {"project_id": str(catalog.project_id), "issue_date": "2026-05-01",
                      f"qty-{catalog.cl_support}": qty},
                     page=f"/invoices/new?project_id={catalog.project_id}")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert f'value="{qty}"' in page and "quantit" in page.lower()
    assert _count(app, Invoice) == 0


def test_new_invoice_form_refuses_a_date_off_the_calendar(app, catalog, admin_client):
    resp = post_form(admin_client, "/invoices/new",
                     {"project_id": str(catalog.project_id), "issue_date": "9999-12-31",
                      f"qty-{catalog.cl_support}": "1"},
                     page=f"/invoices/new?project_id={catalog.project_id}")
    assert resp.status_code == 200 and "Issue date" in resp.get_data(as_text=True)
    assert _count(app, Invoice) == 0


@pytest.mark.parametrize("price", UNSTORABLE)
def test_edit_invoice_form_refuses_unstorable_prices_and_keeps_them(app, catalog, admin_client,
                                                                   price):
    invoice_id, line_id = _sent_invoice(app, catalog)
    resp = post_form(admin_client, f"/invoices/{invoice_id}/edit",
                     {"issue_date": "2026-05-01", f"quantity-{line_id}": "2",
                      f"unit_price-{line_id}": price, f"description-{line_id}": "Support",
                      f"discount-{line_id}": "0", f"tax_rate-{line_id}": ""})
    assert resp.status_code == 200
    assert f'value="{price}"' in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).lines[0].unit_price == Decimal("80.00")
    assert admin_client.get(f"/invoices/{invoice_id}").status_code == 200


@pytest.mark.parametrize("rate", UNSTORABLE + ["12.345"])
def test_contract_line_form_refuses_unstorable_rates(app, catalog, admin_client, rate):
    url = f"/projects/{catalog.project_id}/contract-lines/{catalog.cl_support}"
    resp = post_form(admin_client, url, {
        "service_type_id": str(catalog.st_support), "rate": rate, "description": "x",
        "gl_account_id": "0", "tax_rate_id": "0", "class_label": ""})
    assert resp.status_code == 200 and "Rate" in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ContractLine, catalog.cl_support).rate == Decimal("80.00")


# -- the services refuse the same values when called directly ----------------------------------

def test_services_refuse_unstorable_values_called_directly(app, catalog):
    from host.services import credit_notes, invoicing, payments
    from host.services.errors import InvalidField

    invoice_id, line_id = _sent_invoice(app, catalog)
    with app.app_context():
        project = db.session.get(Project, catalog.project_id)
        invoice = db.session.get(Invoice, invoice_id)
        cases = [
            (lambda: invoicing.create_invoice(project, [{"quantity": "1", "unit_price": "NaN"}]),
             "lines[0].unit_price"),
            (lambda: invoicing.create_invoice(project, [{"quantity": Decimal("1e400"),
                                                         "unit_price": "1"}]),
             "lines[0].quantity"),
            (lambda: invoicing.create_invoice(project, [{"contract_line_id": "abc"}]),
             "lines[0].contract_line_id"),
            (lambda: invoicing.create_invoice_from_project(project, issue_date=date(9999, 12, 31)),
             "issue_date"),
            (lambda: invoicing.create_invoice_from_project(project, memo={"a": 1}), "memo"),
            (lambda: invoicing.update_invoice(invoice, memo=["x"]), "memo"),
            (lambda: payments.record_payment(invoice, Decimal("Infinity")), "amount"),
            (lambda: payments.record_payment(invoice, float("nan")), "amount"),
            (lambda: credit_notes.issue_credit_note(invoice, amount="1e400"), "amount"),
            (lambda: credit_notes.issue_credit_note(
                invoice, [{"invoice_line_id": line_id, "quantity": "NaN"}]), "lines[0].quantity"),
        ]
        for call, field in cases:
            with pytest.raises(InvalidField) as caught:
                call()
            assert caught.value.field == field
            db.session.rollback()
    assert _count(app, Invoice) == 1 and _count(app, Payment) == _count(app, CreditNote) == 0


def test_provider_payment_is_rounded_not_refused(app, catalog):
    from host.integrations.testing import make_connection
    from host.services import payments

    invoice_id, _ = _sent_invoice(app, catalog)
    connection_id = make_connection(app, catalog.business_unit_id, "fakeprovider")
    with app.app_context():
        invoice = db.session.get(Invoice, invoice_id)
        payment = payments.record_payment(invoice, Decimal("10.005"), source="provider",
                                          connection_id=connection_id, external_id="p-1")
        assert payment.amount == Decimal("10.01")


@pytest.mark.parametrize("page", [str(2**63), "-1", "abc", str(2**31)])
def test_invoice_list_page_beyond_range_is_400(admin_client, page):
    assert admin_client.get(f"/invoices/?page={page}").status_code == 400


def test_record_ids_beyond_64_bits_are_404_on_pages(admin_client):
    assert admin_client.get(f"/invoices/{2**63}").status_code == 404
    assert admin_client.get(f"/credit-notes/{2**64}").status_code == 404
    assert admin_client.get(f"/invoices/new?project_id={2**63}").status_code == 200  # none chosen


@pytest.mark.parametrize("rate", UNSTORABLE + ["101", "-1", "8.12345"])
def test_tax_rate_form_refuses_unstorable_rates(app, org, admin_client, rate):
    from host.models import TaxRate

    resp = post_form(admin_client, "/settings/tax-rates/new", {"name": "Odd tax", "rate": rate})
    assert resp.status_code == 200 and "Rate (%)" in resp.get_data(as_text=True)
    assert _count(app, TaxRate) == 0


def test_payment_over_the_balance_is_a_field_error_on_the_page(app, catalog, admin_client):
    invoice_id, _ = _sent_invoice(app, catalog)  # 160.00
    resp = post_form(admin_client, f"/invoices/{invoice_id}/payments",
                     {"amount": "500.00", "date": "2026-06-01"}, page=f"/invoices/{invoice_id}")
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'value="500.00"' in page and "more than the balance" in page
    assert _count(app, Payment) == 0
