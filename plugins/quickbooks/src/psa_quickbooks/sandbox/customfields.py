"""Invoice custom fields: the three legacy string fields of sales forms (reference 3.1, 3.12).

The company defines them in Preferences, in QuickBooks' own nested shape::

    "SalesFormsPrefs": {"CustomField": [
        {"CustomField": [{"Name": "SalesFormsPrefs.UseSalesCustom1", "Type": "BooleanType",
                          "BooleanValue": true}, ...]},
        {"CustomField": [{"Name": "SalesFormsPrefs.SalesCustomName1", "Type": "StringType",
                          "StringValue": "PO Number"}, ...]}]}

Field ``N`` is defined when ``UseSalesCustomN`` is true; its ``DefinitionId`` on a
transaction is ``"N"``. An invoice carries them as ``CustomField: [{"DefinitionId": "1",
"Name": "PO Number", "Type": "StringType", "StringValue": "PO-7"}]``. On write the sandbox
keeps only defined fields (an unknown ``DefinitionId`` is dropped, see NOTES.md), limits a
value to :data:`MAX_VALUE` characters (2050 otherwise) and merges an update into the stored
fields by ``DefinitionId`` (an empty ``StringValue`` clears one).
"""
from __future__ import annotations

from . import faults

SLOTS = ("1", "2", "3")
#: QuickBooks' limit on a custom field value (the sales form's field takes 31 characters).
MAX_VALUE = 31


def preference(names: dict[str, str]) -> list[dict]:
    """The ``SalesFormsPrefs.CustomField`` value defining ``names`` ({slot: name}); slots
    not named are off."""
    use = [{"Name": f"SalesFormsPrefs.UseSalesCustom{n}", "Type": "BooleanType",
            "BooleanValue": bool(names.get(n))} for n in SLOTS]
    named = [{"Name": f"SalesFormsPrefs.SalesCustomName{n}", "Type": "StringType",
              "StringValue": names.get(n, "")} for n in SLOTS]
    return [{"CustomField": use}, {"CustomField": named}]


def definitions(company) -> dict[str, str]:
    """The defined fields, {DefinitionId: Name}, read from the company's preferences."""
    flags: dict[str, bool] = {}
    names: dict[str, str] = {}
    for group in company.pref("SalesFormsPrefs", "CustomField", []) or []:
        for entry in (group or {}).get("CustomField") or []:
            name = str(entry.get("Name") or "")
            for n in SLOTS:
                if name == f"SalesFormsPrefs.UseSalesCustom{n}":
                    flags[n] = entry.get("BooleanValue") is True
                elif name == f"SalesFormsPrefs.SalesCustomName{n}":
                    names[n] = str(entry.get("StringValue") or "")
    return {n: names.get(n) or f"Custom {n}" for n in SLOTS if flags.get(n)}


def apply(company, sent, existing: list | None) -> list[dict]:
    """The stored ``CustomField`` list after a write sending ``sent`` over ``existing``."""
    defined = definitions(company)
    values = {str(f.get("DefinitionId")): f.get("StringValue", "")
              for f in existing or [] if isinstance(f, dict)}
    if sent not in (None, ""):
        if not isinstance(sent, list):
            raise faults.bad_property("CustomField failed to parse json object", "CustomField")
        for field in sent:
            if not isinstance(field, dict):
                raise faults.bad_property("CustomField failed to parse json object",
                                          "CustomField")
            ident = str(field.get("DefinitionId") or "")
            value = field.get("StringValue", "")
            if not isinstance(value, str):
                raise faults.bad_property("CustomField.StringValue must be a string",
                                          "CustomField.StringValue")
            if len(value) > MAX_VALUE:
                raise faults.too_long("CustomField.StringValue", MAX_VALUE)
            if ident in defined:
                values[ident] = value
    return [{"DefinitionId": n, "Name": defined[n], "Type": "StringType",
             "StringValue": values[n]} for n in SLOTS if n in defined and values.get(n)]
