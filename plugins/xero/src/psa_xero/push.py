"""Outbound: invoices (ACCREC), voids and credit notes (ACCRECCREDIT + allocation).

Invoices
    One invoice per call, AUTHORISED, Exclusive of tax, numbered with the PSA number (Xero keeps
    invoice numbers unique, so a create can never double). Created with ``PUT /Invoices`` and an
    ``Idempotency-Key`` derived from the sync record's key: a retry after a lost answer gets
    Xero's first answer back; after Xero's six-minute window the duplicate number is caught
    ("Invoice # must be unique.") and the existing invoice is adopted when it is ours (same
    contact). An invoice pushed before (``invoice.external`` or a remembered id) is updated with
    ``POST /Invoices/{id}`` where Xero allows it; a paid, part-paid, credited, voided or deleted
    invoice is not changed and the record says why (a re-send that changes nothing passes).
Lines
    AccountCode: the line's GL account mapped to a Xero account, else the default revenue
    account. ItemCode: the service type's item mapping, else the sold item with the service
    type's name or SKU. TaxType: the tax rate's mapping (required when the line is taxed).
    Tracking: the class label's tracking mapping, else the option with that name in the
    default tracking category; a class with neither is a mapping error (one mapped to "Not
    tracked in Xero" is sent untracked). DiscountRate from the line's discount.
Currency
    Booked in the PSA document's currency when it is the organisation's base currency or one
    it has added, at Xero's own rate (read back and said on the record); any other currency is
    a mapping error before anything is written (``currency``).
Auto-send
    With "Automatically send invoice" on, ``POST /Invoices/{id}/Email`` once (not when Xero
    already marks it sent); a contact without an email is pushed and not emailed, with a note.
Booked vs sent
    After every invoice and credit-note push, what Xero booked (its answer) is compared with
    the PSA snapshot by the host's ``compare`` (:mod:`psa_xero.booked`); each difference the
    admin did not choose goes back in ``SyncResult.differences`` and shows on the sync panel.
Credit notes
    ``PUT /CreditNotes`` (never emailed: Xero has no email for them) then
    ``PUT /CreditNotes/{id}/Allocations`` to the credited invoice, up to what is still due.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from hookspecs import (
    ConflictError,
    MappingError,
    NotFoundError,
    SyncResult,
    ValidationError,
)

from . import booked as booked_vs_sent
from . import contacts, currency, lookups
from .api import XeroClient, body_key, idempotency_key, parse_xero_datetime
from .changes import remember_fingerprint
from .mappers import (
    ResolvedRefs,
    allocation_request,
    credit_notes_request,
    invoices_request,
)
from .mappers.invoice import account_code_for

INVOICE_REF = "invoice"
CREDIT_NOTE_REF = "credit_note"
ORG_REF = "organisation"
CLOSED = {"VOIDED", "DELETED"}


# -- deep links --------------------------------------------------------------------------------


def short_code(connection, xero: XeroClient) -> str:
    """The organisation's ShortCode (``!uK7dA``): from the connection when the host stored
    it, else remembered per tenant, else read once from ``GET /Organisation``."""
    known = getattr(connection, "tenant_short_code", None)
    if known:
        return str(known)
    tenant = str(connection.tenant_id)
    remembered = connection.refs.get(ORG_REF, tenant)
    if remembered:
        return remembered
    code = str(xero.organisation().get("ShortCode") or "")
    if code:
        connection.refs.remember(ORG_REF, tenant, code)
    return code


def app_base(connection) -> str:
    from .info import APP_BASE_URL

    return ((getattr(connection, "endpoints", None) or {}).get("app") or APP_BASE_URL).rstrip("/")


def invoice_link(connection, code: str, invoice_id: str) -> str:
    """Xero's documented deep link: switches to the organisation, then opens the invoice."""
    base = app_base(connection)
    if not code:
        return f"{base}/AccountsReceivable/View.aspx?InvoiceID={invoice_id}"
    return (f"{base}/organisationlogin/default.aspx?shortcode={code}"
            f"&redirecturl=/AccountsReceivable/View.aspx?InvoiceID={invoice_id}")


def credit_note_link(connection, code: str, credit_note_id: str) -> str:
    base = app_base(connection)
    target = f"/AccountsPayable/ViewCreditNote.aspx?creditNoteID={credit_note_id}"
    if not code:
        return f"{base}{target}"
    return f"{base}/organisationlogin/default.aspx?shortcode={code}&redirecturl={target}"


