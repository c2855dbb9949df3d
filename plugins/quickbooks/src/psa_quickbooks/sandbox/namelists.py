"""Name-list entities: Customer, Vendor, Item, Account, Class, Term (reference 3.4-3.9).

Each ``build_<entity>`` validates a merged body and returns the stored form. Name lists are
never deleted; an update with ``"Active": false`` makes them inactive. Like QBO, a Customer or
Vendor made inactive is renamed ``"<name> (deleted)"``, which frees its DisplayName, and gets its
name back when it is made active again (see NOTES.md).
"""
from __future__ import annotations

from . import currencies, faults
from .balances import take_opening_balance
from .validation import blank, check_length, named_ref, resolve_ref

DELETED_SUFFIX = " (deleted)"
#: stored-only key: an inactive record's name without the suffix (restored on reactivation)
ACTIVE_NAME = "_active_name"
ACCOUNT_CLASSIFICATION = {
    "Bank": "Asset", "Accounts Receivable": "Asset", "Other Current Asset": "Asset",
    "Fixed Asset": "Asset", "Other Asset": "Asset", "Accounts Payable": "Liability",
    "Credit Card": "Liability", "Other Current Liability": "Liability",
    "Long Term Liability": "Liability", "Equity": "Equity", "Income": "Revenue",
    "Other Income": "Revenue", "Cost of Goods Sold": "Expense", "Expense": "Expense",
    "Other Expense": "Expense",
}
DEFAULT_SUBTYPE = {"Income": "ServiceFeeIncome", "Bank": "Checking", "Expense": "OtherMiscellaneousExpense"}
ITEM_TYPES = {"Service", "NonInventory", "Inventory", "Category", "Group", "Bundle"}


def _no_colon(obj: dict, field: str, quote_too: bool = False) -> None:
    value = obj.get(field)
    if isinstance(value, str) and (":" in value or (quote_too and '"' in value)):
        raise faults.QboFault(2040, "Invalid String",
                              f"The {field} cannot contain a colon (:)" + (' or a quote (")' if quote_too else ""),
                              field)


def _unique(company, entities: tuple[str, ...], field: str, value: str, self_id, kind: str) -> None:
    wanted = value.strip().lower()
    for entity in entities:
        for other in company.all(entity):
            if str(other.get(field, "")).strip().lower() == wanted and not (
                    other["Id"] == self_id and entity == entities[0]):
                raise faults.duplicate_name(kind)


def _active_name(obj: dict, existing: dict | None) -> str:
    """The record's name without the `` (deleted)`` mark QBO adds while it is inactive.

    The stored inactive name echoed back (a full update or a sparse one that leaves
    DisplayName out) stands for the name the record had before it was made inactive, kept in
    ``_active_name``. The mark is QBO's, so it never counts toward the 500-character limit.
    """
    name = obj["DisplayName"]
    if existing is not None and existing.get("Active") is False and name == existing.get("DisplayName"):
        return existing.get(ACTIVE_NAME) or name.removesuffix(DELETED_SUFFIX)
    return name


def build_person(company, entity: str, obj: dict, existing: dict | None) -> dict:
    """Customer and Vendor: DisplayName rules (6080, 6240), lengths, references."""
    for field, limit in (("GivenName", 100), ("MiddleName", 100), ("FamilyName", 100),
                         ("Title", 16), ("Suffix", 16), ("CompanyName", 100), ("Notes", 2000),
                         ("PrintOnCheckName", 110)):
        check_length(obj, field, limit)
    if blank(obj.get("DisplayName")):
        parts = [obj.get(k) for k in ("Title", "GivenName", "MiddleName", "FamilyName", "Suffix")]
        parts = [p for p in parts if not blank(p)]
        if not parts:
            if existing is not None and existing.get("DisplayName"):
                raise faults.required("DisplayName")
            raise faults.QboFault(6080, "No Name Provided",
                                  "Please provide at least one of Title, GivenName, MiddleName, "
                                  "FamilyName, Suffix or DisplayName.")
        obj["DisplayName"] = " ".join(parts)
    _no_colon(obj, "DisplayName")
    active = obj.get("Active", True) is not False
    name = _active_name(obj, existing)
    check_length({"DisplayName": name}, "DisplayName", 500)
    obj.pop(ACTIVE_NAME, None)
    obj.setdefault("PrintOnCheckName", name[:110])  # QBO's default, cut to its 110 characters
    if not active:
        obj[ACTIVE_NAME] = name
        name += DELETED_SUFFIX
    obj["DisplayName"] = name
    if existing is None or existing.get("DisplayName") != name:
        _unique(company, (entity,) + tuple(e for e in ("Customer", "Vendor") if e != entity),
                "DisplayName", name, existing and existing["Id"], "customer, vendor or employee")
    obj["Active"] = active
    obj["FullyQualifiedName"] = name
    for ref_field, target in (("SalesTermRef", "Term"), ("TermRef", "Term")):
        if not blank(obj.get(ref_field)):
            obj[ref_field] = named_ref(resolve_ref(company, target, obj[ref_field], ref_field))
    email = obj.get("PrimaryEmailAddr")
    if isinstance(email, dict):
        check_length(email, "Address", 100, "PrimaryEmailAddr.Address")
    obj["CurrencyRef"] = existing.get("CurrencyRef") if existing else currencies.ref(
        currencies.currency_of(company, obj.get("CurrencyRef")))
    take_opening_balance(obj, existing)
    if entity == "Customer":
        obj.setdefault("Taxable", company.is_us)
        obj.setdefault("Job", False)
        obj.setdefault("BillWithParent", False)
    return {k: v for k, v in obj.items() if not blank(v) or isinstance(v, bool)}


