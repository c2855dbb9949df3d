"""on_connect, test_connection, on_disconnect, list_mapping_choices and preview_matches against
the Xero sandbox."""

from __future__ import annotations

import httpx
import pytest
from xero_testkit import client_data

from hookspecs import ServiceTypeData
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID


# -- on_connect --------------------------------------------------------------------------------


def test_hook_on_connect_lists_both_organisations_with_short_codes(connection_factory, mint,
                                                                   hook):
    conn = connection_factory(tokens=mint((UK_TENANT_ID, US_TENANT_ID)), tenant=None,
                              status="pending", setup_complete=False)
    info = hook(conn, "on_connect", callback_params={})
    tenants = {t.id: t for t in info.tenants}
    assert set(tenants) == {UK_TENANT_ID, US_TENANT_ID}
    assert tenants[UK_TENANT_ID].name == "Ashdown Consulting (UK)"
    assert tenants[UK_TENANT_ID].short_code == "!uK7dA"
    assert (tenants[US_TENANT_ID].short_code, tenants[US_TENANT_ID].country) == ("!uS4hX", "US")
    # the two charts differ (200 vs 4000): the admin chooses the account in the setup step
    assert "default_revenue_account" not in info.settings_defaults
    assert info.settings_defaults["auto_send"] is False
    assert info.settings_defaults["bank_account_code"] == ""  # 090 vs 1000: the admin chooses


def test_hook_on_connect_counts_each_organisation_s_calls_in_its_own_windows(
        connection_factory, mint, hook, db):
    """Xero's 60 a minute and 5 at once are per organisation: what on_connect reads from one
    (no organisation chosen yet) uses up that organisation's minute, with every later call."""
    from host.models.rate_limit import ConcurrencyLease

    conn = connection_factory(tokens=mint((UK_TENANT_ID, US_TENANT_ID)), tenant=None,
                              status="pending", setup_complete=False)
    hook(conn, "on_connect", callback_params={})
    keys = set(db.session.scalars(db.select(ConcurrencyLease.key)))
    for tenant in (UK_TENANT_ID, US_TENANT_ID):
        assert f"window:tenant:xero:{tenant}:Xero: 60 calls per minute per organisation" in keys
    per_connection = [k for k in keys if k.startswith("window:conn:")]
    assert len(per_connection) == 2, keys  # GET /connections only (one per-minute, one per-day)


def test_hook_on_connect_one_organisation_prefills_its_sales_account(connection_factory, mint,
                                                                     hook):
    conn = connection_factory(tokens=mint((US_TENANT_ID,)), tenant=None, status="pending",
                              setup_complete=False)
    info = hook(conn, "on_connect", callback_params={})
    assert [t.id for t in info.tenants] == [US_TENANT_ID]
    assert info.settings_defaults["default_revenue_account"] == "4000"
    assert info.settings_defaults["bank_account_code"] == "1000"


def test_hook_on_connect_offers_only_the_organisations_of_this_authorization(
        connection_factory, mint, hook):
    mint((UK_TENANT_ID,))  # connected to the app in an earlier authorization
    conn = connection_factory(tokens=mint((US_TENANT_ID,)), tenant=None, status="pending",
                              setup_complete=False)
    info = hook(conn, "on_connect", callback_params={})
    assert [t.id for t in info.tenants] == [US_TENANT_ID]


# -- test_connection ---------------------------------------------------------------------------


def test_hook_test_connection_passes_with_good_settings(connected_connection, hook):
    result = hook(connected_connection, "test_connection", write_check=False)
    by_name = {c.name: c for c in result.checks}
    assert result.ok, [(c.name, c.message) for c in result.checks if c.status == "fail"]
    assert "Ashdown Consulting (UK)" in by_name["Organisation"].message
    assert by_name["Default revenue account"].message.startswith("200 - Sales")
    assert "OUTPUT2" in by_name["Tax rates"].message
    assert by_name["Write access"].status == "warn"


def test_hook_test_connection_archived_revenue_account_fails_with_a_fix(xero_connection, hook):
    conn = xero_connection("uk", settings={"default_revenue_account": "250"})
    result = hook(conn, "test_connection", write_check=False)
    check = next(c for c in result.checks if c.name == "Default revenue account")
    assert check.status == "fail" and "250 - Legacy Services is archived" in check.message
    assert "active revenue account" in check.fix and not result.ok


