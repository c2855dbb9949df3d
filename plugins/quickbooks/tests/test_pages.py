"""The host's setup step and Manage page with the QuickBooks form, through the Flask test client
(the sandbox answers over real HTTP): prefilled choices, Test results, mapping tables."""

from __future__ import annotations

import re

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