def version_of(document: dict) -> str | None:
    moment = parse_xero_datetime(document.get("UpdatedDateUTC"))
    return moment.isoformat() if moment else None


# -- resolving the Xero side of the lines ------------------------------------------------------


def _tracking_for_labels(connection, xero: XeroClient, labels: set[str]) -> tuple[dict, dict]:
    """For each class label: the tracking ids to send and their Xero names (``{category:
    option}``, for the booked-vs-sent comparison). From the admin's mapping, else the option of
    that name in the default tracking category. A class mapped to "Not tracked in Xero" is left
    out (the admin's choice); a class neither resolves is a mapping error (never an invoice
    silently booked without its tracking)."""
    mapped: dict[str, dict] = {}
    unmapped = []
    for label in sorted(labels):
        value = connection.mapping("tracking", label)
        if value == lookups.NOT_TRACKED:
            continue
        ids = lookups.split_tracking_id(value) if value else None
        if value and ids is None:
            raise MappingError(
                f"The tracking mapping of class {label!r} ({value!r}) is not a Xero tracking "
                "option.", fix="Map the class again on the Xero integration's Manage page.")
        if ids:
            mapped[label] = ids
        else:
            unmapped.append(label)
    category_id = str(connection.settings.get("tracking_category") or "")
    if not mapped and not unmapped:
        return {}, {}
    categories = lookups.active_tracking(xero)
    if unmapped and not category_id:
        one = len(unmapped) == 1
        shown = ("Class " if one else "Classes ") + ", ".join(repr(label) for label in unmapped)
        where = ("Add a tracking category in Xero (Settings > Tracking categories) with an "
                 "option for it, then map" if not categories else "Map")
        raise MappingError(
            f"{shown} {'has' if one else 'have'} no Xero tracking: not mapped to a tracking "
            "option, and no default tracking category is set in the Xero settings, so the "
            "document was not pushed (Xero would book it without tracking).",
            fix=f"{where} the class{'' if one else 'es'} on the Xero integration's Manage "
                "page (or choose \"Not tracked in Xero\" there, or a default tracking category "
                "with an option of that name in the settings), then retry.")
    out: dict[str, dict] = {}
    names: dict[str, dict] = {}
    for label, ids in mapped.items():
        category = _by_id(categories, "TrackingCategoryID", ids["TrackingCategoryID"])
        option = _by_id(category["Options"] if category else [], "TrackingOptionID",
                        ids["TrackingOptionID"])
        if option is None:
            raise MappingError(
                f"Class {label!r} is mapped to a Xero tracking option that is archived or gone.",
                fix="Map the class again on the Xero integration's Manage page, then retry.")
        out[label] = ids
        names[label] = {str(category["Name"]): str(option["Name"])}
    if unmapped:
        category = _by_id(categories, "TrackingCategoryID", category_id)
        if category is None:
            raise MappingError(
                "The default tracking category chosen in the Xero settings is archived or gone "
                "in Xero.",
                fix="Choose another tracking category (or none) in the Xero integration "
                    "settings, then retry.")
        for label in unmapped:
            option = next((o for o in category["Options"]
                           if str(o["Name"]).strip().casefold() == label.casefold()), None)
            if option is None:
                options = ", ".join(o["Name"] for o in category["Options"]) or "none"
                raise MappingError(
                    f"Class {label!r} is not an active option of the Xero tracking category "
                    f"{category['Name']!r} (active options: {options}).",
                    fix=f"Add {label!r} as an option of {category['Name']!r} in Xero, or map "
                        "the class to a tracking option on the Xero integration's Manage "
                        "page, then retry.")
            out[label] = {"TrackingCategoryID": category["TrackingCategoryID"],
                          "TrackingOptionID": option["TrackingOptionID"]}
            names[label] = {str(category["Name"]): str(option["Name"])}
    return out, names


def _by_id(rows: list, field: str, wanted: str) -> dict | None:
    return next((r for r in rows if str(r.get(field, "")).lower() == str(wanted).lower()), None)