def test_hook_test_connection_expense_account_is_not_revenue(xero_connection, hook):
    conn = xero_connection("uk", settings={"default_revenue_account": "400"})
    check = next(c for c in hook(conn, "test_connection", write_check=False).checks
                 if c.name == "Default revenue account")
    assert check.status == "fail" and "not a revenue account (class EXPENSE" in check.message


def test_hook_test_connection_shows_xeros_message_when_xero_fails(connected_connection, hook,
                                                                  faults):
    faults("status", path="/api.xro/2.0/Organisation$", method="GET", status=503,
           body="Organisation offline")
    result = hook(connected_connection, "test_connection", write_check=False)
    (check,) = result.checks
    assert check.status == "fail" and "Organisation offline" in check.message and check.fix


def test_hook_test_connection_write_check_creates_and_deletes_a_draft(connected_connection,
                                                                      hook, sandbox_api):
    result = hook(connected_connection, "test_connection", write_check=True)
    check = next(c for c in result.checks if c.name == "Write access")
    assert check.status == "pass", check.message
    drafts = [i for i in sandbox_api(UK_TENANT_ID, "invoices").values()
              if "PSA connection test" in (i.get("Reference") or "")]
    assert drafts and all(d["Status"] == "DELETED" for d in drafts)


def test_hook_test_connection_tracking_category_must_be_active(xero_connection, hook):
    conn = xero_connection("uk", settings={"tracking_category": "00000000-0000-0000-0000-000000000000"})
    check = next(c for c in hook(conn, "test_connection", write_check=False).checks
                 if c.name == "Tracking category")
    assert check.status == "fail" and check.fix


# -- on_disconnect -----------------------------------------------------------------------------


def test_hook_on_disconnect_removes_only_this_organisation(connection_factory, mint, hook,
                                                           xero_server):
    tokens = mint((UK_TENANT_ID, US_TENANT_ID))
    conn = connection_factory(tokens=tokens, tenant=(UK_TENANT_ID, "Ashdown Consulting (UK)"))
    assert hook(conn, "on_disconnect") is True
    left = httpx.get(f"{xero_server.url}/connections",
                     headers={"Authorization": f"Bearer {tokens['access_token']}"}).json()
    assert [c["tenantId"] for c in left] == [US_TENANT_ID]


def test_hook_on_disconnect_returns_false_when_xero_is_down(connected_connection, hook, faults):
    faults("status", path="/connections", status=503, body="down", count=5)
    assert hook(connected_connection, "on_disconnect") is False


# -- list_mapping_choices ----------------------------------------------------------------------


def test_hook_list_mapping_choices_offers_only_usable_records(connected_connection, hook):
    def ids(kind):
        return [c.external_id for c in hook(connected_connection, "list_mapping_choices",
                                            kind=kind)]

    assert ids("account") == ["200", "210", "260"]  # not archived 250, bank, system, expense
    assert ids("default_revenue_account") == ["200", "210", "260"]
    assert ids("bank_account") == ["090"]
    assert set(ids("tax_type")) == {"OUTPUT2", "RROUTPUT", "ZERORATEDOUTPUT", "EXEMPTOUTPUT",
                                    "NONE"}  # not INPUT2
    assert ids("item") == ["CONSULT", "SUPPORT"]
    labels = [c.label for c in hook(connected_connection, "list_mapping_choices",
                                    kind="tracking")]
    assert "Region: North" in labels and "Region: West" not in labels  # West is archived
    not_tracked, *options = ids("tracking")
    assert not_tracked == "none" and all(":" in i for i in options)
    assert [c.label for c in hook(connected_connection, "list_mapping_choices",
                                  kind="tracking_category")] == ["Department", "Region"]


def test_hook_list_mapping_choices_us_org_skips_archived_tax(xero_connection, hook):
    conn = xero_connection("us")
    taxes = [c.external_id for c in hook(conn, "list_mapping_choices", kind="tax_type")]
    assert "TAX001" in taxes and "TAX003" not in taxes
    assert [c.external_id for c in hook(conn, "list_mapping_choices", kind="account")] == [
        "4000", "4010"]


# -- preview_matches ---------------------------------------------------------------------------


