"""``test_connection``: what the admin's Test button verifies, each as a :class:`Check`.

Read-only checks: the organisation answers (name, short code, base currency), it may approve
invoices (``/Organisation/Actions``), the currencies it books invoices in (``/Currencies``),
the default revenue account is an ACTIVE REVENUE account, sales tax rates exist, the default
tracking category (if chosen) is active (without one, the check warns up front that a class
not mapped stops the invoice's push), the bank account for payments (if chosen) is an active
bank account. A failure shows Xero's own words and a fix; only refused credentials raise (the
host then offers Reconnect). A PSA tax rate that is not mapped while Xero has several sales
rates of its percentage is a warning.

Two-way sync adds two warnings (issue 12, seed 003): **lock dates** -- no period or end of
year lock date means closed-period locking is off, so invoices of months already reported can
still be edited or voided in Xero, and such edits now reach the PSA; **invoice numbers** --
Xero numbers invoices created in Xero from its Invoice settings ("Invoice prefix" and "Next
number"), which the API cannot read. So the check reads the latest sales invoices
(``summaryOnly``, one page) and compares the prefixes of the numbers Xero gave its own
invoices with those of the invoices the PSA pushed: the same prefix (``INV-`` on both sides)
means an invoice created in Xero and imported into the PSA can take a number the PSA will use,
or the other way round. We chose this over a setting the admin types because it checks what
the books really hold.

The optional write check creates a DRAFT invoice for an existing contact and deletes it again
(a deleted draft frees its number), also when something fails half-way.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from decimal import Decimal

from hookspecs import AuthError, Check, ProviderError, TestResult

from . import lookups
from .api import XeroClient, idempotency_key, parse_xero_date

FIX_SETTINGS = "Choose another value in the Xero settings above and press Test again."


def _failed(name: str, exc: ProviderError) -> Check:
    return Check(name, "fail", exc.message, fix=exc.fix or FIX_SETTINGS)


def test_connection(connection, write_check: bool) -> TestResult:
    xero = XeroClient(connection)
    checks: list[Check] = []
    try:
        org = xero.organisation()
    except AuthError:
        raise
    except ProviderError as exc:
        return TestResult(checks=(_failed("Organisation", exc),))
    status = str(org.get("OrganisationStatus") or "ACTIVE")
    label = (f"Connected to {org.get('Name')} (short code {org.get('ShortCode') or '-'}, "
             f"{org.get('Version') or org.get('CountryCode') or ''} organisation, base currency "
             f"{org.get('BaseCurrency') or '-'})")
    checks.append(Check("Organisation", "pass" if status == "ACTIVE" else "warn", label,
                        fix="" if status == "ACTIVE" else
                        f"Xero reports the organisation as {status}; check its subscription."))
    checks.append(_approval_check(xero))
    checks.append(_currency_check(xero, str(org.get("BaseCurrency") or "")))
    checks.append(_revenue_account_check(connection, xero))
    checks.append(_tax_check(xero))
    checks.extend(_ambiguous_tax_rates(connection, xero))
    checks.append(_tracking_check(connection, xero))
    checks.append(_bank_check(connection, xero))
    checks.append(_lock_dates(org))
    checks.append(_numbering(connection, xero))
    if write_check:
        checks.append(_write_check(connection, xero))
    else:
        checks.append(Check("Write access", "warn", "Not checked (read-only test).",
                            fix="Tick 'also check write access' and press Test to create and "
                                "delete a draft invoice in Xero."))
    return TestResult(checks=tuple(checks))


def _approval_check(xero: XeroClient) -> Check:
    name = "Approving invoices"
    try:
        data = xero.get("Organisation/Actions", action="reading what the Xero plan allows")
    except AuthError:
        raise
    except ProviderError as exc:
        return Check(name, "warn", f"Could not read what the Xero plan allows: {exc.message}",
                     fix="Nothing to do unless pushes fail; then check the Xero plan.")
    actions = {str(a.get("Name")): str(a.get("Status")) for a in (data or {}).get("Actions") or []}
    if actions.get("CreateApprovedInvoice", "ALLOWED") != "ALLOWED":
        return Check(name, "fail", "The Xero plan does not allow approving invoices through the "
                     "API (CreateApprovedInvoice: NOT-ALLOWED).",
                     fix="Upgrade the Xero plan (or wait for next month's allowance), then test "
                         "again.")
    return Check(name, "pass", "The organisation can approve invoices (pushed invoices are "
                 "AUTHORISED, awaiting payment).")


def _currency_check(xero: XeroClient, base: str) -> Check:
    name = "Currencies"
    try:
        codes = [str(c.get("Code")) for c in xero.currencies()]
    except AuthError:
        raise
    except ProviderError as exc:
        return _failed(name, exc)
    others = [c for c in codes if c and c != base]
    if not others:
        return Check(name, "pass", f"Invoices are booked in {base or 'the base currency'}; an "
                     "invoice in any other currency is not pushed (a mapping error says which "
                     "currency to add in Xero).")
    return Check(name, "pass", f"Invoices are booked in {base} or {', '.join(others)} (at "
                 "Xero's own rate, stated on each invoice's sync panel); an invoice in any "
                 "other currency is not pushed (a mapping error says which currency to add "
                 "in Xero).")


def _revenue_account_check(connection, xero: XeroClient) -> Check:
    name = "Default revenue account"
    code = str(connection.settings.get("default_revenue_account") or "").strip()
    if not code:
        return Check(name, "fail", "No default revenue account is chosen.",
                     fix="Choose the Xero revenue account for invoice lines, then test again.")
    try:
        accounts = xero.accounts()
    except AuthError:
        raise
    except ProviderError as exc:
        return _failed(name, exc)
    found = next((a for a in accounts if str(a.get("Code", "")).lower() == code.lower()), None)
    if found is None:
        return Check(name, "fail", f"Xero has no account with code {code}.",
                     fix="Choose an existing revenue account (Xero > Accounting > Chart of "
                         "accounts), then test again.")
    if not lookups.is_revenue_account(found):
        problem = (f"is {str(found.get('Status')).lower()}" if found.get("Status") != "ACTIVE"
                   else f"is not a revenue account (class {found.get('Class')}, type "
                        f"{found.get('Type')})")
        return Check(name, "fail", f"Xero account {lookups.account_label(found)} {problem}.",
                     fix="Choose an active revenue account, then test again.")
    return Check(name, "pass", f"{lookups.account_label(found)} is an active revenue account.")


def _tax_check(xero: XeroClient) -> Check:
    name = "Tax rates"
    try:
        rates = lookups.sales_tax_rates(xero)
    except AuthError:
        raise
    except ProviderError as exc:
        return _failed(name, exc)
    if not rates:
        return Check(name, "fail", "Xero has no active tax rate that applies to sales.",
                     fix="Add a sales tax rate in Xero (Settings > Tax rates), then test again.")
    shown = ", ".join(str(r["TaxType"]) for r in rates[:6]) + (" ..." if len(rates) > 6 else "")
    return Check(name, "pass", f"{len(rates)} sales tax rates available ({shown}). Map the PSA "
                 "tax rates to them on the Manage page.")


def _ambiguous_tax_rates(connection, xero: XeroClient) -> list[Check]:
    """A warning when a PSA tax rate is not mapped and Xero has several sales rates of its
    percentage: the first invoice with it would fail (``push._match_tax_rates``)."""
    try:
        rates = lookups.sales_tax_rates(xero)
    except ProviderError:
        return []  # the "Tax rates" check above already says Xero could not be read
    stuck = []
    for tax_rate in connection.tax_rates():
        same = lookups.same_percent_rates(rates, tax_rate.rate)
        if len(same) > 1 and not connection.mapping("tax_type", tax_rate.id):
            stuck.append(f"{tax_rate.name} ({Decimal(tax_rate.rate).normalize():f} %) could be "
                         + " or ".join(f"{lookups.tax_label(r)} ({r['TaxType']})" for r in same))
    if not stuck:
        return []
    return [Check("Tax rate mapping", "warn",
                  "Not mapped, and Xero has several sales rates of the same percentage, so "
                  "invoices with these tax rates will fail: " + "; ".join(stuck) + ".",
                  fix="Choose the Xero tax rate for each in the Tax rates table on the Manage "
                      "page.")]


def _tracking_check(connection, xero: XeroClient) -> Check:
    name = "Tracking category"
    category_id = str(connection.settings.get("tracking_category") or "")
    if not category_id:
        return Check(name, "warn", "No default tracking category: each PSA class must be mapped "
                     "to a Xero tracking option (or to \"Not tracked in Xero\"); an invoice "
                     "with a class that is not mapped is not pushed (a mapping error names the "
                     "class), never booked without its tracking.",
                     fix="Map the classes on the Manage page, or choose a default tracking "
                         "category whose options are named like the classes.")
    try:
        categories = lookups.active_tracking(xero)
    except AuthError:
        raise
    except ProviderError as exc:
        return _failed(name, exc)
    found = next((c for c in categories if str(c["TrackingCategoryID"]) == category_id), None)
    if found is None:
        return Check(name, "fail", "The chosen tracking category is archived or gone in Xero.",
                     fix="Choose another tracking category (or none), then test again.")
    if not found["Options"]:
        return Check(name, "fail", f"Tracking category {found['Name']!r} has no active options.",
                     fix=f"Add options to {found['Name']!r} in Xero, then test again.")
    return Check(name, "pass", f"Tracking category {found['Name']!r} is active (options: "
                 + ", ".join(o["Name"] for o in found["Options"]) + ").")


def _bank_check(connection, xero: XeroClient) -> Check:
    name = "Bank account for payments"
    code = str(connection.settings.get("bank_account_code") or "")
    if not code:
        return Check(name, "warn", "No bank account chosen: payments recorded in the PSA are "
                     "not sent to Xero.",
                     fix="Choose the Xero bank account payments go to, if the PSA should record "
                         "them in Xero.")
    try:
        accounts = xero.accounts()
    except AuthError:
        raise
    except ProviderError as exc:
        return _failed(name, exc)
    found = next((a for a in accounts if str(a.get("Code", "")) == code), None)
    if found is None or not lookups.is_bank_account(found):
        return Check(name, "fail", f"Account {code} is not an active Xero bank account.",
                     fix="Choose an active bank account, then test again.")
    return Check(name, "pass", f"Payments go to {lookups.account_label(found)}.")


def _write_check(connection, xero: XeroClient) -> Check:
    name = "Write access"
    key = idempotency_key(f"psa-{connection.id}-write-check", date.today().isoformat())
    created = None
    try:
        contacts = xero.get("Contacts", params={"page": 1, "pageSize": 1,
                                                "where": 'ContactStatus=="ACTIVE"'},
                            action="finding a contact for the write check")
        rows = (contacts or {}).get("Contacts") or []
        if not rows:
            return Check(name, "warn", "Not checked: the organisation has no active contact to "
                         "put a draft invoice on.",
                         fix="Nothing to do; the first push will create the client's contact.")
        body = {"Invoices": [{
            "Type": "ACCREC", "Status": "DRAFT", "Contact": {"ContactID": rows[0]["ContactID"]},
            "Reference": "PSA connection test (deleted automatically)",
            "LineAmountTypes": "NoTax",
            "LineItems": [{"Description": "PSA connection test", "Quantity": 1,
                           "UnitAmount": 0}]}]}
        created = xero.put("Invoices", body, key=f"{key}-{uuid.uuid4().hex[:8]}",
                           action="creating a draft test invoice")
    except AuthError:
        raise
    except ProviderError as exc:
        return _failed(name, exc)
    finally:
        problem = _delete_draft(xero, created) if created is not None else ""
    if problem:
        return Check(name, "warn", "Created a draft invoice in Xero but could not delete it: "
                     f"{problem}", fix=f"Delete draft invoice {created.get('InvoiceNumber')} "
                     "(reference 'PSA connection test') in Xero.")
    return Check(name, "pass", f"Created and deleted a draft invoice in Xero "
                 f"({created.get('InvoiceNumber')}).")


def _delete_draft(xero: XeroClient, created: dict) -> str:
    """Delete the test draft; '' when done, else why not."""
    try:
        xero.post(f"Invoices/{created['InvoiceID']}", "Invoices",
                  {"Invoices": [{"InvoiceID": created["InvoiceID"], "Status": "DELETED"}]},
                  key=None, action="deleting the draft test invoice")
    except ProviderError as exc:
        return exc.message
    return ""


def _lock_dates(org: dict) -> Check:
    name = "Lock dates"
    dates = [(label, str(parse_xero_date(org.get(field)) or org.get(field))) for field, label in (
        ("PeriodLockDate", "period lock date"), ("EndOfYearLockDate", "end of year lock date"))
        if org.get(field)]
    if not dates:
        return Check(name, "warn",
                     "Closed-period locking is off in Xero (no lock dates): invoices of months "
                     "already reported can still be edited or voided there, and with two-way "
                     "sync such edits reach the PSA too.",
                     fix="Set a lock date in Xero (Settings > Advanced > Financial settings > "
                         "Lock dates) once a period is reported.")
    return Check(name, "pass", "Xero locks " + " and ".join(
        f"the {label} {day}" for label, day in dates) + ".")


_NUMBER = re.compile(r"^(.*?)(\d+)$")


def number_prefix(number: str) -> str | None:
    """``"INV-"`` of ``"INV-0042"``; None for a number that does not end in digits."""
    match = _NUMBER.match(str(number or "").strip())
    return match.group(1).casefold() if match else None


def _numbering(connection, xero: XeroClient) -> Check:
    name = "Invoice numbers"
    try:
        data = xero.get("Invoices", params={
            "where": 'Type=="ACCREC"', "order": "Date DESC", "page": 1, "pageSize": 100,
            "summaryOnly": "true"}, action="reading the latest invoices")
    except AuthError:
        raise
    except ProviderError as exc:
        return Check(name, "warn", f"Could not read the latest invoices: {exc.message}",
                     fix="Press Test again later.")
    xero_own: dict[str, str] = {}
    pushed: dict[str, str] = {}
    for doc in (data or {}).get("Invoices") or []:
        number = str(doc.get("InvoiceNumber") or "")
        prefix = number_prefix(number)
        if prefix is None:
            continue
        ours = connection.refs.host_id_for("invoice", str(doc.get("InvoiceID") or "")) \
            is not None
        (pushed if ours else xero_own).setdefault(prefix, number)
    shared = sorted(set(xero_own) & set(pushed))
    if shared:
        prefix = shared[0]
        return Check(name, "warn",
                     f"Xero numbers the invoices created there like {xero_own[prefix]!r} and "
                     f"the PSA's invoices go to Xero numbered like {pushed[prefix]!r}: with "
                     "invoices syncing both ways, an invoice created in Xero can take a number "
                     "the PSA uses too, and Xero refuses the second one.",
                     fix="In Xero, give its own invoices a prefix of their own (Invoice "
                         "settings > Invoice prefix, e.g. 'XR-'), or number the PSA's invoices "
                         "differently.")
    seen = ", ".join(repr(p or "(none)") for p in sorted(xero_own)) or "none yet"
    return Check(name, "pass",
                 f"Invoices created in Xero use prefix(es) {seen}, none shared with the "
                 "invoices the PSA pushed.")