def _no_tax_type(connection, xero: XeroClient) -> str:
    """The organisation's 'no tax' TaxType (remembered per organisation once found)."""
    tenant = str(connection.tenant_id)
    known = connection.refs.get("no_tax_type", tenant)
    if known:
        return known
    found = lookups.no_tax_type(lookups.sales_tax_rates(xero))
    if not found:
        raise MappingError(
            "A line has no tax rate in the PSA, and the Xero organisation has no 'no tax' rate "
            "(NONE or a 0 % exempt rate) to book it without tax.",
            fix="Give the line a PSA tax rate mapped to a Xero tax rate, or add a 0 % 'No tax' "
                "sales rate in Xero, then retry.")
    connection.refs.remember("no_tax_type", tenant, found)
    return found


def _match_tax_rates(xero: XeroClient, unmapped: dict, tax_types: dict, notes: list) -> None:
    """Unmapped PSA tax rates whose percentage exactly one active Xero sales rate has are booked
    to it (and the record says so); none or several: a mapping error naming the candidates."""
    rates = lookups.sales_tax_rates(xero)
    for rate_id, (tax_rate, description) in unmapped.items():
        wanted = Decimal(tax_rate.rate).normalize()
        same = lookups.same_percent_rates(rates, wanted)
        if len(same) == 1:
            tax_types[rate_id] = str(same[0]["TaxType"])
            notes.append(f"Tax rate {tax_rate.name!r} was booked as Xero's "
                         f"{same[0].get('Name') or same[0]['TaxType']!r} ({same[0]['TaxType']}),"
                         " the only Xero "
                         f"sales rate of {wanted:f} %; map it on the Manage page to choose "
                         "another.")
            continue
        found = (f"Xero has {len(same)} sales rates of {wanted:f} %: "
                 + ", ".join(f"{lookups.tax_label(r)} ({r['TaxType']})" for r in same)
                 if same else f"Xero has no active sales rate of {wanted:f} %")
        raise MappingError(
            f"The tax rate {tax_rate.name!r} ({wanted:f} %) on line {description!r} has no Xero "
            f"tax type, and {found}.",
            fix=f"Map the tax rate {tax_rate.name!r} to a Xero tax rate on the Xero "
                "integration's Manage page, then retry.")


def resolve_refs(connection, xero: XeroClient, lines, contact_id: str,
                 notes: list | None = None) -> ResolvedRefs:
    notes = notes if notes is not None else []
    default = str(connection.settings.get("default_revenue_account") or "")
    account_codes: dict[int, str] = {}
    tax_types: dict[int, str] = {}
    item_codes: dict[int, str] = {}
    unmapped_services = {}
    unmapped_taxes: dict = {}
    for line in lines:
        if line.gl_account is not None:
            code = connection.mapping("account", line.gl_account.id)
            if code:
                account_codes[line.gl_account.id] = code
        if line.tax_rate is not None:
            tax = connection.mapping("tax_type", line.tax_rate.id)
            if tax:
                tax_types[line.tax_rate.id] = tax
            else:
                unmapped_taxes.setdefault(line.tax_rate.id, (line.tax_rate, line.description))
        if line.service_type is not None and line.service_type.id not in item_codes:
            item = connection.mapping("item", line.service_type.id)
            if item:
                item_codes[line.service_type.id] = item
            else:
                unmapped_services[line.service_type.id] = line.service_type
    if unmapped_services:
        items = [lookups.item_candidate(i) for i in lookups.sold_items(xero)]
        from host.integrations.matching import match_service_type

        for service_id, service_type in unmapped_services.items():
            preview = match_service_type(service_type, items, label="item")
            if preview.outcome == "match" and preview.external_id:
                item_codes[service_id] = preview.external_id
            elif preview.outcome == "ambiguous":
                raise MappingError(
                    f"Service type {service_type.name!r} matches several Xero items "
                    f"({preview.reason}).",
                    fix="Map the service type to one Xero item on the Xero integration's "
                        "Manage page, then retry.")
    if unmapped_taxes:
        _match_tax_rates(xero, unmapped_taxes, tax_types, notes)
    untaxed = ""
    if any(line.tax_rate is None for line in lines):
        untaxed = _no_tax_type(connection, xero)
    labels = {line.class_label.strip() for line in lines if line.class_label.strip()}
    tracking, tracking_names = _tracking_for_labels(connection, xero, labels)
    refs = ResolvedRefs(contact_id=contact_id, default_account_code=default,
                        account_codes=account_codes, tax_types=tax_types, item_codes=item_codes,
                        tracking=tracking, no_tax_type=untaxed, tracking_names=tracking_names)
    for line in lines:  # fail before any write when a line has no account at all
        account_code_for(line, refs)
    return refs