def test_hook_preview_matches_clients(connected_connection, hook):
    by_email = client_data("Acme (renamed in PSA)", "accounts@acme.example")
    by_name = client_data("bluebird  analytics", "new@bluebird.test")
    archived = client_data("Oldco Holdings", "someone@oldco.test")
    new = client_data("Brand New Co", "hi@brandnew.test")
    previews = hook(connected_connection, "preview_matches", kind="client",
                    records=[by_email, by_name, archived, new])
    got = {p.host_id: p for p in previews}
    assert (got[by_email.id].outcome, got[by_email.id].external_label) == ("match",
                                                                           "Acme Widgets Ltd")
    assert "email" in got[by_email.id].reason
    assert (got[by_name.id].outcome, got[by_name.id].external_label) == ("match",
                                                                         "Bluebird Analytics")
    assert got[archived.id].outcome == "create"
    assert got[archived.id].external_label == "Oldco Holdings (2)"
    assert "archived contact" in got[archived.id].reason
    assert got[new.id].outcome == "create"


def test_hook_preview_matches_service_types(connected_connection, hook):
    records = [ServiceTypeData(1, "Consulting hour"), ServiceTypeData(2, "Retainer", sku="SUPPORT"),
               ServiceTypeData(3, "Training")]
    got = {p.host_id: p for p in hook(connected_connection, "preview_matches",
                                      kind="service_type", records=records)}
    assert (got[1].outcome, got[1].external_id) == ("match", "CONSULT")
    assert (got[2].outcome, got[2].external_id) == ("match", "SUPPORT")
    assert got[3].outcome == "default" and "200" in got[3].reason


# -- contacts on push --------------------------------------------------------------------------


def test_hook_on_invoice_sent_uses_the_matching_contact(connected_connection, hook, sandbox_api):
    from xero_testkit import invoice_data

    from psa_xero.sandbox.seed import sid

    client = client_data("Acme (renamed in PSA)", "accounts@acme.example")
    result = hook(connected_connection, "on_invoice_sent", invoice=invoice_data(client=client),
                  idempotency_key="c-1")
    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert doc["Contact"]["ContactID"] == sid(UK_TENANT_ID, "contact:acme")
    assert not result.note


def test_hook_on_invoice_sent_name_taken_by_archived_contact_gets_a_unique_name(
        connected_connection, hook, sandbox_api):
    from xero_testkit import invoice_data

    client = client_data("Oldco Holdings", "new-ap@oldco.test")
    result = hook(connected_connection, "on_invoice_sent", invoice=invoice_data(client=client),
                  idempotency_key="c-2")
    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    contact = sandbox_api(UK_TENANT_ID, "contacts", doc["Contact"]["ContactID"])
    assert contact["Name"] == "Oldco Holdings (2)" and contact["ContactStatus"] == "ACTIVE"
    assert "Oldco Holdings (2)" in result.note and "archived contact" in result.note


def test_hook_on_invoice_sent_two_contacts_with_the_email_is_a_conflict(connected_connection,
                                                                        hook, handle):
    from xero_testkit import invoice_data

    from hookspecs import ConflictError
    from psa_xero.api import XeroClient

    XeroClient(handle(connected_connection)).put(
        "Contacts", {"Contacts": [{"Name": "Acme Widgets (duplicate)",
                                   "EmailAddress": "accounts@acme.example"}]},
        key=None, action="adding a duplicate contact")
    client = client_data("Acme", "accounts@acme.example")
    with pytest.raises(ConflictError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=invoice_data(client=client),
             idempotency_key="c-3")
    assert "Acme Widgets Ltd" in err.value.message and "Acme Widgets (duplicate)" in \
        err.value.message
    assert "reconciliation page" in err.value.fix


