"""The host's setup step and Manage page with the QuickBooks form, through the Flask test client
(the sandbox answers over real HTTP): prefilled choices, Test results, mapping tables."""

from __future__ import annotations

import re

from host.integrations.e2e import reconciliation_previews
from host.integrations.testing import csrf_token


def setup_url(conn) -> str:
    return f"/settings/integrations/connections/{conn.id}/setup"


def checks(html: str) -> dict[str, str]:
    """{check name: status} from the Test result list."""
    items = re.findall(r'<li class="check check-[a-z]+" data-status="([a-z]+)">(.*?)</li>', html,
                       re.S)
    return {re.search(r"<strong>([^<]+)</strong>", body).group(1): status
            for status, body in items}


def test_setup_step_prefills_the_default_item_and_the_country(admin_client, qbo_connection):
    conn = qbo_connection("uk", settings={"non_us": True})
    html = admin_client.get(setup_url(conn)).get_data(as_text=True)
    assert re.search(r'<option selected value="2">Professional Services:Consulting</option>', html)
    assert "Professional Services</option>" not in html  # a category is not offered
    assert re.search(r'<input checked id="non_us" name="non_us" type="checkbox"', html)
    assert "QuickBooks reports Sandbox Company UK (VAT) in GB" in html
    assert "Automatically send invoice to the customer" in html


def test_setup_step_test_button_shows_each_check(admin_client, qbo_connection):
    conn = qbo_connection("us")
    url = setup_url(conn)
    form = {"csrf_token": csrf_token(admin_client, url), "default_item": "1", "action": "test"}
    html = admin_client.post(url, data=form).get_data(as_text=True)
    assert "Not a valid choice" in html and 'id="test-result"' not in html  # a category

    form.update(default_item="2", non_us="y")
    html = admin_client.post(url, data=form).get_data(as_text=True)
    found = checks(html)
    assert found["Credentials and permissions"] == "pass"
    assert found["Default product/service"] == "pass"
    assert found["US / non-US"] == "warn"  # the admin's choice contradicts the company
    assert "Warning: your choice contradicts the company" in html
    assert 'data-ok="true"' in html


def test_manage_page_lists_quickbooks_choices_in_the_mapping_tables(admin_client, qbo_connection,
                                                                   db, org):
    from host.models import GLAccount, ServiceType, TaxRate

    db.session.add_all([ServiceType(organization_id=org.id, name="Consulting"),
                        GLAccount(organization_id=org.id, code="4000", name="Services"),
                        TaxRate(organization_id=org.id, name="Springfield", rate=8)])
    db.session.commit()
    conn = qbo_connection("us")
    html = admin_client.get(f"/settings/integrations/connections/{conn.id}").get_data(
        as_text=True)
    for label in ("Products and services", "Income accounts", "Tax codes", "Classes"):
        assert label in html
    assert "Sales of Product Income" in html and "Springfield" in html




