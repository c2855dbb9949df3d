"""Reading Xero's lists: mapping choices, match previews, and the lookups a push needs.

* :func:`list_mapping_choices` answers the host for the mapping kinds (``item``, ``account``,
  ``tax_type``, ``tracking``) and the settings fields (``default_revenue_account``,
  ``tracking_category``, ``bank_account``). Only usable records are offered: ACTIVE accounts of
  class REVENUE (never system or bank accounts) for lines, ACTIVE tax rates that apply to
  revenue, sold items, ACTIVE options of ACTIVE tracking categories.
* :func:`preview_matches` applies the host's shared rules (:mod:`host.integrations.matching`):
  contacts by email, then ``ContactNumber`` (``PSA-<client id>``), then name; archived contacts
  and suppliers only block a name, and the contact the push would create gets a unique name.
  Service types match an item by name, then code (SKU).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Iterable

from hookspecs import CUSTOMER_REF, MappingChoice, MatchPreview
from host.integrations.matching import Candidate, match_client, match_service_type

from .api import XeroClient, quote
from .mappers.contact import contact_number

REVENUE_CLASS = "REVENUE"


# -- accounts ----------------------------------------------------------------------------------


#: The refs kind versions before 0.3 remembered a client's contact under; read, never written.
LEGACY_CONTACT_REF = "contact"


def remembered_contact(connection, client_id) -> str | None:
    """The contact remembered for the client (``CUSTOMER_REF``, else the legacy kind)."""
    return (connection.refs.get(CUSTOMER_REF, client_id)
            or connection.refs.get(LEGACY_CONTACT_REF, client_id))


def is_revenue_account(account: dict) -> bool:
    return (account.get("Status") == "ACTIVE" and account.get("Class") == REVENUE_CLASS
            and not account.get("SystemAccount") and account.get("Type") != "BANK"
            and bool(account.get("Code")))


def is_bank_account(account: dict) -> bool:
    return (account.get("Status") == "ACTIVE" and bool(account.get("Code"))
            and (account.get("Type") == "BANK" or bool(account.get("EnablePaymentsToAccount"))))


def account_label(account: dict) -> str:
    return f"{account.get('Code')} - {account.get('Name', '')}".strip(" -")


def revenue_accounts(xero: XeroClient) -> list[dict]:
    return [a for a in xero.accounts() if is_revenue_account(a)]


def describe_account(connection, code: str) -> str:
    """Why ``code`` cannot be the default revenue account, in Xero's terms ('' if it can)."""
    from hookspecs import ProviderError

    try:
        accounts = XeroClient(connection).accounts()
    except ProviderError as exc:
        return exc.message
    found = next((a for a in accounts if str(a.get("Code", "")).lower() == code.lower()), None)
    if found is None:
        return f"Xero has no account with code {code}."
    if found.get("Status") != "ACTIVE":
        return (f"Xero account {account_label(found)} is {str(found.get('Status')).lower()}; "
                "choose an active revenue account.")
    if not is_revenue_account(found):
        return (f"Xero account {account_label(found)} is not a revenue account (class "
                f"{found.get('Class')}, type {found.get('Type')}); choose a revenue account.")
    return ""


# -- tax rates, items, tracking ----------------------------------------------------------------


def sales_tax_rates(xero: XeroClient) -> list[dict]:
    return [t for t in xero.tax_rates()
            if t.get("Status") == "ACTIVE" and t.get("CanApplyToRevenue", True) and t.get("TaxType")]


def same_percent_rates(rates: list[dict], percent) -> list[dict]:
    """The Xero rates among ``rates`` whose effective percentage is ``percent``: the candidates
    a PSA tax rate that is not mapped is booked to (exactly one) or stuck between (several)."""
    wanted = Decimal(percent).normalize()
    return [r for r in rates if Decimal(str(
        r.get("EffectiveRate", r.get("DisplayTaxRate", 0)) or 0)).normalize() == wanted]


def tax_label(rate: dict) -> str:
    shown = rate.get("DisplayTaxRate", rate.get("EffectiveRate"))
    pct = ""
    if shown is not None:
        value = Decimal(str(shown)).normalize()
        pct = f" ({value:f} %)"
    return f"{rate.get('Name') or rate.get('TaxType')}{pct}"


NO_TAX_NAMES = ("no vat", "no gst", "tax exempt", "no tax", "exempt")


def no_tax_type(rates: list[dict]) -> str:
    """The TaxType for untaxed PSA lines: ``NONE`` when the organisation has it, else a 0 %
    sales rate whose name says 'no tax' / 'exempt' (never a zero-rated *taxable* supply when a
    plain 'no tax' rate exists)."""
    usable = [r for r in rates if Decimal(str(r.get("EffectiveRate",
                                                    r.get("DisplayTaxRate", 0)) or 0)) == 0]
    for rate in usable:
        if str(rate.get("TaxType")) == "NONE":
            return "NONE"
    for name in NO_TAX_NAMES:
        for rate in usable:
            if name in str(rate.get("Name", "")).lower():
                return str(rate["TaxType"])
    return ""


def sold_items(xero: XeroClient) -> list[dict]:
    return [i for i in xero.items() if i.get("Code") and i.get("IsSold", True)
            and str(i.get("Status", "ACTIVE")).upper() == "ACTIVE"]


def active_tracking(xero: XeroClient) -> list[dict]:
    """ACTIVE categories, each with only its ACTIVE options."""
    out = []
    for category in xero.tracking_categories():
        if category.get("Status") != "ACTIVE":
            continue
        options = [o for o in category.get("Options") or [] if o.get("Status") == "ACTIVE"]
        out.append({**category, "Options": options})
    return out


