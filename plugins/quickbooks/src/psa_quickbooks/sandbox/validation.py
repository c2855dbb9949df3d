"""Field-level rules shared by every entity: known properties, lengths, references.

Unknown top-level properties give 2010 (QBO rejects misspelled fields); empty strings are
treated as absent (python-quickbooks and others send ``""`` for unset fields, QBO accepts it).
"""
from __future__ import annotations

import re

from . import faults

SYSTEM = {"Id", "SyncToken", "domain", "sparse", "MetaData", "status"}

_SALES = {
    "CustomField", "DocNumber", "TxnDate", "DueDate", "CurrencyRef", "ExchangeRate", "PrivateNote",
    "LinkedTxn", "Line", "TxnTaxDetail", "CustomerRef", "CustomerMemo", "BillAddr", "ShipAddr",
    "ShipFromAddr", "FreeFormAddress", "SalesTermRef", "TotalAmt", "ApplyTaxAfterDiscount",
    "PrintStatus", "EmailStatus", "BillEmail", "BillEmailCc", "BillEmailBcc", "Balance", "Deposit",
    "DepositToAccountRef", "AllowIPNPayment", "AllowOnlinePayment", "AllowOnlineCreditCardPayment",
    "AllowOnlineACHPayment", "InvoiceLink", "DeliveryInfo", "ClassRef", "DepartmentRef",
    "GlobalTaxCalculation", "HomeBalance", "HomeTotalAmt", "TrackingNum", "ShipDate",
    "ShipMethodRef", "ProjectRef", "TaxExemptionRef", "RecurDataRef", "TransactionLocationType",
    "TxnSource", "AutoDocNumber", "EInvoiceStatus", "InvoiceLinkSecurityCode",
    "InvoiceLinkExpiryDate", "RemainingCredit", "PaymentMethodRef", "TxnStatus", "PONumber",
}
_PERSON = {
    "DisplayName", "Title", "GivenName", "MiddleName", "FamilyName", "Suffix", "FullyQualifiedName",
    "CompanyName", "PrintOnCheckName", "PrimaryEmailAddr", "PrimaryPhone", "AlternatePhone",
    "Mobile", "Fax", "WebAddr", "BillAddr", "ShipAddr", "OtherAddr", "Notes", "Active", "Taxable",
    "DefaultTaxCodeRef", "SalesTermRef", "PaymentMethodRef", "PreferredDeliveryMethod",
    "CurrencyRef", "Balance", "BalanceWithJobs", "OpenBalanceDate", "ParentRef", "Job",
    "BillWithParent", "Level", "IsProject", "ResaleNum", "PrimaryTaxIdentifier", "ARAccountRef",
    "CustomerTypeRef", "TaxExemptionReasonId", "SecondaryTaxIdentifier", "GSTIN",
    "BusinessNumber", "GSTRegistrationType", "Source", "ClientEntityId", "TermRef", "APAccountRef",
    "AcctNum", "Vendor1099", "TaxIdentifier", "HasTPAR", "CostRate", "BillRate", "VendorPaymentBankDetail",
    "T4AEligible", "T5018Eligible", "TaxReportingBasis",
}
KNOWN_FIELDS = {
    "Invoice": _SALES,
    "CreditMemo": _SALES,
    "Payment": {"CustomerRef", "TotalAmt", "UnappliedAmt", "Line", "TxnDate", "CurrencyRef",
                "ExchangeRate", "DepositToAccountRef", "PaymentMethodRef", "PaymentRefNum",
                "PrivateNote", "ARAccountRef", "ProcessPayment", "CreditCardPayment", "TxnStatus",
                "LinkedTxn", "CustomField", "TxnSource", "DocNumber", "TransactionLocationType",
                "ProjectRef"},
    "Customer": _PERSON,
    "Vendor": _PERSON,
    "Item": {"Name", "Sku", "Description", "PurchaseDesc", "UnitPrice", "PurchaseCost", "Active",
             "Taxable", "SalesTaxIncluded", "PurchaseTaxIncluded", "SalesTaxCodeRef",
             "PurchaseTaxCodeRef", "ClassRef", "Type", "IncomeAccountRef", "ExpenseAccountRef",
             "AssetAccountRef", "TrackQtyOnHand", "QtyOnHand", "InvStartDate", "SubItem",
             "ParentRef", "Level", "FullyQualifiedName", "PrefVendorRef", "ReorderPoint",
             "UQCDisplayText", "UQCId", "ServiceType", "AbatementRate", "ReverseChargeRate",
             "TaxClassificationRef", "ItemCategoryType", "RatePercent", "PaymentMethodRef"},
    "Account": {"Name", "AcctNum", "AccountType", "AccountSubType", "Classification", "Active",
                "CurrencyRef", "Description", "SubAccount", "ParentRef", "FullyQualifiedName",
                "CurrentBalance", "CurrentBalanceWithSubAccounts", "TaxCodeRef", "TxnLocationType",
                "AccountAlias"},
    "Class": {"Name", "SubClass", "ParentRef", "FullyQualifiedName", "Active"},
    "Term": {"Name", "Active", "Type", "DueDays", "DiscountPercent", "DiscountDays",
             "DayOfMonthDue", "DueNextMonthDays", "DiscountDayOfMonth"},
}

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def blank(value) -> bool:
    return value is None or value == "" or value == {} or value == []


def check_known_fields(entity: str, body: dict) -> None:
    known = KNOWN_FIELDS.get(entity, set()) | SYSTEM
    for key in body:
        if key not in known:
            raise faults.bad_property(
                f'Unrecognized field "{key}" (class com.intuit.schema.finance.v3.{entity}), not '
                "marked as ignorable", key)


def check_length(obj: dict, field: str, limit: int, element: str | None = None) -> None:
    value = obj.get(field)
    if isinstance(value, str) and len(value) > limit:
        raise faults.too_long(element or field, limit)


def valid_email(value) -> bool:
    return isinstance(value, str) and len(value) <= 100 and bool(_EMAIL.match(value))


def ref_value(ref) -> str | None:
    if isinstance(ref, dict) and not blank(ref.get("value")):
        return str(ref["value"])
    if isinstance(ref, (str, int)) and ref != "":
        return str(ref)
    return None


def resolve_ref(company, entity: str, ref, element: str, *, required: bool = False,
                inactive_fault=None) -> dict | None:
    """Look up a reference; missing -> 2500, inactive -> ``inactive_fault`` (default 610)."""
    ident = ref_value(ref)
    if ident is None:
        if required:
            raise faults.required(element.split(".")[-1], element)
        return None
    obj = company.get(entity, ident)
    if obj is None:
        raise faults.invalid_ref(element)
    if obj.get("Active") is False:
        raise (inactive_fault or faults.inactive_ref)(element)
    return obj


def named_ref(obj: dict, name_field: str = "Name") -> dict:
    return {"value": obj["Id"], "name": obj.get(name_field) or obj.get("DisplayName", "")}


def number(value, element: str):
    if isinstance(value, bool):
        raise faults.bad_property(f"{element} failed to parse json object", element)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise faults.QboFault(2110, "Invalid Number", f"Invalid number: {value!r}", element)