def build_item(company, obj: dict, existing: dict | None) -> dict:
    if blank(obj.get("Name")):
        raise faults.required("Name")
    check_length(obj, "Name", 100)
    check_length(obj, "Sku", 100)
    check_length(obj, "Description", 4000)
    _no_colon(obj, "Name")
    item_type = obj.get("Type")
    if blank(item_type):
        raise faults.required("Type")
    if item_type not in ITEM_TYPES:
        raise faults.QboFault(2170, "Invalid Enumeration", f"Invalid Type {item_type!r}", "Type")
    if existing is None or existing.get("Name", "").lower() != obj["Name"].lower():
        _unique(company, ("Item",), "Name", obj["Name"], existing and existing["Id"],
                "product or service")
    parent = None
    if not blank(obj.get("ParentRef")):
        parent = resolve_ref(company, "Item", obj["ParentRef"], "ParentRef")
        if item_type != "Category" and parent.get("Type") != "Category" and not obj.get("SubItem"):
            raise faults.invalid_ref("ParentRef")
        obj["ParentRef"] = named_ref(parent)
        obj["SubItem"] = True
    obj["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{obj['Name']}" if parent else obj["Name"]
    obj["Level"] = (parent.get("Level", 0) + 1) if parent else 0
    if item_type == "Category":
        for key in ("IncomeAccountRef", "ExpenseAccountRef", "UnitPrice", "Taxable"):
            obj.pop(key, None)
    else:
        if item_type in ("Service", "Inventory", "NonInventory"):
            income = resolve_ref(company, "Account", obj.get("IncomeAccountRef"), "IncomeAccountRef",
                                 required=item_type != "NonInventory" or not company.is_us)
            if income is not None:
                if income.get("AccountType") not in ("Income", "Other Income"):
                    raise faults.business("The income account must be an Income account.",
                                          element="IncomeAccountRef")
                obj["IncomeAccountRef"] = named_ref(income)
        if not blank(obj.get("ExpenseAccountRef")):
            obj["ExpenseAccountRef"] = named_ref(
                resolve_ref(company, "Account", obj["ExpenseAccountRef"], "ExpenseAccountRef"))
        if not company.is_us and not blank(obj.get("SalesTaxCodeRef")):
            resolve_ref(company, "TaxCode", obj["SalesTaxCodeRef"], "SalesTaxCodeRef")
        obj.setdefault("UnitPrice", 0)
        if company.is_us:
            obj.setdefault("Taxable", False)
    obj["Active"] = obj.get("Active", True) is not False
    return {k: v for k, v in obj.items() if not blank(v) or isinstance(v, bool) or v == 0}


def build_account(company, obj: dict, existing: dict | None) -> dict:
    if blank(obj.get("Name")):
        raise faults.required("Name")
    check_length(obj, "Name", 100)
    check_length(obj, "AcctNum", 7 if company.is_us else 20)
    _no_colon(obj, "Name", quote_too=True)
    acc_type = obj.get("AccountType")
    if blank(acc_type) and blank(obj.get("AccountSubType")):
        raise faults.required("AccountType")
    if blank(acc_type):
        acc_type = obj["AccountType"] = "Income"
    if acc_type not in ACCOUNT_CLASSIFICATION:
        raise faults.QboFault(2170, "Invalid Enumeration", f"Invalid AccountType {acc_type!r}", "AccountType")
    if existing is None or existing.get("Name", "").lower() != obj["Name"].lower():
        _unique(company, ("Account",), "Name", obj["Name"], existing and existing["Id"], "account")
    obj["Classification"] = ACCOUNT_CLASSIFICATION[acc_type]
    obj.setdefault("AccountSubType", DEFAULT_SUBTYPE.get(acc_type, acc_type.replace(" ", "")))
    obj["FullyQualifiedName"] = obj["Name"]
    obj["Active"] = obj.get("Active", True) is not False
    obj.setdefault("CurrentBalance", 0)
    home = company.pref("CurrencyPrefs", "HomeCurrency") or {"value": "USD"}
    obj.setdefault("CurrencyRef", dict(home))
    return obj


def build_class(company, obj: dict, existing: dict | None) -> dict:
    if blank(obj.get("Name")):
        raise faults.required("Name")
    check_length(obj, "Name", 100)
    _no_colon(obj, "Name")
    if existing is None or existing.get("Name", "").lower() != obj["Name"].lower():
        _unique(company, ("Class",), "Name", obj["Name"], existing and existing["Id"], "class")
    parent = resolve_ref(company, "Class", obj.get("ParentRef"), "ParentRef")
    obj["SubClass"] = parent is not None
    obj["FullyQualifiedName"] = f"{parent['FullyQualifiedName']}:{obj['Name']}" if parent else obj["Name"]
    if parent:
        obj["ParentRef"] = named_ref(parent)
    obj["Active"] = obj.get("Active", True) is not False
    return obj


def build_term(company, obj: dict, existing: dict | None) -> dict:
    if blank(obj.get("Name")):
        raise faults.required("Name")
    check_length(obj, "Name", 31)
    if existing is None or existing.get("Name", "").lower() != obj["Name"].lower():
        _unique(company, ("Term",), "Name", obj["Name"], existing and existing["Id"], "term")
    obj["Type"] = "STANDARD" if not blank(obj.get("DueDays")) or blank(obj.get("DayOfMonthDue")) else "DATE_DRIVEN"
    obj["Active"] = obj.get("Active", True) is not False
    return obj


BUILDERS = {
    "Customer": lambda c, o, e: build_person(c, "Customer", o, e),
    "Vendor": lambda c, o, e: build_person(c, "Vendor", o, e),
    "Item": build_item,
    "Account": build_account,
    "Class": build_class,
    "Term": build_term,
}
