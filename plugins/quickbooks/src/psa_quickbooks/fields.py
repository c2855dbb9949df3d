"""Which QuickBooks fields two-way sync can map (``list_sync_fields``).

Predefined pairs (on by default, each with a switch on the Manage page):

=============  ==========================================  ======================
object         QuickBooks field                            host field
=============  ==========================================  ======================
customer       ``DisplayName``                             ``name`` (required)
customer       ``PrimaryEmailAddr``                        ``billing_email``
customer       ``GivenName`` + ``FamilyName``              ``billing_contact_name``
item           ``Name``                                    ``name`` (required)
item           ``Sku``                                     ``sku``
item           ``UnitPrice``                               ``unit_price``
item           ``Description``                             ``description``
item           ``IncomeAccountRef``                        ``income_account``
invoice        ``CustomerMemo``                            ``memo``
invoice        ``DueDate``                                 ``due_date``
=============  ==========================================  ======================

Extra fields, offered under "Add a mapping":

* the invoice **custom fields** the company defines in Preferences (up to three string fields,
  ``SalesFormsPrefs.CustomField``, reference 3.1/3.12): key ``CustomField:<DefinitionId>``,
  labelled with the company's name for it; a name that reads like a purchase order ("PO
  Number", "Purchase Order") suggests the host field ``reference``;
* the customer's ``PrimaryTaxIdentifier`` (the tax ID), **outbound only**: QuickBooks masks it
  in every answer (only its last characters are readable), so a value read back could never
  be trusted. ``BusinessNumber`` exists only in Indian companies and is not offered.
"""

from __future__ import annotations

import re

from hookspecs import SyncField

from .api import QboClient

#: The key prefix of invoice custom fields: ``CustomField:<DefinitionId>``.
CUSTOM_FIELD = "CustomField:"
SLOTS = ("1", "2", "3")
_PO_LIKE = re.compile(r"\b(po|p\.o\.|purchase\s*order|order\s*(no|number|#)|reference|ref)\b",
                      re.IGNORECASE)

PREDEFINED: dict[str, tuple[SyncField, ...]] = {
    "customer": (
        SyncField("DisplayName", "Display name", "customer", "name"),
        SyncField("PrimaryEmailAddr", "Email", "customer", "billing_email"),
        SyncField("GivenName+FamilyName", "First and last name", "customer",
                  "billing_contact_name"),
    ),
    "item": (
        SyncField("Name", "Name", "item", "name"),
        SyncField("Sku", "SKU", "item", "sku"),
        SyncField("UnitPrice", "Sales price/rate", "item", "unit_price"),
        SyncField("Description", "Sales description", "item", "description"),
        SyncField("IncomeAccountRef", "Income account", "item", "income_account"),
    ),
    "invoice": (
        SyncField("CustomerMemo", "Message displayed on invoice", "invoice", "memo"),
        SyncField("DueDate", "Due date", "invoice", "due_date"),
    ),
}

TAX_ID = SyncField("PrimaryTaxIdentifier", "Tax ID (sent to QuickBooks only: it masks it)",
                   "customer", "tax_number", predefined=False, directions=("out",))


def custom_field_definitions(prefs: dict) -> dict[str, str]:
    """The invoice custom fields the company defines: {DefinitionId: name}.

    ``SalesFormsPrefs.CustomField`` holds two groups of name/value entries: the
    ``SalesFormsPrefs.UseSalesCustomN`` booleans (field N is on) and the
    ``SalesFormsPrefs.SalesCustomNameN`` strings (its name). Anything unreadable is ignored.
    """
    flags: dict[str, bool] = {}
    names: dict[str, str] = {}
    groups = ((prefs or {}).get("SalesFormsPrefs") or {}).get("CustomField") or []
    for group in groups if isinstance(groups, list) else []:
        entries = group.get("CustomField") if isinstance(group, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            name = str(entry.get("Name") or "")
            for n in SLOTS:
                if name == f"SalesFormsPrefs.UseSalesCustom{n}":
                    flags[n] = entry.get("BooleanValue") is True
                elif name == f"SalesFormsPrefs.SalesCustomName{n}":
                    names[n] = str(entry.get("StringValue") or "").strip()[:100]
    return {n: names.get(n) or f"Custom field {n}" for n in SLOTS if flags.get(n)}


def custom_fields(prefs: dict) -> list[SyncField]:
    """The invoice custom fields as extra :class:`SyncField`s."""
    return [SyncField(f"{CUSTOM_FIELD}{n}", f"{name} (custom field {n})", "invoice",
                      "reference" if _PO_LIKE.search(name) else "", predefined=False)
            for n, name in custom_field_definitions(prefs).items()]


def list_sync_fields(connection, object: str) -> list[SyncField]:
    """The hook: predefined pairs, plus the extras (invoice custom fields read from
    Preferences: one call, only for ``"invoice"``)."""
    if object == "customer":
        return [*PREDEFINED["customer"], TAX_ID]
    if object == "item":
        return list(PREDEFINED["item"])
    if object == "invoice":
        return [*PREDEFINED["invoice"], *custom_fields(QboClient(connection).preferences())]
    return []
