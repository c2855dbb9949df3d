"""The domain pages through the test client, with CSRF on (tokens read from the pages)."""

import re
from decimal import Decimal

from factories import csrf_from, post_form

from host.extensions import db
from host.integrations.testing import create_org, login
from host.models import Client, Invoice, Project


def _invoice_id(resp) -> int:
    match = re.search(r"/invoices/(\d+)$", resp.headers["Location"])
    assert match, resp.headers.get("Location")
    return int(match.group(1))


def test_full_flow_client_project_invoice_send_and_pay(app, org, admin_client):
    c = admin_client
    # GL account, service type, tax rate through the settings pages
    assert post_form(c, "/settings/financials/gl-accounts/new",
                     {"code": "4000", "name": "Consulting revenue", "active": "y"}).status_code == 302
    assert post_form(c, "/settings/service-types/new",
                     {"name": "Consulting", "sku": "CONS", "default_gl_account_id": "1",
                      "active": "y"}).status_code == 302
    assert post_form(c, "/settings/tax-rates/new",
                     {"name": "VAT", "rate": "20", "active": "y"}).status_code == 302
    # client and project
    resp = post_form(c, "/clients/new", {"name": "Initech", "billing_contact_name": "Bill Lumbergh",
                                         "billing_email": "ap@initech.test", "active": "y"})
    assert resp.status_code == 302
    assert "ap@initech.test" in c.get("/clients/").get_data(as_text=True)
    with app.app_context():
        client_id = db.session.query(Client).filter_by(name="Initech").one().id
    resp = post_form(c, "/projects/new", {"name": "TPS reports", "client_id": str(client_id),
                                          "business_unit_id": str(org.business_unit_ids[1]),
                                          "due_days": "10", "active": "y"})
    assert resp.status_code == 302
    with app.app_context():
        project_id = db.session.query(Project).filter_by(name="TPS reports").one().id
    resp = post_form(c, f"/projects/{project_id}/contract-lines",
                     {"service_type_id": "1", "rate": "125.00", "gl_account_id": "0",
                      "tax_rate_id": "1", "class_label": "Delivery"},
                     page=f"/projects/{project_id}")
    assert resp.status_code == 302
    page = c.get(f"/projects/{project_id}").get_data(as_text=True)
    assert "125.00" in page and "Delivery" in page and "4000" in page
    # invoice from the contract lines
    with app.app_context():
        cl_id = db.session.get(Project, project_id).contract_lines[0].id
    resp = post_form(c, "/invoices/new", {"project_id": str(project_id), "issue_date": "2026-05-01",
                                          f"qty-{cl_id}": "8"},
                     page=f"/invoices/new?project_id={project_id}")
    invoice_id = _invoice_id(resp)
    page = c.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'id="invoice-number">INV-0001<' in page
    assert 'id="approve-invoice"' in page and 'data-status="draft"' in page
    assert "1,200.00 USD" in page  # 8 x 125 = 1000 + 20 % VAT
    assert 'id="due-date">2026-05-11<' in page
    for action in ("approve", "send"):
        resp = post_form(c, f"/invoices/{invoice_id}/{action}", {}, page=f"/invoices/{invoice_id}")
        assert resp.status_code == 302
    page = c.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'data-status="sent"' in page and 'id="record-payment"' in page
    # partial, then full payment
    post_form(c, f"/invoices/{invoice_id}/payments",
              {"amount": "200.00", "date": "2026-05-03"}, page=f"/invoices/{invoice_id}")
    assert 'data-status="partially_paid"' in c.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    post_form(c, f"/invoices/{invoice_id}/payments",
              {"amount": "1000.00", "date": "2026-05-04"}, page=f"/invoices/{invoice_id}")
    page = c.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'data-status="paid"' in page and 'id="record-payment"' not in page
    assert 'id="void-invoice"' not in page
    listing = c.get("/invoices/").get_data(as_text=True)
    assert "INV-0001" in listing and 'data-status="paid"' in listing


def test_edit_sent_invoice_and_send_again(app, catalog, admin_client):
    c = admin_client
    resp = post_form(c, "/invoices/new", {"project_id": str(catalog.project_id),
                                          "issue_date": "2026-05-01", f"qty-{catalog.cl_support}": "1"},
                     page=f"/invoices/new?project_id={catalog.project_id}")
    invoice_id = _invoice_id(resp)
    post_form(c, f"/invoices/{invoice_id}/send", {}, page=f"/invoices/{invoice_id}")
    with app.app_context():
        line_id = db.session.get(Invoice, invoice_id).lines[0].id
    resp = post_form(c, f"/invoices/{invoice_id}/edit",
                     {"issue_date": "2026-05-01", f"quantity-{line_id}": "2",
                      f"unit_price-{line_id}": "80.00", f"description-{line_id}": "Support",
                      f"discount-{line_id}": "0", f"tax_rate-{line_id}": ""})
    assert resp.status_code == 302
    page = c.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'id="changed-since-sent"' in page and "Send again" in page
    assert 'id="invoice-total"><strong>160.00 USD' in page
    # add a consulting line (contract rate 150.00 + 8.875 % tax) and remove the support line
    resp = post_form(c, f"/invoices/{invoice_id}/edit",
                     {"issue_date": "2026-05-01", f"remove-{line_id}": "1",
                      "new-contract_line": str(catalog.cl_consulting), "new-quantity": "2"})
    assert resp.status_code == 302
    page = c.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'id="invoice-total"><strong>326.63 USD' in page  # 300.00 + 26.63 (26.625)
    assert "Senior consulting" in page
    resp = post_form(c, f"/invoices/{invoice_id}/send", {}, page=f"/invoices/{invoice_id}")
    assert 'id="changed-since-sent"' not in c.get(f"/invoices/{invoice_id}").get_data(as_text=True)