# -- invoices ----------------------------------------------------------------------------------


def _money(value: Any) -> Decimal:
    """An amount from a Xero answer, in cents (Xero may render ``100.0``)."""
    return Decimal(str(value if value is not None else "0")).quantize(Decimal("0.01"))


def _same_document(existing: dict, wanted: dict) -> bool:
    """Would sending ``wanted`` change nothing that matters on ``existing``?"""
    if str((existing.get("Contact") or {}).get("ContactID", "")).lower() != \
            str(wanted["Contact"]["ContactID"]).lower():
        return False
    if str(existing.get("CurrencyCode") or wanted["CurrencyCode"]) != wanted["CurrencyCode"]:
        return False
    if (existing.get("DueDateString") or "")[:10] not in ("", wanted.get("DueDate", "")):
        return False
    if (existing.get("DateString") or "")[:10] not in ("", wanted.get("Date", "")):
        return False
    if str(existing.get("Reference") or "") != str(wanted.get("Reference") or ""):
        return False  # a new reference / PO number (or mapped Reference) is worth a write
    old_lines = existing.get("LineItems") or []
    new_lines = wanted.get("LineItems") or []
    if len(old_lines) != len(new_lines):
        return False
    for old, new in zip(old_lines, new_lines):
        if (str(old.get("Description", "")).strip() != str(new.get("Description", "")).strip()
                or Decimal(str(old.get("Quantity") or 0)) != Decimal(str(new.get("Quantity") or 0))
                or _money(old.get("UnitAmount")) != _money(new.get("UnitAmount"))
                or str(old.get("AccountCode", "")) != str(new.get("AccountCode", ""))
                or (new.get("TaxType") and str(old.get("TaxType", "")) != str(new["TaxType"]))
                or _money(old.get("DiscountRate")) != _money(new.get("DiscountRate"))
                or str(old.get("ItemCode") or "") != str(new.get("ItemCode") or "")
                or not _same_tracking(old.get("Tracking") or [], new.get("Tracking") or [])):
            return False
    return True


def _same_tracking(old: list, new: list) -> bool:
    """Tracking as Xero returns it (ids and names) against what we would send (ids, or
    category and option names)."""
    if len(old) != len(new):
        return False
    for entry in new:
        if entry.get("TrackingOptionID"):
            hit = any(str(o.get("TrackingOptionID", "")).lower()
                      == str(entry["TrackingOptionID"]).lower() for o in old)
        else:
            hit = any(str(o.get("Name", "")).casefold() == str(entry.get("Name", "")).casefold()
                      and str(o.get("Option", "")).casefold()
                      == str(entry.get("Option", "")).casefold() for o in old)
        if not hit:
            return False
    return True


def _result(connection, xero: XeroClient, doc: dict, *, note: str = "",
            emailed: bool = False, differences: tuple[str, ...] = ()) -> SyncResult:
    return SyncResult(external_id=str(doc["InvoiceID"]), number=doc.get("InvoiceNumber"),
                      deep_link=invoice_link(connection, short_code(connection, xero),
                                             str(doc["InvoiceID"])),
                      version=version_of(doc), note=note or None, emailed=emailed,
                      differences=differences)


