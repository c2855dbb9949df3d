"""The seeded organisations: a UK VAT org, a US sales-tax org, a small NZ GST org (each with
its base currency only) and a multicurrency UK org (GBP, with EUR and USD added).

Ids are fixed (uuid5 of the tenant id and a local key) so a reset gives the same data, and the
tenant ids are documented in ``plugins/xero/README.md``.
"""

from __future__ import annotations

import uuid

UK_TENANT_ID = "3f1d6c2a-8b4e-4f7a-9c1d-2e5b7a9c0d11"
US_TENANT_ID = "9a2e4b6c-1d3f-4a5b-8c7d-6e9f0a1b2c22"
NZ_TENANT_ID = "5c7e9a1b-3d5f-4b7a-8e9c-0a2b4c6d8e33"
MC_TENANT_ID = "7d4b2f8e-6a1c-4e3d-9b5f-1c3e5a7b9d44"
TENANT_IDS = (UK_TENANT_ID, US_TENANT_ID, NZ_TENANT_ID, MC_TENANT_ID)

SEED_TIMESTAMP = "2026-01-05T09:00:00.000"


def sid(tenant_id: str, key: str) -> str:
    """A stable id for a seeded record."""
    return str(uuid.uuid5(uuid.UUID(tenant_id), key))


def _tax(name, tax_type, rate, report, revenue=True, expenses=False, status="ACTIVE"):
    return {
        "Name": name, "TaxType": tax_type, "Status": status, "ReportTaxType": report,
        "CanApplyToAssets": expenses, "CanApplyToEquity": expenses,
        "CanApplyToExpenses": expenses, "CanApplyToLiabilities": expenses,
        "CanApplyToRevenue": revenue, "DisplayTaxRate": float(rate), "EffectiveRate": float(rate),
        "TaxComponents": [{"Name": name.split(" (")[0], "Rate": float(rate), "IsCompound": False,
                           "IsNonRecoverable": False}],
    }


def _account(tenant, code, name, type_, klass, tax, status="ACTIVE", **extra):
    account = {
        "AccountID": sid(tenant, f"account:{code}"), "Code": code, "Name": name, "Type": type_,
        "Class": klass, "Status": status, "TaxType": tax, "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": False, "HasAttachments": False, "AddToWatchlist": False,
        "ReportingCode": "", "UpdatedDateUTC": SEED_TIMESTAMP,
    }
    if type_ == "BANK":
        account.update({"BankAccountType": "BANK", "BankAccountNumber": "12-3456-7890123-00"})
    account.update(extra)
    return account


def _tracking(tenant, name, options, archived=()):
    cat_id = sid(tenant, f"tracking:{name}")
    return {
        "TrackingCategoryID": cat_id, "Name": name, "Status": "ACTIVE",
        "Options": [
            {"TrackingOptionID": sid(tenant, f"tracking:{name}:{opt}"), "Name": opt,
             "Status": "ARCHIVED" if opt in archived else "ACTIVE"}
            for opt in list(options) + list(archived)
        ],
    }


def _item(tenant, code, name, price, account, tax):
    return {
        "ItemID": sid(tenant, f"item:{code}"), "Code": code, "Name": name, "Description": name,
        "IsSold": True, "IsPurchased": False, "IsTrackedAsInventory": False,
        "SalesDetails": {"UnitPrice": float(price), "AccountCode": account, "TaxType": tax},
        "UpdatedDateUTC": SEED_TIMESTAMP,
    }


def _contact(tenant, key, name, email, number=None, status="ACTIVE", **extra):
    contact = {
        "ContactID": sid(tenant, f"contact:{key}"), "ContactStatus": status, "Name": name,
        "EmailAddress": email, "ContactPersons": [], "Addresses": [], "Phones": [],
        "IsSupplier": False, "IsCustomer": False, "HasAttachments": False,
        "HasValidationErrors": False, "UpdatedDateUTC": SEED_TIMESTAMP,
    }
    if number:
        contact["ContactNumber"] = number
    contact.update(extra)
    return contact