def test_credit_note_page(app, catalog, admin_client):
    from host.services import invoicing

    with app.app_context():
        project = db.session.get(Project, catalog.project_id)
        invoice = invoicing.create_invoice_from_project(project, {catalog.cl_support: "2"})
        invoicing.send_invoice(invoice)
        invoice_id, line_id = invoice.id, invoice.lines[0].id
    url = f"/invoices/{invoice_id}/credit-notes/new"
    resp = post_form(admin_client, url, {"mode": "lines", f"credit-{line_id}": "1", "reason": "Outage"})
    assert resp.status_code == 302
    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert "CN-0001" in page and 'data-status="partially_credited"' in page
    assert ">partially credited</span>" in page
    with app.app_context():
        assert db.session.get(Invoice, invoice_id).balance == Decimal("80.00")


def test_post_without_csrf_token_is_refused(app, org, admin_client):
    resp = admin_client.post("/clients/new", data={"name": "No Token Inc"})
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.query(Client).filter_by(name="No Token Inc").count() == 0


def test_member_uses_invoices_but_gets_403_on_settings(app, org, member_client):
    assert member_client.get("/invoices/").status_code == 200
    assert member_client.get("/clients/").status_code == 200
    for url in ("/settings/", "/settings/financials/gl-accounts/", "/settings/invoices",
                "/settings/service-types", "/settings/tax-rates",
                "/settings/financials/gl-accounts/new"):
        assert member_client.get(url).status_code == 403, url
    resp = member_client.post("/settings/invoices", data={
        "default_due_days": "5", "csrf_token": csrf_from(member_client, "/invoices/")})
    assert resp.status_code == 403


def test_admin_changes_default_due_days(app, org, admin_client):
    resp = post_form(admin_client, "/settings/invoices", {"default_due_days": "21"})
    assert resp.status_code == 302
    assert 'value="21"' in admin_client.get("/settings/invoices").get_data(as_text=True)


def test_gl_accounts_page_lists_and_deactivates(app, org, admin_client):
    post_form(admin_client, "/settings/financials/gl-accounts/new",
              {"code": "4900", "name": "Other income", "active": "y"})
    page = admin_client.get("/settings/financials/gl-accounts/").get_data(as_text=True)
    assert 'data-code="4900"' in page and "Other income" in page
    resp = post_form(admin_client, "/settings/financials/gl-accounts/1/deactivate", {},
                     page="/settings/financials/gl-accounts/")
    assert resp.status_code == 302
    page = admin_client.get("/settings/financials/gl-accounts/").get_data(as_text=True)
    assert "Activate" in page and "inactive" in page
    dup = post_form(admin_client, "/settings/financials/gl-accounts/new",
                    {"code": "4900", "name": "Again", "active": "y"})
    assert dup.status_code == 200 and "Another account has this code" in dup.get_data(as_text=True)


def test_other_organization_records_are_404(app, catalog, admin_client):
    from host.services import invoicing

    with app.app_context():
        invoice = invoicing.create_invoice_from_project(db.session.get(Project, catalog.project_id))
        invoice_id = invoice.id
    other = create_org(app, name="Other Co", admin_email="admin@other.test",
                       member_email="member@other.test")
    intruder = login(app.test_client(), other.admin_email, other.password)
    for url in (f"/invoices/{invoice_id}", f"/invoices/{invoice_id}/edit",
                f"/clients/{catalog.client_id}/edit", f"/projects/{catalog.project_id}",
                f"/settings/financials/gl-accounts/{catalog.gl_consulting}/edit"):
        assert intruder.get(url).status_code == 404, url
    resp = post_form(intruder, f"/invoices/{invoice_id}/approve", {}, page="/invoices/")
    assert resp.status_code == 404
    listing = intruder.get("/invoices/").get_data(as_text=True)
    assert "INV-0001" not in listing
    assert "Globex" not in intruder.get("/clients/").get_data(as_text=True)
    assert admin_client.get(f"/invoices/{invoice_id}").status_code == 200


