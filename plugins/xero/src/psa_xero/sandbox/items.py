"""Items: validation and create/update (``PUT``/``POST /Items`` and the accountant's page).

Xero has no item webhooks and no archived state for items: an item is deleted outright.
"""

from __future__ import annotations

from . import errors as E
from .documents import Invalid
from .state import new_id

CODE_MAX, NAME_MAX, DESCRIPTION_MAX = 30, 50, 4000
FIELDS = ("Code", "Name", "Description", "PurchaseDescription", "IsSold", "IsPurchased",
          "SalesDetails", "PurchaseDetails")


def find(org: dict, key: str) -> dict | None:
    """By ItemID, else by Code (case-insensitive)."""
    return org["items"].get(str(key).lower()) or next(
        (i for i in org["items"].values() if i["Code"].lower() == str(key).lower()), None)


def save(org: dict, element: dict, upsert: bool, now_iso: str) -> dict:
    """Create or update one item; raises :class:`Invalid` with Xero's messages."""
    code = element.get("Code")
    existing = None
    if element.get("ItemID"):
        existing = org["items"].get(str(element["ItemID"]).lower())
        if existing is None:
            raise Invalid([E.MSG_DOC_NOT_FOUND])
    elif code and upsert:
        existing = find(org, str(code))
    if existing is None:
        if not code or not str(code).strip():
            raise Invalid(["Item code must be specified"])
        if find(org, str(code)):
            raise Invalid([f"Price List Item with Code '{code}' already exists"])
    elif code and str(code).lower() != existing["Code"].lower():
        other = find(org, str(code))
        if other is not None and other["ItemID"] != existing["ItemID"]:
            raise Invalid([f"Price List Item with Code '{code}' already exists"])
    if code and len(str(code)) > CODE_MAX:
        raise Invalid([f"Code must not be more than {CODE_MAX} characters long."])
    if element.get("Name") and len(str(element["Name"])) > NAME_MAX:
        raise Invalid([f"Name must not be more than {NAME_MAX} characters long."])
    if element.get("Description") and len(str(element["Description"])) > DESCRIPTION_MAX:
        raise Invalid([f"Description must not be more than {DESCRIPTION_MAX} characters long."])
    sales = element.get("SalesDetails") or {}
    if sales.get("AccountCode") and not any(a["Code"] == sales["AccountCode"]
                                            for a in org["accounts"].values()):
        raise Invalid([f"Account code '{sales['AccountCode']}' is not a valid code."])
    item = existing or {"ItemID": new_id(), "IsSold": True, "IsPurchased": False,
                        "IsTrackedAsInventory": False}
    for field in FIELDS:
        if field in element:
            item[field] = element[field]
    item["UpdatedDateUTC"] = now_iso
    org["items"][item["ItemID"]] = item
    return item
