"""Organisation, Currencies, Accounts, TaxRates, TrackingCategories, Items and Contacts routes."""

from __future__ import annotations

from flask import Blueprint, current_app, request

from . import contacts as C
from . import currencies
from . import errors as E
from . import items as items_store
from .documents import Invalid
from .guard import api, emit
from .listing import batch, elements, envelope, select, unitdp
from .totals import unit_shown

bp = Blueprint("xero_settings", __name__, url_prefix="/api.xro/2.0")


def _state():
    return current_app.extensions["xero_sandbox"].state


# -- Organisation -----------------------------------------------------------------------------
@bp.get("/Organisation")
@api("settings")
def organisation(org):
    return envelope("Organisations", [org["organisation"]])


@bp.get("/Organisation/Actions")
@api("settings")
def organisation_actions(org):
    actions = [{"Name": name, "Status": "ALLOWED"} for name in (
        "CreateApprovedInvoice", "CreateDraftInvoice", "UseMulticurrency", "CreateContacts",
        "ApproveCreditNotes", "ApplyCreditNotes", "MakePayments")]
    return envelope("Actions", actions)


# -- Currencies ---------------------------------------------------------------------------------
@bp.get("/Currencies")
@api("settings")
def list_currencies(org):
    items, _ = select(currencies.enabled(org))
    return envelope("Currencies", items)


@bp.put("/Currencies")
@api("settings")
def add_currencies(org):
    return envelope("Currencies", [currencies.add(org, el.get("Code"))
                                   for el in elements("Currencies")])


# -- Accounts, TaxRates, TrackingCategories ---------------------------------------------------
@bp.get("/Accounts")
@api("settings")
def accounts(org):
    items, _ = select(list(org["accounts"].values()), id_field="AccountID",
                      default_order="Code")
    return envelope("Accounts", items)


@bp.get("/Accounts/<account_id>")
@api("settings")
def account(org, account_id):
    found = org["accounts"].get(account_id.lower())
    return envelope("Accounts", [found]) if found else E.not_found()


@bp.get("/TaxRates")
@api("settings")
def tax_rates(org):
    items, _ = select(list(org["tax_rates"].values()), default_order="Name")
    return envelope("TaxRates", items)


@bp.get("/TaxRates/<tax_type>")
@api("settings")
def tax_rate(org, tax_type):
    found = org["tax_rates"].get(tax_type)
    return envelope("TaxRates", [found]) if found else E.not_found()


def _tracking_view(category: dict, include_archived: bool) -> dict:
    out = dict(category)
    if not include_archived:
        out["Options"] = [o for o in category["Options"] if o["Status"] == "ACTIVE"]
    return out


@bp.get("/TrackingCategories")
@api("settings")
def tracking_categories(org):
    include = request.args.get("includeArchived", "").lower() == "true"
    items, _ = select(list(org["tracking"].values()), id_field="TrackingCategoryID",
                      default_order="Name", archived_filter=lambda c: c["Status"] == "ACTIVE")
    return envelope("TrackingCategories", [_tracking_view(c, include) for c in items])


@bp.get("/TrackingCategories/<category_id>")
@api("settings")
def tracking_category(org, category_id):
    found = org["tracking"].get(category_id.lower())
    return envelope("TrackingCategories", [found]) if found else E.not_found()


# -- Items --------------------------------------------------------------------------------------
def _find_item(org, key: str):
    return items_store.find(org, key)


def _save_item(org, element: dict, upsert: bool):
    return items_store.save(org, element, upsert, _state().now_iso()), []


def _item_shown(item: dict) -> dict:
    """The item with its unit prices to the request's ``unitdp`` (2 unless it asked for 4)."""
    out = dict(item)
    for details in ("SalesDetails", "PurchaseDetails"):
        if isinstance(out.get(details), dict) and "UnitPrice" in out[details]:
            out[details] = dict(out[details],
                                UnitPrice=unit_shown(out[details]["UnitPrice"], unitdp()))
    return out


@bp.get("/Items")
@api("items")
def items(org):
    found, _ = select(list(org["items"].values()), id_field="ItemID", default_order="Code")
    return envelope("Items", [_item_shown(i) for i in found])


@bp.get("/Items/<key>")
@api("items")
def item(org, key):
    found = _find_item(org, key)
    return envelope("Items", [_item_shown(found)]) if found else E.not_found()


@bp.put("/Items")
@api("items")
def create_items(org):
    return batch("Items", elements("Items"), lambda el: _save_item(org, el, False),
                 _item_shown, "ItemID")


@bp.post("/Items")
@api("items")
def upsert_items(org):
    return batch("Items", elements("Items"), lambda el: _save_item(org, el, True),
                 _item_shown, "ItemID")


# -- Contacts -----------------------------------------------------------------------------------
def _save_contact(org, element: dict, existing: dict | None):
    problems = C.validate(org, element, existing)
    if problems:
        raise Invalid(problems)
    contact, created = C.apply(org, element, existing, _state().now_iso())
    emit("CONTACT", "CREATE" if created else "UPDATE", contact["ContactID"])
    return contact, []


def _contact_target(org, element: dict):
    if element.get("ContactID"):
        found = org["contacts"].get(str(element["ContactID"]).lower())
        if found is None:
            raise Invalid([E.MSG_DOC_NOT_FOUND])
        return found
    if element.get("ContactNumber"):
        return C.find_by_number(org, element["ContactNumber"])
    return None


@bp.get("/Contacts")
@api("contacts")
def list_contacts(org):
    found = list(org["contacts"].values())
    term = (request.args.get("searchTerm") or "").lower()
    if term:
        found = [c for c in found if any(term in str(c.get(f, "")).lower() for f in (
            "Name", "FirstName", "LastName", "ContactNumber", "EmailAddress"))]
    found, pagination = select(found, id_field="ContactID", status_field="ContactStatus",
                               default_order="Name", pageable=True,
                               archived_filter=lambda c: c["ContactStatus"] != "ARCHIVED")
    return envelope("Contacts", found, pagination)


@bp.get("/Contacts/<key>")
@api("contacts")
def get_contact(org, key):
    found = C.lookup(org, key)
    return envelope("Contacts", [found]) if found else E.not_found()


@bp.put("/Contacts")
@api("contacts")
def create_contacts(org):
    return batch("Contacts", elements("Contacts"), lambda el: _save_contact(org, el, None),
                 dict, "ContactID")


@bp.post("/Contacts")
@api("contacts")
def upsert_contacts(org):
    return batch("Contacts", elements("Contacts"),
                 lambda el: _save_contact(org, el, _contact_target(org, el)), dict, "ContactID")


@bp.post("/Contacts/<key>")
@api("contacts")
def update_contact(org, key):
    found = C.lookup(org, key)
    if found is None:
        return E.not_found()
    return batch("Contacts", elements("Contacts")[:1],
                 lambda el: _save_contact(org, el, found), dict, "ContactID")
