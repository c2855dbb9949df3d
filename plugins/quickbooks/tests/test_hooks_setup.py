"""on_connect, test_connection, the settings form, list_mapping_choices and preview_matches
against the sandbox over real HTTP (issue 4, points 1-3)."""

from __future__ import annotations

import pytest

from hookspecs import AuthError, ClientData, ServiceTypeData
from psa_quickbooks.sandbox import CLASSES_REALM, UK_REALM, US_REALM


def checks_by_name(result) -> dict:
    return {c.name: c for c in result.checks}


# -- on_connect --------------------------------------------------------------------------------


@pytest.mark.parametrize("realm,name,country,non_us", [
    ("us", "Sandbox Company US (Sales Tax)", "US", False),
    ("uk", "Sandbox Company UK (VAT)", "GB", True),
])
def test_hook_on_connect_describes_the_company(qbo, qbo_connection, hook, realm, name, country,
                                               non_us):
    conn = qbo_connection(realm)
    realm_id = conn.tenant_id  # the hook reads the company from the callback's realmId
    info = hook(conn, "on_connect", callback_params={"realmId": realm_id})
    assert [(t.id, t.name, t.country) for t in info.tenants] == [(realm_id, name, country)]
    assert info.settings_defaults["non_us"] is non_us
    assert info.settings_defaults["default_item"] == "2"  # Consulting: the first active service
    assert info.settings_defaults["auto_send"] is False


def test_hook_on_connect_classes_company_turns_class_mapping_on(qbo, qbo_connection, hook, org):
    conn = qbo_connection("classes")
    info = hook(conn, "on_connect", callback_params={"realmId": CLASSES_REALM})
    assert info.settings_defaults["use_classes"] is True
    us = hook(qbo_connection("us", business_unit_id=org.business_unit_ids[1]), "on_connect",
              callback_params={"realmId": US_REALM})
    assert us.settings_defaults["use_classes"] is False


