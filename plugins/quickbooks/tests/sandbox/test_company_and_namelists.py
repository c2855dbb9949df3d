"""Points 2-4: seeded companies, name-list CRUD, SyncToken, DisplayName rules and their faults."""
import re

from psa_quickbooks.sandbox import DEFAULT_REALMS


def code(r):
    return r.json()["Fault"]["Error"][0]["code"]


def test_seeded_companies(qbo):
    listing = qbo.control("GET", "companies").json()["companies"]
    assert {c["realm_id"] for c in listing} == set(DEFAULT_REALMS.values())
    info = qbo.get(f"companyinfo/{qbo.realm}")
    assert info.status_code == 200 and info.json()["CompanyInfo"]["Country"] == "US"
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}-08:00$", info.json()["time"])
    assert info.headers["intuit_tid"]
    prefs = qbo.get("preferences").json()["Preferences"]
    assert prefs["TaxPrefs"]["UsingSalesTax"] is True
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is False
    custom = qbo.for_realm(DEFAULT_REALMS["custom_numbers"]).get("preferences").json()["Preferences"]
    assert custom["SalesFormsPrefs"]["CustomTxnNumbers"] is True
    classes = qbo.for_realm(DEFAULT_REALMS["classes"]).get("preferences").json()["Preferences"]
    assert classes["AccountingInfoPrefs"]["ClassTrackingPerTxnLine"] is True


def test_seed_contents(qbo, uk):
    items = qbo.rows("SELECT * FROM Item WHERE Active IN (true, false)")
    assert {"Category", "Service", "NonInventory"} <= {i["Type"] for i in items}
    assert any(i["Active"] is False for i in items)
    assert qbo.rows("SELECT * FROM Term WHERE Name = 'Net 30'")[0]["Id"] == "3"
    assert {a["AccountType"] for a in qbo.rows("SELECT * FROM Account")} >= {"Income", "Bank"}
    assert qbo.rows("SELECT * FROM Vendor")[0]["DisplayName"] == "Northwind Supplies"
    assert {c["Name"] for c in uk.rows("SELECT * FROM TaxCode")} >= {"20.0% S", "Exempt"}
    assert {c["Id"] for c in qbo.rows("SELECT * FROM TaxCode")} >= {"TAX", "NON"}


def test_customer_create_read_update_synctoken(qbo):
    c = qbo.create("Customer", {"DisplayName": "Umbrella Corp", "PrimaryEmailAddr": {"Address": "a@u.example"}})
    assert c["SyncToken"] == "0" and c["domain"] == "QBO" and c["sparse"] is False and c["Active"] is True
    assert qbo.get(f"customer/{c['Id']}").json()["Customer"]["DisplayName"] == "Umbrella Corp"
    sparse = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "VIP"})
    assert sparse["SyncToken"] == "1" and sparse["Notes"] == "VIP"
    assert sparse["PrimaryEmailAddr"]["Address"] == "a@u.example"
    stale = qbo.post("customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Notes": "x"})
    assert stale.status_code == 400 and code(stale) == "5010"
    assert stale.json()["Fault"]["type"] == "ValidationFault"
    full = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "1", "DisplayName": "Umbrella Corp"})
    assert full["SyncToken"] == "2" and "Notes" not in full and "PrimaryEmailAddr" not in full
    missing = qbo.post("customer", {"Id": c["Id"], "sparse": True, "Notes": "x"})
    assert code(missing) == "2020"


def test_display_name_unique_across_customers_and_vendors(qbo):
    r = qbo.post("customer", {"DisplayName": "Northwind Supplies"})
    assert r.status_code == 400 and code(r) == "6240"
    assert r.json()["Fault"]["Error"][0]["Message"] == "Duplicate Name Exists Error"
    assert code(qbo.post("vendor", {"DisplayName": "acme ltd"})) == "6240"
    vendor = qbo.create("Vendor", {"DisplayName": "Fresh Vendor"})
    assert vendor["Id"]


def test_name_required_and_built(qbo):
    assert code(qbo.post("customer", {"Notes": "nameless"})) == "6080"
    c = qbo.create("Customer", {"GivenName": "Jane", "FamilyName": "Roe"})
    assert c["DisplayName"] == "Jane Roe"
    assert code(qbo.post("customer", {"DisplayName": "A:B"})) == "2040"
    assert code(qbo.post("customer", {"DisplayName": "x" * 501})) == "2050"


def test_deactivated_customer_is_renamed_and_hidden(qbo):
    c = qbo.create("Customer", {"DisplayName": "Short Lived"})
    off = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert off["Active"] is False and off["DisplayName"] == "Short Lived (deleted)"
    assert qbo.rows("SELECT * FROM Customer WHERE DisplayName LIKE 'Short%'") == []
    assert qbo.create("Customer", {"DisplayName": "Short Lived"})["Id"] != c["Id"]


def test_unknown_property_and_bad_json(qbo):
    assert code(qbo.post("customer", {"DisplayName": "X", "Nickname": "y"})) == "2010"
    r = qbo.http.post(qbo.url("customer"), content=b"{not json", headers=qbo.headers({"Content-Type": "application/json"}))
    assert r.status_code == 400 and code(r) == "2010"


