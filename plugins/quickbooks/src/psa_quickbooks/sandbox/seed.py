"""Seeded demo companies (realms). Ids are stable so tests and demos can rely on them.

=====================  ========  ==========================================================
realmId                country   what it exercises
=====================  ========  ==========================================================
9130000000000001       US        sales tax (TAX/NON lines, "Springfield" 8 % code), auto numbers,
                                 invoice custom fields "PO Number" (1) and "Crew #" (2)
9130000000000002       GB        VAT: a TaxCode required on every line, TaxExcluded/Inclusive
9130000000000003       US        Custom Transaction Numbers on
9130000000000004       US        class tracking per line (classes East/West)
9130000000000005       US        multicurrency (home USD; EUR and GBP in the currency list,
                                 CAD inactive; QuickBooks' rates EUR 1.085, GBP 1.27)
=====================  ========  ==========================================================

Every company has income accounts, items (a Category, an inactive item), customers (one
inactive), terms, and a vendor "Northwind Supplies" whose name collides with nothing yet.
"""
from __future__ import annotations

from . import customfields
from .store import Company
from .timefmt import qbo_time

US_REALM = "9130000000000001"
UK_REALM = "9130000000000002"
CUSTOM_NUMBERS_REALM = "9130000000000003"
CLASSES_REALM = "9130000000000004"
MULTICURRENCY_REALM = "9130000000000005"

DEFAULT_REALMS = {
    "us": US_REALM,
    "uk": UK_REALM,
    "custom_numbers": CUSTOM_NUMBERS_REALM,
    "classes": CLASSES_REALM,
    "multicurrency": MULTICURRENCY_REALM,
}

COMPANY_NAMES = {
    US_REALM: "Sandbox Company US (Sales Tax)",
    UK_REALM: "Sandbox Company UK (VAT)",
    CUSTOM_NUMBERS_REALM: "Sandbox Company US (Custom Numbers)",
    CLASSES_REALM: "Sandbox Company US (Classes)",
    MULTICURRENCY_REALM: "Sandbox Company US (Multicurrency)",
}

#: QuickBooks' own exchange rates of the multicurrency company (home-currency units per one).
EXCHANGE_RATES = {"EUR": [{"AsOfDate": "2026-01-01", "Rate": 1.085}],
                  "GBP": [{"AsOfDate": "2026-01-01", "Rate": 1.27}],
                  "CAD": [{"AsOfDate": "2026-01-01", "Rate": 0.73}]}


#: The invoice custom fields each company defines (Preferences, :mod:`.customfields`).
CUSTOM_FIELDS = {US_REALM: {"1": "PO Number", "2": "Crew #"},
                 CUSTOM_NUMBERS_REALM: {"1": "PO Number"}}


def _prefs(*, us: bool, custom_numbers: bool = False, class_per_line: bool = False,
           multicurrency: bool = False, custom_fields: dict | None = None) -> dict:
    return {
        "AccountingInfoPrefs": {
            "TrackDepartments": False, "DepartmentTerminology": "Location",
            "ClassTrackingPerTxn": False, "ClassTrackingPerTxnLine": class_per_line,
            "CustomerTerminology": "Customers", "FirstMonthOfFiscalYear": "January",
            "UseAccountNumbers": False,
        },
        "SalesFormsPrefs": {
            "CustomTxnNumbers": custom_numbers, "AllowDiscount": True, "AllowDeposit": False,
            "AllowShipping": False, "AllowServiceDate": True, "AllowEstimates": True,
            "ETransactionPaymentEnabled": False, "DefaultTerms": {"value": "3"},
            "AutoApplyCredit": False,
            "CustomField": customfields.preference(custom_fields or {}),
        },
        "TaxPrefs": ({"UsingSalesTax": True, "PartnerTaxEnabled": False,
                      "TaxGroupCodeRef": {"value": "2"}} if us else
                     {"UsingSalesTax": True}),
        "CurrencyPrefs": {"MultiCurrencyEnabled": multicurrency,
                          "HomeCurrency": {"value": "USD" if us else "GBP"}},
        "ProductAndServicesPrefs": {"ForSales": True, "ForPurchase": True,
                                    "RevenueRecognitionEnabled": False},
        "OtherPrefs": {"NameValue": []},
    }


