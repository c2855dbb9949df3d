"""Clients' tax number and service types' unit price and description: edited on their pages,
validated by the same rules as the API (``host.services.validation``), bad input refused with a
422 that keeps what was typed."""

from decimal import Decimal

import pytest
from factories import post_form

from host.extensions import db
from host.models import Client, ServiceType


def test_client_tax_number_is_saved_and_listed_escaped(app, org, admin_client):
    resp = post_form(admin_client, "/clients/new",
                     {"name": "Acme", "tax_number": "GB<b>123</b>", "active": "y"})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.query(Client).one().tax_number == "GB<b>123</b>"
    page = admin_client.get("/clients/").get_data(as_text=True)
    assert "GB&lt;b&gt;123&lt;/b&gt;" in page and "<b>123" not in page


def test_client_tax_number_too_long_is_refused_and_kept(app, org, admin_client):
    resp = post_form(admin_client, "/clients/new", {"name": "Acme", "tax_number": "9" * 51})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert "9" * 51 in page and "longer than 50 characters" in page
    with app.app_context():
        assert db.session.query(Client).count() == 0


def test_service_type_unit_price_and_description(app, org, admin_client):
    resp = post_form(admin_client, "/settings/service-types/new",
                     {"name": "Audit", "default_gl_account_id": "0", "unit_price": "120.50",
                      "description": "Yearly audit", "active": "y"})
    assert resp.status_code == 302
    with app.app_context():
        row = db.session.query(ServiceType).one()
        assert (row.unit_price, row.description) == (Decimal("120.50"), "Yearly audit")
    assert "120.50" in admin_client.get("/settings/service-types").get_data(as_text=True)


@pytest.mark.parametrize("price", ["-1", "1.001", "1e30", "abc"])
def test_service_type_bad_unit_price_is_refused_and_kept(app, org, admin_client, price):
    resp = post_form(admin_client, "/settings/service-types/new",
                     {"name": "Audit", "default_gl_account_id": "0", "unit_price": price})
    assert resp.status_code == 422
    assert f'value="{price}"' in resp.get_data(as_text=True)
    with app.app_context():
        assert db.session.query(ServiceType).count() == 0


def test_service_type_without_price_keeps_none(app, org, admin_client):
    post_form(admin_client, "/settings/service-types/new",
              {"name": "Audit", "default_gl_account_id": "0", "unit_price": ""})
    with app.app_context():
        assert db.session.query(ServiceType).one().unit_price is None
