from decimal import Decimal

from host.integrations.testing import login
from host.seed import seed_demo


def test_seed_demo_is_idempotent_and_logs_in(app):
    first = seed_demo(app, password="demo-pass")
    second = seed_demo(app, password="other")
    assert first["organization"] == "Northwind Consulting"
    assert set(first["business_units"]) == {"Northwind US", "Northwind UK"}
    assert first["invoices"] == second["invoices"]
    assert sorted(set(first["invoices"].values())) == ["approved", "draft"]
    assert second["created_invoices"] is False
    client = login(app.test_client(), first["admin_email"], "demo-pass")
    page = client.get("/invoices/").get_data(as_text=True)
    assert "INV-0001" in page and "Contoso Ltd" in page
    assert "Woodgrove Bank" in client.get("/clients/").get_data(as_text=True)
    settings = client.get("/settings/financials/gl-accounts/").get_data(as_text=True)
    assert "Consulting Revenue" in settings


def test_seed_invoices_carry_tax_and_due_days(app):
    from host.extensions import db
    from host.models import Invoice

    seed_demo(app)
    with app.app_context():
        contoso = db.session.query(Invoice).filter_by(number="INV-0001").one()
        assert (contoso.due_date - contoso.issue_date).days == 15
        # 12 x 175 + 1 x 1200 = 3300; tax 8.875 % per line: 186.38 + 106.50
        assert contoso.subtotal == Decimal("3300.00") and contoso.tax_total == Decimal("292.88")
        uk = db.session.query(Invoice).filter_by(number="INV-0003").one()
        assert uk.currency == "GBP" and uk.business_unit.name == "Northwind UK"