def _info(realm: str, us: bool, now: str) -> dict:
    addr = ({"Line1": "2600 Marine Way", "City": "Mountain View", "CountrySubDivisionCode": "CA",
             "PostalCode": "94043", "Country": "US"} if us else
            {"Line1": "1 Sandbox Lane", "City": "London", "PostalCode": "EC1A 1AA", "Country": "GB"})
    return {
        "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": False,
        "CompanyName": COMPANY_NAMES[realm], "LegalName": COMPANY_NAMES[realm] + " LLC",
        "CompanyAddr": addr, "LegalAddr": addr, "Country": "US" if us else "GB",
        "Email": {"Address": "owner@sandbox.example"}, "FiscalYearStartMonth": "January",
        "SupportedLanguages": "en", "DefaultTimeZone": "America/Los_Angeles" if us else "Europe/London",
        "CompanyStartDate": "2024-01-01",
        "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                      {"Name": "SubscriptionStatus", "Value": "SUBSCRIBED"},
                      {"Name": "NeoEnabled", "Value": "true"}],
        "MetaData": {"CreateTime": now, "LastUpdatedTime": now},
    }


def build_company(realm: str, clock_now: float) -> Company:
    us = realm != UK_REALM
    now = qbo_time(clock_now)
    company = Company.new(realm, _info(realm, us, now), _prefs(
        us=us, custom_numbers=realm == CUSTOM_NUMBERS_REALM, class_per_line=realm == CLASSES_REALM,
        multicurrency=realm == MULTICURRENCY_REALM, custom_fields=CUSTOM_FIELDS.get(realm)))

    def add(entity: str, **fields) -> dict:
        obj = {"Id": company.next_id(entity), "SyncToken": "0", "domain": "QBO", "sparse": False,
               **fields, "MetaData": {"CreateTime": now, "LastUpdatedTime": now}}
        return company.put(entity, obj)

    # Accounts
    ar = add("Account", Name="Accounts Receivable (A/R)", AccountType="Accounts Receivable",
             AccountSubType="AccountsReceivable", Classification="Asset", Active=True)
    services = add("Account", Name="Services", AccountType="Income", AccountSubType="ServiceFeeIncome",
                   Classification="Revenue", Active=True)
    product_income = add("Account", Name="Sales of Product Income", AccountType="Income",
                         AccountSubType="SalesOfProductIncome", Classification="Revenue", Active=True)
    add("Account", Name="Discounts given", AccountType="Income", AccountSubType="DiscountsRefundsGiven",
        Classification="Revenue", Active=True)
    add("Account", Name="Undeposited Funds", AccountType="Other Current Asset",
        AccountSubType="UndepositedFunds", Classification="Asset", Active=True)
    add("Account", Name="Checking", AccountType="Bank", AccountSubType="Checking",
        Classification="Asset", Active=True)
    cogs = add("Account", Name="Cost of Goods Sold", AccountType="Cost of Goods Sold",
               AccountSubType="SuppliesMaterialsCogs", Classification="Expense", Active=True)
    add("Account", Name="Old Income (inactive)", AccountType="Income", AccountSubType="OtherPrimaryIncome",
        Classification="Revenue", Active=False)
    for acc in company.all("Account"):
        acc["FullyQualifiedName"] = acc["Name"]
        acc["CurrentBalance"] = 0
        acc["CurrencyRef"] = {"value": "USD" if us else "GBP"}
    del ar

    # Terms ("Net 30" is Id 3 as in Intuit's samples)
    add("Term", Name="Due on receipt", Active=True, Type="STANDARD", DueDays=0)
    add("Term", Name="Net 15", Active=True, Type="STANDARD", DueDays=15)
    add("Term", Name="Net 30", Active=True, Type="STANDARD", DueDays=30)
    add("Term", Name="Net 60", Active=True, Type="STANDARD", DueDays=60)

    # Tax
    if us:
        rate = add("TaxRate", Name="Springfield City", RateValue=8, Active=True, AgencyRef={"value": "1"},
                   SpecialTaxType="NONE", DisplayType="ReadOnly")
        add("TaxCode", Name="TAX", Description="TAX", Active=True, Taxable=True, TaxGroup=False,
            Hidden=False, TaxCodeConfigType="SYSTEM_GENERATED")
        add("TaxCode", Name="Springfield", Description="Springfield sales tax", Active=True,
            Taxable=True, TaxGroup=True, Hidden=False, TaxCodeConfigType="USER_DEFINED",
            SalesTaxRateList={"TaxRateDetail": [{"TaxRateRef": {"value": rate["Id"], "name": rate["Name"]},
                                                 "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}]},
            PurchaseTaxRateList={"TaxRateDetail": []})
        company.table("TaxCode")["TAX"] = company.table("TaxCode").pop("1")
        company.table("TaxCode")["TAX"]["Id"] = "TAX"
        company.put("TaxCode", {"Id": "NON", "SyncToken": "0", "domain": "QBO", "sparse": False,
                                "Name": "NON", "Description": "NON", "Active": True, "Taxable": False,
                                "TaxGroup": False, "Hidden": False, "TaxCodeConfigType": "SYSTEM_GENERATED",
                                "MetaData": {"CreateTime": now, "LastUpdatedTime": now}})
    else:
        rates = {}
        for name, value in (("20.0% S", 20), ("5.0% R", 5), ("0.0% Z", 0), ("Exempt", 0)):
            rates[name] = add("TaxRate", Name=name, RateValue=value, Active=True,
                              AgencyRef={"value": "1"}, SpecialTaxType="NONE", DisplayType="ReadOnly")
        for name, taxable in (("20.0% S", True), ("5.0% R", True), ("0.0% Z", True), ("Exempt", False)):
            rate = rates[name]
            add("TaxCode", Name=name, Description=f"VAT {name}", Active=True, Taxable=taxable,
                TaxGroup=False, Hidden=False, TaxCodeConfigType="SYSTEM_GENERATED",
                SalesTaxRateList={"TaxRateDetail": [{"TaxRateRef": {"value": rate["Id"], "name": name},
                                                     "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}]},
                PurchaseTaxRateList={"TaxRateDetail": []})

    # The currency list and QuickBooks' rates (multicurrency company only)
    if realm == MULTICURRENCY_REALM:
        for code, name, active in (("EUR", "Euro", True), ("GBP", "British Pound Sterling", True),
                                   ("CAD", "Canadian Dollar", False)):
            add("CompanyCurrency", Code=code, Name=name, Active=active)
        company.data["exchange_rates"] = {code: [dict(r) for r in rates]
                                          for code, rates in EXCHANGE_RATES.items()}

    # Classes
    add("Class", Name="East", FullyQualifiedName="East", SubClass=False, Active=True)
    add("Class", Name="West", FullyQualifiedName="West", SubClass=False, Active=True)

    # Items
    def item(name, type_, price, income=services, active=True, parent=None, taxable=True, **extra):
        fields = dict(Name=name, Type=type_, Active=active, UnitPrice=price,
                      FullyQualifiedName=f"{parent['Name']}:{name}" if parent else name,
                      Description=extra.pop("Description", name), **extra)
        if type_ != "Category":
            fields["IncomeAccountRef"] = {"value": income["Id"], "name": income["Name"]}
            if us:
                fields["Taxable"] = taxable
            else:
                fields["ExpenseAccountRef"] = {"value": cogs["Id"], "name": cogs["Name"]}
                fields["SalesTaxCodeRef"] = {"value": _code_id(company, "20.0% S")}
        else:
            fields.pop("UnitPrice")
            fields["Level"] = 0
        if parent:
            fields.update(SubItem=True, ParentRef={"value": parent["Id"], "name": parent["Name"]}, Level=1)
        return add("Item", **fields)

    category = item("Professional Services", "Category", 0)
    item("Consulting", "Service", 150, parent=category)
    item("Travel", "Service", 0, taxable=False)
    item("Hardware", "NonInventory", 250, income=product_income)
    item("Legacy Support", "Service", 90, active=False)

    # Customers and a vendor
    def customer(name, email, active=True, **extra):
        addr = {"Line1": "1 Main St", "City": "Springfield", "CountrySubDivisionCode": "IL",
                "PostalCode": "62701", "Country": "US"} if us else {
                "Line1": "10 High Street", "City": "Leeds", "PostalCode": "LS1 1AA", "Country": "GB"}
        return add("Customer", DisplayName=name, FullyQualifiedName=name, CompanyName=name,
                   PrintOnCheckName=name, Active=active, PrimaryEmailAddr={"Address": email},
                   BillAddr=dict(addr, Id="1"), ShipAddr=dict(addr, Id="1"), Taxable=us, Job=False,
                   BillWithParent=False,
                   CurrencyRef={"value": "USD" if us else "GBP"}, PreferredDeliveryMethod="Email",
                   SalesTermRef={"value": "3"}, **extra)

    customer("Acme Ltd", "ap@acme.example")
    customer("Globex Corporation", "billing@globex.example")
    customer("Adam's Candy Shop", "adam@candy.example")
    customer("Initech (closed)", "ap@initech.example", active=False)
    add("Vendor", DisplayName="Northwind Supplies", PrintOnCheckName="Northwind Supplies",
        CompanyName="Northwind Supplies", Active=True,
        CurrencyRef={"value": "USD" if us else "GBP"})
    return company


def _code_id(company: Company, name: str) -> str:
    for code in company.all("TaxCode"):
        if code["Name"] == name:
            return code["Id"]
    raise KeyError(name)


def seed_all(state, clock_now: float, realms=None) -> list[str]:
    """Create (or re-create) the demo companies in ``state``; returns the realm ids."""
    realms = list(realms or DEFAULT_REALMS.values())
    for realm in realms:
        if realm not in COMPANY_NAMES:
            raise ValueError(f"unknown realm {realm}; known: {sorted(COMPANY_NAMES)}")
        state.add(build_company(realm, clock_now))
    return realms