def _update(connection, xero: XeroClient, invoice, existing: dict, body: dict, key: str,
            notes: list | None = None) -> dict:
    """Update a pushed invoice where Xero allows it; explain why not otherwise. When Xero's
    copy was edited in Xero since the last push, the PSA's version replaces it and ``notes``
    says so (never silently)."""
    wanted = body["Invoices"][0]
    number = existing.get("InvoiceNumber") or invoice.number
    status = str(existing.get("Status") or "")
    if _same_document(existing, wanted) and status not in CLOSED:
        return existing
    if status in CLOSED:
        raise ConflictError(
            f"Invoice {number} is {status.lower()} in Xero, so the edited invoice cannot be "
            "pushed to it.",
            fix="Xero keeps voided and deleted invoices as they are. Create a new invoice in "
                "the PSA for the corrected amounts (or undo the change).")
    paid, credited = _money(existing.get("AmountPaid")), _money(existing.get("AmountCredited"))
    if status == "PAID" or paid > 0 or credited > 0:
        what = "paid" if status == "PAID" else (
            f"{paid} paid" if paid > 0 else "") + (" and " if paid > 0 and credited > 0 else "") \
            + (f"{credited} credited" if credited > 0 else "")
        raise ConflictError(
            f"Invoice {number} already has money applied in Xero ({what.strip()}), and Xero "
            "does not allow its amounts, lines or contact to change, so the edit was not "
            "pushed.",
            fix="Issue a credit note in the PSA for the difference, or remove the payment in "
                "Xero first and retry.")
    from .changes import differs

    if notes is not None and differs(connection, existing):
        notes.append(f"Invoice {number} had been edited in Xero since it was last pushed; the "
                     "edited PSA invoice replaced Xero's copy (check the invoice's history in "
                     "Xero for what changed there).")
    payload = dict(wanted)
    payload["InvoiceID"] = existing["InvoiceID"]
    payload["InvoiceNumber"] = existing.get("InvoiceNumber") or wanted.get("InvoiceNumber")
    envelope = {"Invoices": [payload]}
    return xero.post(f"Invoices/{existing['InvoiceID']}", "Invoices", envelope,
                     key=body_key(key, "invoice-update", envelope),
                     action=f"updating invoice {number} in Xero")


def _adopt_duplicate(connection, xero: XeroClient, invoice, contact_id: str,
                     exc: ConflictError) -> dict:
    """After "Invoice # must be unique.": our own earlier write (same contact, and not linked
    to another PSA invoice) is adopted."""
    found = [d for d in xero.invoices(numbers=[invoice.number])
             if d.get("Type") == "ACCREC" and str(d.get("InvoiceNumber")) == invoice.number]
    ours, linked = [], []
    for doc in found:
        if str((doc.get("Contact") or {}).get("ContactID", "")).lower() != contact_id.lower() \
                or doc.get("Status") in CLOSED:
            continue
        owner = connection.refs.host_id_for(INVOICE_REF, str(doc["InvoiceID"]))
        (ours if owner in (None, str(invoice.id)) else linked).append(doc)
    if len(ours) == 1:
        return ours[0]
    other = (linked or found or [{}])[0]
    who = (other.get("Contact") or {}).get("Name") or "another contact"
    state = str(other.get("Status") or "").lower()
    also = " and already linked to another PSA invoice" if linked else ""
    raise ConflictError(
        f"Xero already has invoice number {invoice.number} ({state + ', ' if state else ''}"
        f"for {who}{also}), so this invoice cannot be created with it. Xero said: "
        f"{exc.message}",
        fix=f"Open {invoice.number} in Xero. If it is a different invoice, renumber it in Xero "
            "(a voided invoice keeps its number for ever) and retry; if it is this one, map "
            "the client to that contact on the Xero reconciliation page and retry.",
        code=exc.code, detail=exc.detail)


def wants_email(connection, invoice) -> bool:
    """Email this push? The admin's choice for it (``InvoiceData.send_email`` True / False:
    "Push now, and email it" / "without emailing"), else the connection's ``auto_send``."""
    if invoice.send_email is not None:
        return bool(invoice.send_email)
    return bool(connection.settings.get("auto_send"))


def _email(connection, xero: XeroClient, invoice, doc: dict, contact: contacts.ResolvedContact,
           key: str) -> tuple[bool, str]:
    if not wants_email(connection, invoice):
        return False, ""
    if doc.get("SentToContact"):
        return False, ""
    if not (contact.email or invoice.client.billing_email):
        return False, (f"Pushed to Xero but not emailed: the Xero contact {contact.name!r} has "
                       "no email address. Add the client's billing email, or send the invoice "
                       "from Xero.")
    try:
        xero.email_invoice(str(doc["InvoiceID"]), key=idempotency_key(key, "email"))
    except ValidationError as exc:
        return False, f"Pushed to Xero but not emailed. {exc.message} {exc.fix}"
    return True, ""