#: the tracking mapping of a class the admin chose to book without tracking
NOT_TRACKED = "none"


def tracking_id(category: dict, option: dict) -> str:
    """A tracking mapping value: ``<TrackingCategoryID>:<TrackingOptionID>``."""
    return f"{category['TrackingCategoryID']}:{option['TrackingOptionID']}"


def split_tracking_id(value: str) -> dict[str, str] | None:
    category, sep, option = (value or "").partition(":")
    if not sep or not category or not option:
        return None
    return {"TrackingCategoryID": category, "TrackingOptionID": option}


# -- choices -----------------------------------------------------------------------------------


def list_mapping_choices(connection, kind: str) -> list[MappingChoice]:
    xero = XeroClient(connection)
    if kind in ("account", "default_revenue_account"):
        return [MappingChoice(str(a["Code"]), account_label(a),
                              detail=str(a.get("Type", "")).title())
                for a in sorted(revenue_accounts(xero), key=lambda a: str(a["Code"]))]
    if kind in ("bank_account", "bank_account_code"):
        return [MappingChoice(str(a["Code"]), account_label(a), detail="bank")
                for a in sorted(xero.accounts(), key=lambda a: str(a.get("Code", "")))
                if is_bank_account(a)]
    if kind == "tax_type":
        return [MappingChoice(str(t["TaxType"]), tax_label(t), detail=str(t["TaxType"]))
                for t in sales_tax_rates(xero)]
    if kind == "item":
        return [MappingChoice(str(i["Code"]), f"{i['Code']} - {i.get('Name') or ''}".strip(" -"))
                for i in sorted(sold_items(xero), key=lambda i: str(i["Code"]))]
    if kind == "tracking":
        return [MappingChoice(NOT_TRACKED, "Not tracked in Xero",
                              detail="book the class's lines without tracking")] + [
            MappingChoice(tracking_id(c, o), f"{c['Name']}: {o['Name']}")
            for c in active_tracking(xero) for o in c["Options"]]
    if kind == "tracking_category":
        return [MappingChoice(str(c["TrackingCategoryID"]), str(c["Name"]),
                              detail=", ".join(o["Name"] for o in c["Options"]))
                for c in active_tracking(xero)]
    return []


# -- contacts ----------------------------------------------------------------------------------


def contact_candidate(contact: dict) -> Candidate:
    status = str(contact.get("ContactStatus") or "ACTIVE").upper()
    supplier_only = bool(contact.get("IsSupplier")) and not contact.get("IsCustomer")
    if status != "ACTIVE":
        kind, usable = f"{status.lower()} contact", False
    elif supplier_only:
        kind, usable = "supplier", False
    else:
        kind, usable = "contact", True
    return Candidate(external_id=str(contact["ContactID"]), name=str(contact.get("Name") or ""),
                     email=str(contact.get("EmailAddress") or ""),
                     number=str(contact.get("ContactNumber") or ""), usable=usable, kind=kind)


def contact_candidates_for(xero: XeroClient, client) -> list[Candidate]:
    """Xero contacts (archived too) that share the client's email, contact number or name, or
    whose name starts with the client's name (so a new name can be made unique)."""
    clauses = [f"ContactNumber=={quote(contact_number(client))}"]
    name = " ".join(client.name.split())
    if name:
        clauses.append(f"Name.StartsWith({quote(name)})")
    if client.billing_email.strip():
        clauses.append(f"EmailAddress=={quote(client.billing_email.strip())}")
    rows = xero.contacts(where=" OR ".join(clauses), include_archived=True)
    return [contact_candidate(c) for c in rows if c.get("ContactID")]


def preview_client(client, candidates: Iterable[Candidate]) -> MatchPreview:
    return match_client(client, list(candidates), number=contact_number(client), label="contact")


def item_candidate(item: dict) -> Candidate:
    return Candidate(external_id=str(item["Code"]), name=str(item.get("Name") or item["Code"]),
                     sku=str(item["Code"]), kind="item")


def preview_matches(connection, kind: str, records: list) -> list[MatchPreview]:
    xero = XeroClient(connection)
    if kind == "client":
        pool = [contact_candidate(c) for c in xero.contacts(include_archived=True)
                if c.get("ContactID")]
        out = []
        for client in records:
            chosen = connection.mapping("client", client.id)
            known = chosen or remembered_contact(connection, client.id)
            hit = next((c for c in pool if c.external_id == known), None) if known else None
            if hit is not None and hit.usable:
                out.append(MatchPreview(client.id, client.name, "match", hit.external_id,
                                        hit.name, reason="chosen before" if chosen
                                        else "pushed before"))
                continue
            out.append(preview_client(client, pool))
        return out
    if kind == "service_type":
        items = [item_candidate(i) for i in sold_items(xero)]
        default = connection.settings.get("default_revenue_account") or ""
        out = []
        for service_type in records:
            chosen = connection.mapping("item", service_type.id)
            hit = next((c for c in items if c.external_id == chosen), None) if chosen else None
            if hit is not None:
                out.append(MatchPreview(service_type.id, service_type.name, "match",
                                        hit.external_id, hit.name, reason="chosen before"))
                continue
            preview = match_service_type(service_type, items, label="item",
                                         default_label=f"no item, account {default}"
                                         if default else "no item")
            if preview.outcome == "default":
                preview = MatchPreview(
                    service_type.id, service_type.name, "default",
                    external_label=preview.external_label,
                    reason="no Xero item with this name or code: lines carry no item and book "
                           "to their revenue account" + (f" (default {default})" if default
                                                         else ""))
            out.append(preview)
        return out
    return []