def test_hook_on_disconnect_leaves_data_alone(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    before = qbo.entities(US_REALM, "Customer")
    assert hook(conn, "on_disconnect") is True
    assert qbo.entities(US_REALM, "Customer") == before


# -- test_connection ---------------------------------------------------------------------------


def test_hook_test_connection_us_passes_with_the_closed_books_warning(qbo, qbo_connection, hook):
    result = hook(qbo_connection("us", settings={"use_classes": False}), "test_connection",
                  write_check=False)
    checks = checks_by_name(result)
    assert result.ok
    assert {n: c.status for n, c in checks.items()} == {
        "Credentials and permissions": "pass", "Company": "pass", "US / non-US": "pass",
        "Default product/service": "pass", "Income account": "pass", "Invoice numbers": "pass",
        "Currencies": "pass", "Sales tax": "pass", "Closed books": "warn"}
    assert "'Services'" in checks["Income account"].message
    assert "Springfield (8 %)" in checks["Sales tax"].message
    assert "PSA's tax amount is sent" in checks["Sales tax"].message
    assert "Sandbox Company US" in checks["Company"].message
    assert qbo.entities(US_REALM, "Invoice") == []  # read-only: nothing but reads was sent
    sent = qbo.requests(path="/v3/company")
    writes = [r for r in sent if r["method"] != "GET" and "/query" not in r["path"]]
    assert len(sent) >= 3 and writes == []


def test_hook_test_connection_reports_quickbooks_down_as_a_failed_check(qbo, qbo_connection,
                                                                         hook):
    customers = qbo.entities(US_REALM, "Customer")
    qbo.fault(kind="status", status=503, path="/v3/company/", count=1)

    result = hook(qbo_connection("us"), "test_connection", write_check=True)

    [check] = result.checks
    assert (check.name, check.status, result.ok) == ("QuickBooks", "fail", False)
    assert "503" in check.message and "retries" in check.fix
    assert qbo.entities(US_REALM, "Customer") == customers  # no write check once down


def test_hook_test_connection_warns_on_contradicting_us_choice_and_classes(qbo, qbo_connection,
                                                                           hook):
    result = hook(qbo_connection("uk", settings={"non_us": False, "use_classes": True}),
                  "test_connection", write_check=False)
    checks = checks_by_name(result)
    assert checks["US / non-US"].status == "warn" and "GB" in checks["US / non-US"].message
    assert checks["Classes"].status == "warn" and "Track classes" in checks["Classes"].fix
    assert result.ok  # warnings do not fail the test


def test_hook_test_connection_us_sales_tax_off_warns(qbo, qbo_connection, hook):
    qbo.preferences(US_REALM, {"TaxPrefs": {"UsingSalesTax": False}})
    checks = checks_by_name(hook(qbo_connection("us"), "test_connection", write_check=False))
    assert checks["Sales tax"].status == "warn"
    assert "booked without it" in checks["Sales tax"].message
    assert "Taxes > Sales tax" in checks["Sales tax"].fix


def test_hook_test_connection_non_us_lists_tax_codes(qbo, qbo_connection, hook):
    checks = checks_by_name(hook(qbo_connection("uk"), "test_connection", write_check=False))
    assert checks["Tax codes"].status == "pass" and "20.0% S" in checks["Tax codes"].message
    assert "Sales tax" not in checks  # a US check only


def test_hook_test_connection_explains_custom_numbers(qbo, qbo_connection, hook):
    checks = checks_by_name(hook(qbo_connection("custom_numbers"), "test_connection",
                                 write_check=False))
    assert checks["Invoice numbers"].status == "warn"
    assert "PSA's number" in checks["Invoice numbers"].message
    assert "Custom transaction numbers" in checks["Invoice numbers"].fix
    assert "both ways" not in checks["Invoice numbers"].message  # invoices only go out


def test_hook_test_connection_custom_numbers_with_invoices_coming_in(qbo, qbo_connection, hook,
                                                                     db):
    from host.sync.twoway.settings import setting_for

    connection = qbo_connection("custom_numbers")
    setting_for(connection, "invoice").direction = "both"
    db.session.commit()
    checks = checks_by_name(hook(connection, "test_connection", write_check=False))
    assert checks["Invoice numbers"].status == "warn"
    assert "Invoices sync both ways" in checks["Invoice numbers"].message


def test_hook_test_connection_classes_company_passes_classes(qbo, qbo_connection, hook):
    checks = checks_by_name(hook(qbo_connection("classes"), "test_connection", write_check=False))
    assert checks["Classes"].status == "pass"


@pytest.mark.parametrize("item,words", [("1", "category"), ("5", "inactive"),
                                        ("999", "does not exist")])
def test_hook_test_connection_fails_an_unusable_default_item(qbo, qbo_connection, hook, item,
                                                             words):
    result = hook(qbo_connection("us", settings={"default_item": item}), "test_connection",
                  write_check=False)
    check = checks_by_name(result)["Default product/service"]
    assert check.status == "fail" and words in check.message and check.fix
    assert not result.ok


def test_hook_test_connection_inactive_income_account_fails(qbo, qbo_connection, hook):
    raw_token = qbo.tokens(US_REALM)["access_token"]
    r = qbo.http.post(f"/v3/company/{US_REALM}/item", params={"minorversion": 75},
                      headers={"Authorization": f"Bearer {raw_token}",
                               "Accept": "application/json"},
                      json={"Name": "Old Service", "Type": "Service",
                            "IncomeAccountRef": {"value": "2"}})
    assert r.status_code == 200, r.text
    item = r.json()["Item"]
    account = qbo.entity(US_REALM, "Account", "2")
    r = qbo.http.post(f"/v3/company/{US_REALM}/account", params={"minorversion": 75},
                      headers={"Authorization": f"Bearer {raw_token}",
                               "Accept": "application/json"},
                      json={"Id": "2", "SyncToken": account["SyncToken"], "sparse": True,
                            "Active": False, "Name": account["Name"]})
    assert r.status_code == 200, r.text
    check = checks_by_name(hook(qbo_connection("us", settings={"default_item": item["Id"]}),
                                "test_connection", write_check=False))["Income account"]
    assert check.status == "fail" and "inactive account" in check.message


def test_hook_test_connection_write_check_creates_and_removes(qbo, qbo_connection, hook):
    customers = len(qbo.entities(US_REALM, "Customer"))
    result = hook(qbo_connection("us"), "test_connection", write_check=True)
    check = checks_by_name(result)["Write access"]
    assert check.status == "pass", check
    assert qbo.entities(US_REALM, "Invoice") == []
    test_customers = [c for c in qbo.entities(US_REALM, "Customer")
                      if c["DisplayName"].startswith("PSA connection test")]
    assert len(qbo.entities(US_REALM, "Customer")) == customers + 1
    assert [c["Active"] for c in test_customers] == [False]


def test_hook_test_connection_write_check_cleans_up_when_it_fails_half_way(qbo, qbo_connection,
                                                                          hook):
    qbo.fault(kind="status", method="POST", path="/invoice$", status=400, count=1,
              body={"Fault": {"Error": [{"Message": "Account Period Closed", "Detail": "closed",
                                         "code": "6200", "element": "TxnDate"}],
                              "type": "ValidationFault"}})
    check = checks_by_name(hook(qbo_connection("us"), "test_connection", write_check=True))[
        "Write access"]
    assert check.status == "fail" and "test invoice" in check.message and check.fix
    leftovers = [c for c in qbo.entities(US_REALM, "Customer")
                 if c["DisplayName"].startswith("PSA connection test")]
    assert [c["Active"] for c in leftovers] == [False]


def test_hook_test_connection_write_check_uk(qbo, qbo_connection, hook):
    check = checks_by_name(hook(qbo_connection("uk"), "test_connection", write_check=True))[
        "Write access"]
    assert check.status == "pass", check
    assert qbo.entities(UK_REALM, "Invoice") == []


def test_hook_test_connection_revoked_raises_auth_error(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    qbo.control("POST", "disconnect", json={"realm_id": US_REALM})
    with pytest.raises(AuthError):
        hook(conn, "test_connection", write_check=False)


# -- settings form -----------------------------------------------------------------------------


def test_settings_form_prefills_and_warns_on_contradiction(app, qbo, qbo_connection):
    from host.integrations.handle import handle_for
    from host.integrations.registry import get_registry

    info = get_registry(app)["quickbooks"]
    conn = qbo_connection("uk", settings={"non_us": False})
    with app.test_request_context("/"):
        handle = handle_for(conn)
        try:
            form = info.settings_form(handle, None)
        finally:
            handle.close()
    assert form.default_item.data == "2"
    assert ("2", "Professional Services:Consulting") in form.default_item.choices
    assert all(label != "Professional Services" for _, label in form.default_item.choices)
    assert "GB" in form.non_us.description and "Warning" in form.non_us.description
    assert "Class tracking per line is off" in form.use_classes.description
    assert any(label == "20.0% S" for _, label in form.untaxed_tax_code.choices)


# -- mapping support ---------------------------------------------------------------------------


def test_hook_list_mapping_choices_only_usable_records(qbo, qbo_connection, hook):
    conn = qbo_connection("uk")
    items = {c.label for c in hook(conn, "list_mapping_choices", kind="item")}
    assert items == {"Professional Services:Consulting", "Travel", "Hardware"}
    accounts = {c.label for c in hook(conn, "list_mapping_choices", kind="account")}
    assert "Services" in accounts and "Old Income (inactive)" not in accounts
    assert "Checking" not in accounts
    codes = {(c.label, c.detail) for c in hook(conn, "list_mapping_choices", kind="tax_code")}
    assert ("20.0% S", "20 %") in codes and ("Exempt", "0 %") in codes
    classes = {c.label for c in hook(conn, "list_mapping_choices", kind="class")}
    assert classes == {"East", "West"}
    assert hook(conn, "list_mapping_choices", kind="nonsense") == []


def test_hook_preview_matches_clients(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    records = [ClientData(1, "ACME LTD", billing_email="ap@acme.example"),
               ClientData(2, "Globex Corporation"),
               ClientData(3, "Northwind Supplies"),
               ClientData(4, "Brand New Co")]
    previews = {p.host_id: p for p in hook(conn, "preview_matches", kind="client",
                                           records=records)}
    assert (previews[1].outcome, previews[1].external_id) == ("match", "1")
    assert (previews[2].outcome, previews[2].external_id) == ("match", "2")
    assert previews[3].outcome == "create"
    assert previews[3].external_label == "Northwind Supplies (2)" and "vendor" in previews[3].reason
    assert (previews[4].outcome, previews[4].external_label) == ("create", "Brand New Co")
    assert qbo.entities(US_REALM, "Customer")[-1]["DisplayName"] != "Brand New Co"  # nothing made


def test_hook_preview_matches_a_linked_client_to_its_customer_not_the_vendor_with_its_id(
        qbo, qbo_connection, hook):
    """Customers and vendors count their Ids apart: customer 1 (Acme Ltd, linked by a push)
    is not vendor 1 (Northwind Supplies)."""
    from qbo_testkit import make_invoice

    conn = qbo_connection("us")
    invoice = make_invoice()
    hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="linked")
    assert qbo.entity(US_REALM, "Vendor", "1")["DisplayName"] == "Northwind Supplies"

    [preview] = hook(conn, "preview_matches", kind="client", records=[invoice.client])

    assert (preview.outcome, preview.external_id, preview.external_label) == (
        "match", "1", "Acme Ltd")
    assert preview.reason == "linked by an earlier push"


def test_hook_preview_matches_service_types(qbo, qbo_connection, hook):
    conn = qbo_connection("us", settings={"default_item": "3"})
    records = [ServiceTypeData(1, "Consulting"), ServiceTypeData(2, "Kit", sku="HW-1"),
               ServiceTypeData(3, "Legacy Support"), ServiceTypeData(4, "Gardening")]
    previews = {p.host_id: p for p in hook(conn, "preview_matches", kind="service_type",
                                           records=records)}
    assert (previews[1].outcome, previews[1].external_id) == ("match", "2")
    assert previews[3].outcome == "default"  # the only such item is inactive
    assert (previews[4].outcome, previews[4].external_id, previews[4].external_label) == (
        "default", "3", "Travel")