def test_read_missing_is_610_and_unknown_resource_500(qbo):
    assert code(qbo.get("customer/9999")) == "610"
    assert code(qbo.get("widget/1")) == "500"


def test_items_accounts_classes_terms(qbo):
    income = qbo.rows("SELECT * FROM Account WHERE AccountType = 'Income' AND Active = true")[0]
    cat = qbo.create("Item", {"Name": "Cloud", "Type": "Category"})
    item = qbo.create("Item", {"Name": "Hosting", "Type": "Service", "UnitPrice": 99,
                               "IncomeAccountRef": {"value": income["Id"]}, "ParentRef": {"value": cat["Id"]}})
    assert item["FullyQualifiedName"] == "Cloud:Hosting" and item["SubItem"] is True
    assert code(qbo.post("item", {"Name": "NoAccount", "Type": "Service"})) == "2020"
    assert code(qbo.post("item", {"Name": "NoType"})) == "2020"
    assert code(qbo.post("item", {"Name": "hosting", "Type": "Service",
                                  "IncomeAccountRef": {"value": income["Id"]}})) == "6240"
    assert code(qbo.post("item", {"Name": "Bad", "Type": "Service",
                                  "IncomeAccountRef": {"value": "999"}})) == "2500"
    acc = qbo.create("Account", {"Name": "Consulting Revenue", "AccountType": "Income"})
    assert acc["Classification"] == "Revenue"
    assert code(qbo.post("account", {"Name": 'Bad "name"', "AccountType": "Income"})) == "2040"
    cls = qbo.create("Class", {"Name": "North"})
    assert cls["FullyQualifiedName"] == "North"
    term = qbo.create("Term", {"Name": "Net 45", "DueDays": 45})
    assert term["Type"] == "STANDARD"
    updated = qbo.create("Term", {"Id": term["Id"], "SyncToken": "0", "sparse": True, "DueDays": 40})
    assert updated["DueDays"] == 40


def test_tax_entities_are_read_only(qbo, uk):
    code_obj = uk.rows("SELECT * FROM TaxCode WHERE Name = '20.0% S'")[0]
    assert uk.get(f"taxcode/{code_obj['Id']}").json()["TaxCode"]["Name"] == "20.0% S"
    rate_id = code_obj["SalesTaxRateList"]["TaxRateDetail"][0]["TaxRateRef"]["value"]
    assert uk.get(f"taxrate/{rate_id}").json()["TaxRate"]["RateValue"] == 20
    assert code(uk.post("taxcode", {"Name": "New"})) == "500"
    assert code(qbo.post("taxrate", {"Name": "New"})) == "500"


def test_name_lists_cannot_be_deleted(qbo):
    r = qbo.post("customer", {"Id": "1", "SyncToken": "0"}, operation="delete")
    assert r.status_code == 400 and code(r) == "500"


def test_taxservice_creates_codes_and_rates(uk):
    r = uk.post("taxservice/taxcode", {"TaxCode": "Green levy", "TaxRateDetails": [
        {"TaxRateName": "Green 7", "RateValue": 7, "TaxAgencyId": "1", "TaxApplicableOn": "Sales"}]})
    assert r.status_code == 200, r.text
    body = r.json()
    code_obj = uk.get(f"taxcode/{body['TaxCodeId']}").json()["TaxCode"]
    assert code_obj["Name"] == "Green levy"
    rate_id = body["TaxRateDetails"][0]["TaxRateId"]
    assert uk.get(f"taxrate/{rate_id}").json()["TaxRate"]["RateValue"] == 7
    inv = uk.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 100,
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "TaxCodeRef": {"value": body["TaxCodeId"]}}}]})
    assert inv["TotalAmt"] == 107
    dup = uk.post("taxservice/taxcode", {"TaxCode": "Green levy", "TaxRateDetails": [{"TaxRateId": rate_id}]})
    assert code(dup) == "6240"


def test_reactivation_restores_the_name_even_at_the_length_limit(qbo):
    longest = "L" * 500
    c = qbo.create("Customer", {"DisplayName": longest})
    off = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert off["DisplayName"] == longest + " (deleted)"
    sparse_on = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "1", "sparse": True, "Active": True})
    assert sparse_on["Active"] is True and sparse_on["DisplayName"] == longest
    off = qbo.create("Customer", dict(sparse_on, Active=False))
    full_on = qbo.create("Customer", dict(off, Active=True))  # the stored inactive object echoed
    assert full_on["DisplayName"] == longest
    assert [r["Id"] for r in qbo.rows(f"SELECT * FROM Customer WHERE DisplayName = '{longest}'")] == [c["Id"]]


def test_a_name_ending_like_the_mark_survives_a_round_trip(qbo):
    c = qbo.create("Customer", {"DisplayName": "Bits (deleted)"})
    off = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "0", "sparse": True, "Active": False})
    assert off["DisplayName"] == "Bits (deleted) (deleted)"
    on = qbo.create("Customer", {"Id": c["Id"], "SyncToken": "1", "sparse": True, "Active": True})
    assert on["DisplayName"] == "Bits (deleted)"