def test_manage_page_maps_contract_line_classes_to_tracking_options(app, admin_client, org, db,
                                                                   xero_connection):
    from decimal import Decimal as Dec

    from host.integrations.testing import csrf_token
    from host.models import Client, ContractLine, Project, ServiceType
    from psa_xero.sandbox.seed import sid

    conn = xero_connection("uk")
    client = Client(organization_id=org.id, name="Acme")
    service = ServiceType(organization_id=org.id, name="Consulting")
    project = Project(organization_id=org.id, client=client,
                      business_unit_id=org.business_unit_ids[0], name="Apollo")
    db.session.add_all([client, service, project,
                        ContractLine(project=project, service_type=service, rate=Dec("150"),
                                     class_label="North")])
    db.session.commit()
    page = admin_client.get(f"/settings/integrations/connections/{conn.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'name="map-North"' in html
    assert "Region: North" in html and "Region: West" not in html
    option = f"{sid(UK_TENANT_ID, 'tracking:Region')}:{sid(UK_TENANT_ID, 'tracking:Region:North')}"
    token = csrf_token(admin_client, f"/settings/integrations/connections/{conn.id}")
    resp = admin_client.post(f"/settings/integrations/connections/{conn.id}/mappings/tracking",
                             data={"csrf_token": token, "map-North": option})
    assert resp.status_code in (302, 303)
    from host.integrations.handle import handle_for

    handle = handle_for(conn, app=app)
    try:
        assert handle.mapping("tracking", "North") == option
    finally:
        handle.close()


def test_expired_access_token_is_refreshed_at_xeros_token_endpoint(connection_factory, mint,
                                                                   hook, db):
    from host.models import Connection

    conn = connection_factory(tokens=mint((UK_TENANT_ID,)),
                              tenant=(UK_TENANT_ID, "Ashdown Consulting (UK)"),
                              settings={"default_revenue_account": "200"}, expires_in=-60)
    version = conn.token_version
    result = hook(conn, "test_connection", write_check=False)
    assert result.ok, [(c.name, c.message) for c in result.checks]
    db.session.expire_all()
    assert db.session.get(Connection, conn.id).token_version > version  # rotated and stored


def test_hook_on_invoice_sent_uses_the_contact_picked_on_the_reconciliation_page(
        connected_connection, hook, sandbox_api, set_mapping):
    from xero_testkit import invoice_data

    from psa_xero.sandbox.seed import sid

    client = client_data("Bluebird (PSA name)", "someone@else.test")
    set_mapping(connected_connection, "client", client.id, sid(UK_TENANT_ID, "contact:bluebird"))
    result = hook(connected_connection, "on_invoice_sent", invoice=invoice_data(client=client),
                  idempotency_key="c-4")
    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert doc["Contact"]["ContactID"] == sid(UK_TENANT_ID, "contact:bluebird")
    assert not [c for c in sandbox_api(UK_TENANT_ID, "contacts").values()
                if c["Name"] == client.name]  # nothing created


def test_hook_test_connection_warns_about_a_tax_rate_matching_several_xero_rates(
        connected_connection, hook, set_mapping, org, db, admin_client):
    """A PSA 0 % rate, not mapped, against a UK organisation with two 0 % sales rates: the Test
    warns (naming both, the fix linking to the Manage page) instead of the first invoice
    failing; 20 % (one Xero rate) and a mapped rate are not listed."""
    from decimal import Decimal

    from host.integrations.testing import csrf_token
    from host.models import TaxRate

    zero = TaxRate(organization_id=org.id, name="Zero rated", rate=Decimal("0"))
    vat = TaxRate(organization_id=org.id, name="VAT", rate=Decimal("20"))
    exempt = TaxRate(organization_id=org.id, name="Exempt", rate=Decimal("0"))
    db.session.add_all([zero, vat, exempt])
    db.session.commit()
    set_mapping(connected_connection, "tax_type", exempt.id, "EXEMPTOUTPUT")
    result = hook(connected_connection, "test_connection", write_check=False)
    (check,) = [c for c in result.checks if c.name == "Tax rate mapping"]
    assert check.status == "warn" and result.ok
    assert ("Zero rated (0 %) could be Exempt Income (0 %) (EXEMPTOUTPUT) or No VAT (0 %) "
            "(NONE) or Zero Rated Income (0 %) (ZERORATEDOUTPUT).") in check.message
    assert "VAT (20 %)" not in check.message and "Exempt (0 %) could" not in check.message
    assert "on the Manage page" in check.fix

    url = f"/settings/integrations/connections/{connected_connection.id}"
    page = admin_client.post(url, data={"csrf_token": csrf_token(admin_client, url),
                                        "action": "test", "default_revenue_account": "200",
                                        "bank_account_code": "090"}).get_data(as_text=True)
    assert "Zero rated (0 %) could be" in page
    assert (f'in the <a class="fix-link" href="{url}#mapping-tax_type">Tax rates table</a> on '
            f'the <a class="fix-link" href="{url}">Manage page</a>') in page

    set_mapping(connected_connection, "tax_type", zero.id, "ZERORATEDOUTPUT")
    result = hook(connected_connection, "test_connection", write_check=False)
    assert "Tax rate mapping" not in [c.name for c in result.checks]
