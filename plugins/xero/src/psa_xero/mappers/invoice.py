"""Xero ``Invoice`` (ACCREC) payloads from the host's :class:`InvoiceData` (reference 2.2, 2.4, S1).

Pure functions: every Xero id the payload needs is looked up beforehand and passed in a
:class:`ResolvedRefs`. Lines are sent ``Exclusive`` of tax with Quantity, UnitAmount and
DiscountRate, so Xero's LineAmount (Quantity x UnitAmount x (100 - DiscountRate) / 100) equals
the host's ``LineData.amount``; SubTotal/TotalTax/Total are read-only at Xero and not sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from hookspecs import InvoiceData, LineData, MappingError

from ._common import money, quantity, xero_date

REFERENCE_MAX = 255
DESCRIPTION_MAX = 4000


@dataclass(frozen=True)
class ResolvedRefs:
    """Xero-side ids resolved for one document (by the plugin, from mappings and settings).

    * ``contact_id``: the client's Xero ``ContactID``.
    * ``default_account_code``: revenue account used when a line's GL account is not mapped.
    * ``account_codes``: host GL account id -> Xero account code.
    * ``tax_types``: host tax rate id -> Xero ``TaxType`` code (e.g. ``"OUTPUT2"``).
    * ``item_codes``: host service type id -> Xero ``ItemCode``.
    * ``tracking_category``: name of the Xero tracking category the line's class label is an
      option of (no Tracking is sent when empty).
    * ``tracking``: class label -> tracking ids (mapped labels; see the field).
    * ``url``: link back to the PSA document (Xero's "Go to" link).
    """

    contact_id: str
    default_account_code: str
    account_codes: Mapping[int, str] = field(default_factory=dict)
    tax_types: Mapping[int, str] = field(default_factory=dict)
    item_codes: Mapping[int, str] = field(default_factory=dict)
    tracking_category: str = ""
    url: str = ""
    #: class label -> ``{"TrackingCategoryID": ..., "TrackingOptionID": ...}`` (the admin's
    #: tracking mapping); wins over ``tracking_category`` + the label as the option name.
    tracking: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    #: TaxType for lines without a host tax rate (untaxed in the PSA, e.g. ``"NONE"``); when
    #: empty such lines carry no TaxType and Xero applies the account's default tax.
    no_tax_type: str = ""
    #: class label -> ``{tracking category name: option name}`` of ``tracking`` (what the
    #: admin asked for, in Xero's names: compared with what Xero booked after the push).
    tracking_names: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


def account_code_for(line: LineData, refs: ResolvedRefs) -> str:
    """The line's mapped account code, else the default revenue account."""
    if line.gl_account is not None:
        mapped = refs.account_codes.get(line.gl_account.id)
        if mapped:
            return mapped
    if not refs.default_account_code:
        raise MappingError(
            f"Line '{line.description}' has no Xero revenue account.",
            fix="Choose a default revenue account in the Xero integration settings, "
                "or map the line's GL account on the Manage page, then retry.")
    return refs.default_account_code


def tax_type_for(line: LineData, refs: ResolvedRefs) -> str | None:
    """The mapped Xero TaxType of a taxed line; for a line without a host tax rate (untaxed in
    the PSA) ``refs.no_tax_type``, else None (Xero then uses the account's default). A line with a tax rate that is not mapped is an error:
    guessing would book the wrong tax."""
    if line.tax_rate is None:
        return refs.no_tax_type or None
    mapped = refs.tax_types.get(line.tax_rate.id)
    if not mapped:
        raise MappingError(
            f"The tax rate '{line.tax_rate.name}' ({line.tax_rate.rate} %) on line "
            f"'{line.description}' has no Xero tax type.",
            fix=f"Map the tax rate '{line.tax_rate.name}' to a Xero tax rate on the Xero "
                "integration's Manage page, then retry.")
    return mapped


def line_item(line: LineData, refs: ResolvedRefs, *, allow_discount: bool = True) -> dict:
    """One Xero ``LineItem`` (shared by invoices and credit notes)."""
    item: dict = {
        "Description": (line.description.strip() or "-")[:DESCRIPTION_MAX],
        "Quantity": quantity(line.quantity),
        "UnitAmount": money(line.unit_price, "unit price"),
        "AccountCode": account_code_for(line, refs),
    }
    if line.service_type is not None and refs.item_codes.get(line.service_type.id):
        item["ItemCode"] = refs.item_codes[line.service_type.id]
    tax_type = tax_type_for(line, refs)
    if tax_type:
        item["TaxType"] = tax_type
    if line.discount_percent:
        if not allow_discount:
            raise MappingError(
                f"Line '{line.description}' has a {line.discount_percent} % discount; Xero "
                "credit notes do not support discounts.",
                fix="Remove the discount from the credit note line and lower its unit price "
                    "instead, then retry.")
        item["DiscountRate"] = money(line.discount_percent, "discount rate")
    label = line.class_label.strip()
    if label and refs.tracking.get(label):
        item["Tracking"] = [dict(refs.tracking[label])]
    elif refs.tracking_category and label:
        item["Tracking"] = [{"Name": refs.tracking_category, "Option": label}]
    return item


def invoice_reference(invoice: InvoiceData) -> str:
    """The invoice's Xero ``Reference`` (max 255 characters), the first that is set of:

    1. the value of the extra field ``Reference`` the admin mapped ("Add a mapping":
       ``invoice.fields["Reference"]``);
    2. the client's reference / PO number the host keeps (``invoice.reference``);
    3. ``"<project> / <memo>"`` (whichever are set): Xero's sales invoices have no memo field,
       so the memo travels here, as before two-way sync.
    """
    for chosen in ((invoice.fields or {}).get("Reference"), invoice.reference):
        if chosen and str(chosen).strip():
            return str(chosen).strip()[:REFERENCE_MAX]
    parts = [p.strip() for p in (invoice.project_name, invoice.memo) if p and p.strip()]
    return " / ".join(parts)[:REFERENCE_MAX]


def invoice_payload(invoice: InvoiceData, refs: ResolvedRefs) -> dict:
    """One ``Invoice``: ACCREC, AUTHORISED (awaiting payment), Exclusive of tax."""
    if not invoice.lines:
        raise MappingError(f"Invoice {invoice.number} has no lines.",
                           fix="Add at least one line to the invoice, then retry.")
    payload: dict = {
        "Type": "ACCREC",
        "Contact": {"ContactID": refs.contact_id},
        "Date": xero_date(invoice.issue_date),
        "DueDate": xero_date(invoice.due_date),
        "InvoiceNumber": invoice.number,
        "CurrencyCode": invoice.currency.upper(),
        "LineAmountTypes": "Exclusive",
        "Status": "AUTHORISED",
        "LineItems": [line_item(line, refs) for line in invoice.lines],
    }
    reference = invoice_reference(invoice)
    if reference:
        payload["Reference"] = reference
    if refs.url:
        payload["Url"] = refs.url
    if invoice.external is not None:
        payload["InvoiceID"] = invoice.external.external_id
    return payload


def invoices_request(invoice: InvoiceData, refs: ResolvedRefs) -> dict:
    """The body of ``PUT /Invoices`` (or ``POST`` to update a pushed one)."""
    return {"Invoices": [invoice_payload(invoice, refs)]}