def _organisation(tenant, name, version, country, currency, timezone, short_code, tax_label):
    return {
        "OrganisationID": tenant, "APIKey": "", "Name": name, "LegalName": f"{name} Limited",
        "PaysTax": True, "Version": version, "OrganisationType": "COMPANY",
        "BaseCurrency": currency, "CountryCode": country, "IsDemoCompany": False,
        "OrganisationStatus": "ACTIVE", "FinancialYearEndDay": 31, "FinancialYearEndMonth": 12,
        "SalesTaxBasis": "ACCRUALS" if version != "US" else "ACCRUAL",
        "SalesTaxPeriod": "QUARTERLY1" if version != "US" else "MONTHLY",
        "DefaultSalesTax": "Tax Exclusive", "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": SEED_TIMESTAMP, "Timezone": timezone,
        "OrganisationEntityType": "COMPANY", "ShortCode": short_code, "Class": "STANDARD",
        "Edition": "BUSINESS", "LineOfBusiness": "Professional services",
        "Addresses": [], "Phones": [], "ExternalLinks": [],
        "PaymentTerms": {"Sales": {"Day": 30, "Type": "DAYSAFTERBILLDATE"}},
        "_tax_label": tax_label,
    }


def _uk(t=UK_TENANT_ID, name="Ashdown Consulting (UK)", short_code="!uK7dA", currencies=()):
    return {
        "organisation": _organisation(t, name, "UK", "GB", "GBP", "GMTSTANDARDTIME", short_code,
                                      "VAT"),
        "currencies": list(currencies),
        "tax_rates": [
            _tax("20% (VAT on Income)", "OUTPUT2", 20, "OUTPUT"),
            _tax("5% (VAT on Income)", "RROUTPUT", 5, "OUTPUT"),
            _tax("Zero Rated Income", "ZERORATEDOUTPUT", 0, "OUTPUT"),
            _tax("Exempt Income", "EXEMPTOUTPUT", 0, "EXEMPTOUTPUT"),
            _tax("No VAT", "NONE", 0, "NONE", expenses=True),
            _tax("20% (VAT on Expenses)", "INPUT2", 20, "INPUT", revenue=False, expenses=True),
        ],
        "accounts": [
            _account(t, "200", "Sales", "SALES", "REVENUE", "OUTPUT2"),
            _account(t, "210", "Consulting Fees", "REVENUE", "REVENUE", "OUTPUT2"),
            _account(t, "260", "Other Revenue", "OTHERINCOME", "REVENUE", "OUTPUT2"),
            _account(t, "250", "Legacy Services", "REVENUE", "REVENUE", "OUTPUT2",
                     status="ARCHIVED"),
            _account(t, "090", "Business Bank Account", "BANK", "ASSET", "NONE",
                     EnablePaymentsToAccount=True),
            _account(t, "610", "Accounts Receivable", "CURRENT", "ASSET", "NONE",
                     SystemAccount="DEBTORS"),
            _account(t, "820", "VAT", "CURRLIAB", "LIABILITY", "NONE", SystemAccount="GST"),
            _account(t, "400", "Advertising", "EXPENSE", "EXPENSE", "INPUT2"),
        ],
        "tracking": [
            _tracking(t, "Region", ["North", "South"], archived=["West"]),
            _tracking(t, "Department", ["Consulting", "Support"]),
        ],
        "items": [
            _item(t, "CONSULT", "Consulting hour", 150, "210", "OUTPUT2"),
            _item(t, "SUPPORT", "Support retainer", 500, "200", "OUTPUT2"),
        ],
        "contacts": [
            _contact(t, "acme", "Acme Widgets Ltd", "accounts@acme.example", "PSA-C-1"),
            _contact(t, "bluebird", "Bluebird Analytics", "billing@bluebird.example"),
            _contact(t, "oldco", "Oldco Holdings", "ap@oldco.example", status="ARCHIVED"),
        ],
        "invoice_prefix": "INV-", "credit_note_prefix": "CN-",
    }