def on_invoice_sent(connection, invoice, key: str) -> SyncResult:
    xero = XeroClient(connection)
    base = currency.require(connection, xero, invoice.currency, f"Invoice {invoice.number}")
    contact = contacts.resolve(connection, xero, invoice.client)
    notes: list[str] = []
    refs = resolve_refs(connection, xero, invoice.lines, contact.contact_id, notes)
    known_id = (invoice.external.external_id if invoice.external else None) or \
        connection.refs.get(INVOICE_REF, invoice.id)
    body = invoices_request(_without_external(invoice), refs)
    doc = None
    if known_id:
        existing = xero.invoice(known_id)
        if existing is None:
            raise NotFoundError(
                f"Invoice {invoice.number} was pushed to Xero before but Xero no longer has it.",
                fix="It was deleted in Xero. Check Xero; push the invoice again only if it "
                    "should exist there.")
        doc = _update(connection, xero, invoice, existing, body, key, notes)
    else:
        try:
            doc = xero.put("Invoices", body, key=body_key(key, "invoice", body),
                           action=f"creating invoice {invoice.number} in Xero")
        except ConflictError as exc:
            if "must be unique" not in exc.message:
                raise
            existing = _adopt_duplicate(connection, xero, invoice, contact.contact_id, exc)
            doc = _update(connection, xero, invoice, existing, body, key, notes)
    connection.refs.remember(INVOICE_REF, invoice.id, str(doc["InvoiceID"]))
    remember_fingerprint(connection, doc)  # X2: "the Xero copy differs" compares with it
    emailed, email_note = _email(connection, xero, invoice, doc, contact, key)
    booked, found = booked_vs_sent.differences(invoice, doc, refs, base)
    note = " ".join(n for n in (contact.note, booked.rate_text, *notes, email_note) if n)
    return _result(connection, xero, doc, note=note, emailed=emailed, differences=found)


def _without_external(document):
    """The snapshot without ``external`` (the mapper then leaves InvoiceID out; updates add it
    themselves after reading the invoice)."""
    from dataclasses import replace

    return replace(document, external=None) if getattr(document, "external", None) else document


def on_invoice_voided(connection, invoice, key: str) -> SyncResult:
    xero = XeroClient(connection)
    invoice_id = (invoice.external.external_id if invoice.external else None) or \
        connection.refs.get(INVOICE_REF, invoice.id)
    if not invoice_id:
        raise NotFoundError(f"Invoice {invoice.number} was never pushed to Xero.",
                            fix="Nothing to void in Xero.")
    existing = xero.invoice(invoice_id)
    if existing is None:
        raise NotFoundError(f"Invoice {invoice.number} is no longer in Xero.",
                            fix="It was deleted in Xero; nothing to void there.")
    number = existing.get("InvoiceNumber") or invoice.number
    status = str(existing.get("Status") or "")
    if status == "VOIDED":  # voided in Xero already (by the accountant, or a lost answer)
        return _result(connection, xero, existing, note=(
            f"Invoice {number} was already voided in Xero; nothing else was changed there."))
    if status == "DELETED":
        raise NotFoundError(f"Invoice {number} was deleted in Xero.",
                            fix="Nothing to void in Xero.")
    paid, credited = _money(existing.get("AmountPaid")), _money(existing.get("AmountCredited"))
    if status == "PAID" or paid > 0 or credited > 0:
        raise ValidationError(
            f"Invoice {number} cannot be voided in Xero: it has "
            + " and ".join(p for p in (f"{paid} in payments" if paid > 0 else "",
                                       f"{credited} in credit notes" if credited > 0 else "")
                           if p) + " applied (Xero voids only invoices with nothing applied).",
            fix="Remove the payments and credit allocations from the invoice in Xero, then "
                "retry the void.")
    target = "DELETED" if status in ("DRAFT", "SUBMITTED") else "VOIDED"
    envelope = {"Invoices": [{"InvoiceID": existing["InvoiceID"], "Status": target}]}
    doc = xero.post(f"Invoices/{existing['InvoiceID']}", "Invoices", envelope,
                    key=body_key(key, "void", envelope),
                    action=f"voiding invoice {number} in Xero")
    return _result(connection, xero, doc)


# -- credit notes ------------------------------------------------------------------------------


def _cn_result(connection, xero: XeroClient, doc: dict, note: str = "") -> SyncResult:
    return SyncResult(external_id=str(doc["CreditNoteID"]), number=doc.get("CreditNoteNumber"),
                      deep_link=credit_note_link(connection, short_code(connection, xero),
                                                 str(doc["CreditNoteID"])),
                      version=version_of(doc), note=note or None, emailed=False)