def test_invoice_page_shows_sync_panel_once_sent_with_a_connection(app, catalog, admin_client):
    from host.integrations.testing import make_connection
    from host.services import invoicing

    make_connection(app, catalog.business_unit_id, "fakeprovider")
    with app.app_context():
        invoice = invoicing.create_invoice_from_project(db.session.get(Project, catalog.project_id))
        invoicing.send_invoice(invoice)
        invoice_id = invoice.id
    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'id="sync-panel"' in page
    listing = admin_client.get("/invoices/").get_data(as_text=True)
    assert "sync-status" in listing


def test_settings_opens_on_integrations_with_the_settings_tabs(app, org, admin_client):
    resp = admin_client.get("/settings/")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/settings/integrations")
    page = admin_client.get("/settings/financials/gl-accounts/").get_data(as_text=True)
    for tab in ("tab-integrations", "tab-gl-accounts", "tab-invoice-settings"):
        assert f'id="{tab}"' in page
    assert 'href="/settings/integrations"' in page


def test_contract_line_rate_and_gl_override_can_be_changed(app, catalog, admin_client):
    url = f"/projects/{catalog.project_id}/contract-lines/{catalog.cl_support}"
    page = admin_client.get(url).get_data(as_text=True)
    assert 'value="80.00"' in page
    resp = post_form(admin_client, url, {
        "service_type_id": str(catalog.st_support), "rate": "95.00", "description": "Premium support",
        "gl_account_id": str(catalog.gl_consulting), "tax_rate_id": "0", "class_label": "Care"})
    assert resp.status_code == 302
    page = admin_client.get(f"/projects/{catalog.project_id}").get_data(as_text=True)
    assert "95.00" in page and "Premium support" in page and "Care" in page
    from host.services import invoicing

    with app.app_context():
        invoice = invoicing.create_invoice_from_project(
            db.session.get(Project, catalog.project_id), {catalog.cl_support: "1"})
        assert invoice.lines[0].unit_price == Decimal("95.00")
        assert invoice.lines[0].effective_gl_account.code == "4000"


def test_contract_line_used_by_an_invoice_is_kept(app, catalog, admin_client):
    from host.models import ContractLine
    from host.services import invoicing

    with app.app_context():
        invoicing.create_invoice_from_project(
            db.session.get(Project, catalog.project_id), {catalog.cl_support: "1"})
    base = f"/projects/{catalog.project_id}/contract-lines"
    post_form(admin_client, f"{base}/{catalog.cl_support}/delete", {}, page=f"/projects/{catalog.project_id}")
    post_form(admin_client, f"{base}/{catalog.cl_consulting}/delete", {}, page=f"/projects/{catalog.project_id}")
    with app.app_context():
        remaining = [cl.id for cl in db.session.query(ContractLine).all()]
    assert remaining == [catalog.cl_support]


def test_a_draft_can_be_approved_and_sent_in_one_click(app, catalog, admin_client):
    from host.services import invoicing

    with app.app_context():
        invoice_id = invoicing.create_invoice_from_project(
            db.session.get(Project, catalog.project_id)).id
    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'id="approve-invoice"' in page and "Approve and send" in page
    post_form(admin_client, f"/invoices/{invoice_id}/send", {}, page=f"/invoices/{invoice_id}")
    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert 'data-status="sent"' in page and 'id="send-invoice"' not in page


def test_invoice_list_pages_by_fifty(app, catalog, admin_client):
    from host.services import invoicing

    with app.app_context():
        project = db.session.get(Project, catalog.project_id)
        for _ in range(51):
            invoicing.create_invoice_from_project(project, {catalog.cl_support: "1"}, commit=False)
            db.session.flush()
        db.session.commit()
    first = admin_client.get("/invoices/").get_data(as_text=True)
    assert "INV-0051" in first and "INV-0002" in first and ">INV-0001<" not in first
    assert 'id="older-invoices"' in first
    second = admin_client.get("/invoices/?page=2").get_data(as_text=True)
    assert ">INV-0001<" in second and 'id="newer-invoices"' in second


def test_quantities_show_as_plain_numbers_on_invoice_and_credit_note_pages(app, catalog,
                                                                          admin_client):
    from host.models import CreditNote
    from host.services import invoicing

    with app.app_context():
        project = db.session.get(Project, catalog.project_id)
        invoice = invoicing.create_invoice_from_project(
            project, {catalog.cl_support: "50", catalog.cl_consulting: "1.5"})
        invoicing.send_invoice(invoice)
        invoice_id = invoice.id
        support_line = next(li for li in invoice.lines if li.quantity == 50)
    page = admin_client.get(f"/invoices/{invoice_id}").get_data(as_text=True)
    assert '<td class="num">50</td>' in page and '<td class="num">1.5</td>' in page
    assert "5E+1" not in page
    resp = post_form(admin_client, f"/invoices/{invoice_id}/credit-notes/new",
                     {"mode": "lines", f"credit-{support_line.id}": "10", "reason": "Outage"})
    assert resp.status_code == 302
    with app.app_context():
        note_id = db.session.query(CreditNote).filter_by(invoice_id=invoice_id).one().id
    page = admin_client.get(f"/credit-notes/{note_id}").get_data(as_text=True)
    assert '<td class="num">10</td>' in page and "1E+1" not in page
