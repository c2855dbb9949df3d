"""``push_record``: a host client becomes / updates a Xero contact, a host service type a
Xero item.

**Which record.** A client's contact is found exactly as the invoice push finds it
(:func:`psa_xero.contacts.resolve`: the admin's pick, the contact used before, then email,
``ContactNumber`` ``PSA-<id>`` and name; created when nothing matches). A service type's item:
the one pushed before (refs ``item_id``), the admin's pick on the Manage page (mapping
``item``: an item code), then the item whose ``Code`` is the SKU, then one item with the same
name; else a new item with ``Code`` = the SKU (``PSA-<id>`` without one: Xero requires a code).

**An item's code stays.** Once the item exists its ``Code`` is kept, even when the service
type's SKU changes: the admin's item mapping and the invoice lines pushed before name the item
by that code.

**Never blanking.** Only fields with a value are written: a predefined field the admin switched
off (or that the host record has empty) leaves Xero's value alone. An item's ``SalesDetails``
is sent whole with Xero's other values (``TaxType``) kept, since Xero replaces the object.
A contact already holding every value is not written at all.

**Idempotent.** Every write carries an ``Idempotency-Key`` derived from the host's key and the
body (:func:`psa_xero.api.body_key`): a retry of the same push is replayed by Xero, a retry
after the record changed is a new write.
"""

from __future__ import annotations

from decimal import Decimal

from hookspecs import MappingError, SyncResult

from . import contacts, lookups
from .api import XeroClient, body_key
from .fields import TAX_NUMBER
from .mappers.contact import contact_number, split_person_name
from .push import app_base, short_code, version_of

ITEM_REF = "item_id"  # host service type id -> Xero ItemID (written here)
CODE_MAX, ITEM_NAME_MAX = 30, 50


def push_record(connection, object: str, record, idempotency_key: str) -> SyncResult:  # noqa: A002
    if object == "customer":
        return push_contact(connection, record, idempotency_key)
    if object == "item":
        return push_item(connection, record, idempotency_key)
    raise MappingError(f"Xero two-way sync cannot push a {object!r}.",
                       fix="Only customers and products are pushed as records.")


# -- contacts -----------------------------------------------------------------------------------


def deep_link(connection, xero: XeroClient, target: str) -> str:
    """Xero's documented deep link: switch to the organisation, then open ``target``."""
    code = short_code(connection, xero)
    base = app_base(connection)
    if not code:
        return f"{base}{target}"
    return f"{base}/organisationlogin/default.aspx?shortcode={code}&redirecturl={target}"


def contact_changes(client, held: dict) -> dict:
    """The fields of ``client`` that have a value and differ from Xero's ``held`` contact."""
    wanted: dict = {}
    name = " ".join(client.name.split())
    if name:
        wanted["Name"] = name
    if client.billing_email.strip():
        wanted["EmailAddress"] = client.billing_email.strip()
    first, last = split_person_name(client.billing_contact_name)
    if first:
        wanted["FirstName"] = first
        wanted["LastName"] = last  # a one-word name clears an old last name: it is one person
    tax_number = (client.fields.get(TAX_NUMBER) or client.tax_number or "").strip()
    if tax_number:
        wanted["TaxNumber"] = tax_number
    return {k: v for k, v in wanted.items() if str(held.get(k) or "") != v}


def push_contact(connection, client, key: str) -> SyncResult:
    xero = XeroClient(connection)
    resolved = contacts.resolve(connection, xero, client)
    held = xero.contact(resolved.contact_id) or {}
    changes = contact_changes(client, held)
    if "Name" in changes and (resolved.note or f"({contact_number(client)})" in
                              str(held.get("Name") or "")):
        # the contact carries the fallback name because the client's is taken in Xero by
        # another contact: renaming it would be refused on every push
        changes.pop("Name")
    if changes:
        body = {"Contacts": [{"ContactID": resolved.contact_id, **changes}]}
        held = xero.post(f"Contacts/{resolved.contact_id}", "Contacts", body,
                         key=body_key(key, "contact", body),
                         action=f"updating the Xero contact of client {client.name!r}")
    return SyncResult(external_id=resolved.contact_id,
                      version=version_of(held) if held else None,
                      deep_link=deep_link(connection, xero,
                                          f"/Contacts/View/{resolved.contact_id}"),
                      note=resolved.note or None)


# -- items ------------------------------------------------------------------------------------


def _find_item(connection, xero: XeroClient, service) -> dict | None:
    known = connection.refs.get(ITEM_REF, service.id)
    if known:
        found = xero.item(known)
        if found is not None:
            return found
    for code in (connection.mapping("item", service.id), service.sku.strip()):
        if code:
            found = xero.item_by_code(code)
            if found is not None:
                return found
    name = " ".join(service.name.split()).casefold()
    same = [i for i in lookups.sold_items(xero)
            if " ".join(str(i.get("Name") or "").split()).casefold() == name]
    if len(same) > 1:
        raise MappingError(
            f"Service type {service.name!r} matches several Xero items by name: "
            + ", ".join(str(i.get("Code")) for i in same) + ".",
            fix="Give the service type the SKU of one of them (its Xero item code), or map it "
                "on the Xero integration's Manage page, then retry.")
    return same[0] if same else None


def item_body(connection, service, held: dict | None) -> dict:
    """The ``Item`` to send: values the service type has, Xero's kept for the rest."""
    held = held or {}
    code = str(held.get("Code") or service.sku.strip() or f"PSA-{service.id}")
    name = " ".join(service.name.split())
    if len(code) > CODE_MAX:
        raise MappingError(f"The SKU {code!r} is longer than Xero's {CODE_MAX}-character item "
                           "code.", fix="Shorten the service type's SKU, then retry.")
    if len(name) > ITEM_NAME_MAX:
        raise MappingError(f"The name {name!r} is longer than Xero's {ITEM_NAME_MAX}-character "
                           "item name.", fix="Shorten the service type's name, then retry.")
    item: dict = {"Code": code, "IsSold": True}
    if held.get("ItemID"):
        item["ItemID"] = held["ItemID"]
    if name:
        item["Name"] = name
    if service.description.strip():
        item["Description"] = service.description.strip()
    sales = dict(held.get("SalesDetails") or {})
    if service.unit_price is not None:
        sales["UnitPrice"] = Decimal(service.unit_price)
    if service.income_account is not None:
        account = connection.mapping("account", service.income_account.id)
        if not account:
            raise MappingError(
                f"The income account {service.income_account.name!r} of service type "
                f"{service.name!r} is not mapped to a Xero account.",
                fix="Map it on the Xero integration's Manage page (GL accounts), then retry.")
        sales["AccountCode"] = account
    if sales:
        item["SalesDetails"] = {k: v for k, v in sales.items() if v not in (None, "")}
    return {"Items": [item]}


def push_item(connection, service, key: str) -> SyncResult:
    xero = XeroClient(connection)
    held = _find_item(connection, xero, service)
    body = item_body(connection, service, held)
    saved = xero.post("Items", "Items", body, key=body_key(key, "item", body),
                      action=f"saving the Xero item of service type {service.name!r}")
    item_id = str(saved["ItemID"])
    connection.refs.remember(ITEM_REF, service.id, item_id)
    return SyncResult(external_id=item_id, number=str(saved.get("Code") or "") or None,
                      version=version_of(saved),
                      deep_link=deep_link(connection, xero, f"/Accounts/Inventory/{item_id}"))