def _find_credit_note(xero: XeroClient, number: str) -> dict | None:
    from .api import quote

    rows = [d for d in xero.credit_notes(where=f"CreditNoteNumber=={quote(number)}")
            if d.get("Type") == "ACCRECCREDIT" and d.get("Status") not in CLOSED]
    return rows[0] if rows else None


def on_credit_note(connection, note, key: str) -> SyncResult:
    xero = XeroClient(connection)
    base = currency.require(connection, xero, note.currency, f"Credit note {note.number}")
    invoice_id = note.invoice_external.external_id if note.invoice_external else \
        connection.refs.get(INVOICE_REF, note.invoice_id)
    if not invoice_id:
        raise MappingError(
            f"Credit note {note.number} credits invoice {note.invoice_number}, which is not in "
            "Xero.", fix=f"Push invoice {note.invoice_number} to Xero first, then retry.",
            retryable=True)
    invoice = xero.invoice(invoice_id)
    if invoice is None or invoice.get("Status") in CLOSED:
        state = "gone" if invoice is None else str(invoice.get("Status")).lower()
        raise ValidationError(
            f"Invoice {note.invoice_number} is {state} in Xero, so credit note {note.number} "
            "cannot be allocated to it.",
            fix="Check the invoice in Xero; a credit for a voided invoice is not needed.")
    contact_id = str((invoice.get("Contact") or {}).get("ContactID") or "")
    if not contact_id:
        contact_id = contacts.resolve(connection, xero, note.client).contact_id
    notes: list[str] = []
    refs = resolve_refs(connection, xero, note.lines, contact_id, notes)
    known = (note.external.external_id if note.external else None) or \
        connection.refs.get(CREDIT_NOTE_REF, note.id)
    doc = xero.credit_note(known) if known else None
    if doc is None:
        body = credit_notes_request(_without_external(note), refs)
        try:
            doc = xero.put("CreditNotes", body, key=body_key(key, "credit-note", body),
                           action=f"creating credit note {note.number} in Xero")
        except ConflictError as exc:
            if "must be unique" not in exc.message:
                raise
            doc = _find_credit_note(xero, note.number)
            if doc is None or str((doc.get("Contact") or {}).get("ContactID", "")).lower() \
                    != contact_id.lower():
                raise
    connection.refs.remember(CREDIT_NOTE_REF, note.id, str(doc["CreditNoteID"]))
    result = _allocate(connection, xero, note, doc, invoice, key)
    booked, found = booked_vs_sent.differences(note, doc, refs, base)
    from dataclasses import replace

    return replace(result, note=" ".join(n for n in (booked.rate_text, *notes, result.note)
                                         if n) or None, differences=found)


def _allocate(connection, xero: XeroClient, note, doc: dict, invoice: dict,
              key: str) -> SyncResult:
    invoice_id = str(invoice["InvoiceID"])
    allocations = doc.get("Allocations") or []
    if any(str((a.get("Invoice") or {}).get("InvoiceID", "")).lower() == invoice_id.lower()
           and not a.get("IsDeleted") for a in allocations):
        return _cn_result(connection, xero, doc)
    remaining = _money(doc.get("RemainingCredit", doc.get("Total")))
    due = _money(invoice.get("AmountDue"))
    amount = min(remaining, due)
    if amount <= 0:
        reason = ("the invoice has nothing left to pay" if due <= 0
                  else "the credit note has no credit left")
        return _cn_result(connection, xero, doc, note=(
            f"Credit note {doc.get('CreditNoteNumber') or note.number} is in Xero but was not "
            f"allocated to invoice {note.invoice_number}: {reason}. It stays as credit on the "
            "contact in Xero."))
    body = allocation_request(note, amount=amount, invoice_id=invoice_id)
    xero.allocate(str(doc["CreditNoteID"]), body, key=body_key(key, "allocation", body),
                  action=f"allocating credit note {note.number} to invoice "
                         f"{note.invoice_number}")
    fresh = xero.credit_note(str(doc["CreditNoteID"])) or doc
    message = ""
    if amount < _money(note.total):
        message = (f"Allocated {amount} of the credit note's {note.total} to invoice "
                   f"{note.invoice_number} (all that was still due); the rest stays as credit "
                   "on the contact in Xero.")
    return _cn_result(connection, xero, fresh, note=message)