def _us():
    t = US_TENANT_ID
    return {
        "organisation": _organisation(t, "Hudson Advisory (US)", "US", "US", "USD",
                                      "EASTERNSTANDARDTIME", "!uS4hX", "Sales Tax"),
        "tax_rates": [
            _tax("Tax Exempt", "NONE", 0, "NONE", expenses=True),
            _tax("NY State Sales Tax", "TAX001", 8.875, "OUTPUT"),
            _tax("CA Sales Tax", "TAX002", 7.25, "OUTPUT"),
            _tax("Old County Tax", "TAX003", 1.0, "OUTPUT", status="ARCHIVED"),
        ],
        "accounts": [
            _account(t, "4000", "Sales", "SALES", "REVENUE", "TAX001"),
            _account(t, "4010", "Consulting Income", "REVENUE", "REVENUE", "TAX001"),
            _account(t, "4090", "Discontinued Services", "REVENUE", "REVENUE", "NONE",
                     status="ARCHIVED"),
            _account(t, "1000", "Checking Account", "BANK", "ASSET", "NONE",
                     EnablePaymentsToAccount=True),
            _account(t, "1200", "Accounts Receivable", "CURRENT", "ASSET", "NONE",
                     SystemAccount="DEBTORS"),
            _account(t, "6000", "Office Expenses", "EXPENSE", "EXPENSE", "NONE"),
        ],
        "tracking": [
            _tracking(t, "Class", ["Advisory", "Implementation"]),
            _tracking(t, "Location", ["New York", "San Francisco"]),
        ],
        "items": [_item(t, "ADVISORY", "Advisory hour", 200, "4010", "TAX001")],
        "contacts": [
            _contact(t, "globex", "Globex Corporation", "ap@globex.example", "PSA-C-7"),
            _contact(t, "initech", "Initech LLC", "finance@initech.example"),
        ],
        "invoice_prefix": "INV-", "credit_note_prefix": "CN-",
    }


def _nz():
    t = NZ_TENANT_ID
    return {
        "organisation": _organisation(t, "Kowhai Design (NZ)", "NZ", "NZ", "NZD",
                                      "NEWZEALANDSTANDARDTIME", "!nZ2kW", "GST"),
        "tax_rates": [
            _tax("15% GST on Income", "OUTPUT2", 15, "OUTPUT"),
            _tax("No GST", "NONE", 0, "NONE", expenses=True),
            _tax("Zero Rated", "ZERORATED", 0, "OUTPUT"),
            _tax("15% GST on Expenses", "INPUT2", 15, "INPUT", revenue=False, expenses=True),
        ],
        "accounts": [
            _account(t, "200", "Sales", "SALES", "REVENUE", "OUTPUT2"),
            _account(t, "090", "Business Bank Account", "BANK", "ASSET", "NONE",
                     EnablePaymentsToAccount=True),
        ],
        "tracking": [_tracking(t, "Region", ["Auckland", "Wellington"])],
        "items": [],
        "contacts": [_contact(t, "tui", "Tui Studios", "hello@tui.example")],
        "invoice_prefix": "INV-", "credit_note_prefix": "CN-",
    }


def _multicurrency():
    """The UK chart of accounts in an organisation that has added EUR and USD."""
    return _uk(MC_TENANT_ID, "Ashdown Global (UK, multicurrency)", "!mC3gL", ("EUR", "USD"))


def seed_orgs() -> dict[str, dict]:
    """Fresh seed data keyed by tenant id."""
    return {org["organisation"]["OrganisationID"]: org
            for org in (_uk(), _us(), _nz(), _multicurrency())}