def test_reconciliation_page_shows_match_create_and_ambiguous_and_the_admin_fixes_them(
        admin_client, qbo, qbo_connection, db, org):
    """Point 3: before automatic push, the host's reconciliation pass page (with this plugin's
    previews) shows which clients and service types match, will be created (or use the default
    product/service), or are ambiguous; the admin's picks are saved and then shown as matches."""
    from host.models import Client, ServiceType
    from psa_quickbooks.sandbox import US_REALM
    from qbo_testkit import BOOKKEEPER_CLIENT_ID

    conn = qbo_connection("us")
    # the customers and items someone made in QuickBooks, through an app of their own (the
    # sandbox counts 10 requests a second per company and app, as Intuit does)
    token = qbo.tokens(US_REALM, client_id=BOOKKEEPER_CLIENT_ID)["access_token"]

    def create(resource, body):
        r = qbo.http.post(f"/v3/company/{US_REALM}/{resource}", params={"minorversion": 75},
                          json=body, headers={"Authorization": f"Bearer {token}",
                                              "Accept": "application/json"})
        assert r.status_code == 200, r.text
        return r.json()[resource.capitalize()]

    holdings = create("customer", {"DisplayName": "Acme Holdings",
                                   "PrimaryEmailAddr": {"Address": "ap@acme.example"}})
    income = qbo.entity(US_REALM, "Item", "2")["IncomeAccountRef"]
    kit = [create("item", {"Name": name, "Type": "Service", "Sku": "KIT-1",
                           "IncomeAccountRef": income}) for name in ("Kit A", "Kit B")]
    db.session.add_all([
        Client(organization_id=org.id, name="Globex", billing_email="billing@globex.example"),
        Client(organization_id=org.id, name="Acme", billing_email="ap@acme.example"),
        Client(organization_id=org.id, name="Northwind Supplies"),
        Client(organization_id=org.id, name="Brand New Co", billing_email="ap@brandnew.test"),
        ServiceType(organization_id=org.id, name="Consulting"),
        ServiceType(organization_id=org.id, name="Kit", sku="KIT-1"),
        ServiceType(organization_id=org.id, name="Gardening")])
    db.session.commit()
    acme = db.session.scalars(db.select(Client).filter_by(name="Acme")).one().id
    kit_type = db.session.scalars(db.select(ServiceType).filter_by(name="Kit")).one().id

    url = f"/settings/integrations/connections/{conn.id}/reconciliation"
    html = admin_client.get(url).get_data(as_text=True)
    clients = reconciliation_previews(html, "client")
    assert clients["Globex"] == ("match", "Globex Corporation")  # billing email
    assert clients["Acme"][0] == "ambiguous"  # two customers have this billing email
    assert "Acme Holdings" in clients["Acme"][1] and "Acme Ltd" in clients["Acme"][1]
    assert clients["Northwind Supplies"] == ("create", "Northwind Supplies (2)")  # a vendor's
    assert clients["Brand New Co"] == ("create", "Brand New Co")
    services = reconciliation_previews(html, "service_type")
    assert services["Consulting"] == ("match", "Consulting")  # exact name
    assert services["Kit"][0] == "ambiguous" and "Kit A" in services["Kit"][1]
    assert services["Gardening"] == ("default", "Professional Services:Consulting")
    assert "2 customers have this billing email; choose one" in html

    form = {"csrf_token": csrf_token(admin_client, url), f"pick-client-{acme}": holdings["Id"],
            f"pick-service_type-{kit_type}": kit[1]["Id"], "auto_push": "1"}
    assert admin_client.post(url, data=form).status_code in (302, 303)
    html = admin_client.get(url).get_data(as_text=True)
    assert reconciliation_previews(html, "client")["Acme"] == ("match", "Acme Holdings")
    assert reconciliation_previews(html, "service_type")["Kit"] == ("match", "Kit B")
    assert "chosen by an admin" in html and "mapped by an admin" in html
    assert re.search(r'id="auto-push" value="1"\s+checked', html)
    assert qbo.entities(US_REALM, "Customer")[-1]["DisplayName"] == "Acme Holdings"  # none made


def test_tile_and_manage_page_show_the_company_name_and_its_realm_id(admin_client,
                                                                     qbo_connection, org):
    from psa_quickbooks.sandbox import DEFAULT_REALMS

    conn = qbo_connection("uk")
    realm = DEFAULT_REALMS["uk"]
    tiles = admin_client.get(f"/settings/integrations?business_unit={conn.business_unit_id}"
                             ).get_data(as_text=True)
    tile = re.search(r'<section class="tile" data-provider="quickbooks".*?</section>', tiles,
                     re.S).group(0)
    assert '<span class="tenant-name">Sandbox uk</span>' in tile
    assert f'<span class="tenant-id muted">· Company ID {realm}</span>' in tile
    manage = admin_client.get(f"/settings/integrations/connections/{conn.id}").get_data(
        as_text=True)
    assert f"Company ID {realm}" in manage
