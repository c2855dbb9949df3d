"""``test_connection``: what the Test button verifies, each a pass / warn / fail with a fix.

Read-only checks: credentials and permissions (company info and preferences can be read), the
company file (subscription active, name, country, edition), the US / non-US choice against the
company's country, the default product/service (exists, active, not a category, sellable) and
its income account, invoice numbering (Custom transaction numbers explained), class tracking
when class mapping is on (what happens to classes QuickBooks cannot book), currencies (home
only, or the multicurrency list and QuickBooks' rates), tax codes for a non-US company, sales
tax for a US one (what happens to the PSA's tax amount), closed books (a warning when
closed-period locking is off: ledger edits to reported months would reach the PSA through
two-way sync), revenue recognition (a warning when on: lines need service dates). QuickBooks refusing the
credentials raises ``AuthError`` (the host offers Reconnect); QuickBooks down or throttling
when the company is first read is one failed check, since nothing else can be checked then.

The optional write check creates a throw-away customer and a 0.01 invoice for it, then deletes
the invoice and makes the customer inactive (QuickBooks cannot delete customers) -- in
``finally`` blocks, so a failure half-way still cleans up what was made.
"""

from __future__ import annotations

import uuid
from datetime import date

from hookspecs import AuthError, Check, ProviderError, TestResult

from . import company as company_mod
from . import items as items_mod
from .api import QboClient, request_id
from .taxes import TaxCodes

SETTINGS = "the integration's settings"


def _credentials(qbo: QboClient) -> tuple[Check, company_mod.Company]:
    company = company_mod.load(qbo)
    return Check("Credentials and permissions", "pass",
                 "QuickBooks accepted the connection and let it read the company."), company


def _company(company: company_mod.Company) -> Check:
    detail = f"{company.name} (company {company.realm}, {company.country or 'country unknown'}"
    detail += f", {company.edition})" if company.edition else ")"
    if company.read_only:
        return Check("Company", "fail",
                     f"{detail}: the subscription is {company.subscription_status.lower()}, so "
                     "QuickBooks refuses new invoices.",
                     fix="Resolve the subscription in QuickBooks (Billing & subscription), then "
                         "test again.")
    return Check("Company", "pass", f"Connected to {detail}.")


def _tax_model(settings, company: company_mod.Company) -> Check:
    chosen = settings.get("non_us")
    chosen = company.non_us if chosen is None else bool(chosen)
    label = "non-US" if chosen else "US"
    if chosen == company.non_us:
        return Check("US / non-US", "pass",
                     f"Set to {label}, as the company's country ({company.country}) says.")
    return Check("US / non-US", "warn",
                 f"Set to {label}, but QuickBooks reports the company in {company.country}. "
                 "QuickBooks will refuse invoices built for the other tax model.",
                 fix=f"Change the US / non-US setting in {SETTINGS} unless QuickBooks' "
                     "company country is wrong.")


def _default_item(qbo: QboClient, settings) -> list[Check]:
    ident = settings.get("default_item")
    if not ident:
        return [Check("Default product/service", "fail", "No default product/service is set.",
                      fix=f"Choose one in {SETTINGS}, then test again.")]
    items = items_mod.load(qbo)
    item = items.get(str(ident))
    if item is None:
        return [Check("Default product/service", "fail",
                      f"The default product/service {ident} does not exist in QuickBooks.",
                      fix=f"Choose another one in {SETTINGS}, then test again.")]
    name = item.get("FullyQualifiedName") or item.get("Name")
    if not items_mod.usable(item):
        return [Check("Default product/service", "fail",
                      f"The default product/service {name!r} {items_mod.why_unusable(item)}.",
                      fix=f"Reactivate it in QuickBooks, or choose an active product/service "
                          f"(not a category) in {SETTINGS}.")]
    checks = [Check("Default product/service", "pass",
                    f"{name!r} is an active {item.get('Type', 'Service')} item that can be "
                    "invoiced.")]
    account_ref = (item.get("IncomeAccountRef") or {}).get("value")
    if not account_ref:
        checks.append(Check("Income account", "fail",
                            f"{name!r} has no income account, so QuickBooks cannot book sales.",
                            fix="Set the item's income account in QuickBooks (Products and "
                                "services > Edit)."))
        return checks
    account = qbo.read("Account", str(account_ref))
    acc_name = account.get("FullyQualifiedName") or account.get("Name")
    if account.get("Active") is False:
        checks.append(Check("Income account", "fail",
                            f"{name!r} books to the inactive account {acc_name!r}.",
                            fix="Reactivate the account or give the item another income "
                                "account in QuickBooks."))
    elif account.get("AccountType") not in ("Income", "Other Income"):
        checks.append(Check("Income account", "warn",
                            f"{name!r} books sales to {acc_name!r}, a {account.get('AccountType')} "
                            "account, not an income account.",
                            fix="Check the item's income account with your accountant."))
    else:
        checks.append(Check("Income account", "pass",
                            f"Sales of {name!r} are booked to {acc_name!r}."))
    return checks


def _numbering(company: company_mod.Company, invoices_in: bool) -> Check:
    """Custom transaction numbers; with invoices coming in (``connection.sync_direction``
    ``in``/``both``) the warning says the numbers typed in QuickBooks collide too."""
    if not company.custom_numbers:
        return Check("Invoice numbers", "pass",
                     "QuickBooks numbers invoices itself (Custom transaction numbers is off); "
                     "the PSA shows QuickBooks' number next to its own.")
    two_way = (" Invoices sync both ways: an invoice created in QuickBooks keeps the number "
               "typed there, which can collide with the PSA's next numbers."
               if invoices_in else "")
    return Check("Invoice numbers", "warn",
                 "Custom transaction numbers is on: invoices get the PSA's number in QuickBooks, "
                 "and QuickBooks refuses a number it already has (invoices typed in QuickBooks "
                 "could collide)." + two_way,
                 fix="Keep it on if the PSA should own numbering; otherwise turn it off in "
                     "QuickBooks (Account and settings > Sales > Custom transaction numbers).")


def _classes(settings, company: company_mod.Company) -> Check | None:
    if not settings.get("use_classes"):
        return None
    if company.class_per_line:
        return Check("Classes", "pass", "Class tracking per line is on: contract-line classes "
                     "are sent as QuickBooks classes.")
    if company.class_per_txn:
        return Check("Classes", "warn",
                     "Class mapping is on, but QuickBooks tracks one class per transaction: an "
                     "invoice whose lines share one class gets it, and an invoice with lines in "
                     "several classes stops with a mapping error.",
                     fix="Turn on Track classes > One to each row in transaction in QuickBooks "
                         f"(Account and settings > Advanced), or turn off class mapping in "
                         f"{SETTINGS}.")
    return Check("Classes", "warn",
                 "Class mapping is on, but class tracking is off in QuickBooks, so contract-line "
                 "classes cannot be booked: invoices are pushed without them and each one's "
                 "sync record says which classes were not booked.",
                 fix="Turn on Track classes > One to each row in transaction in QuickBooks "
                     f"(Account and settings > Advanced), or turn off class mapping in {SETTINGS}.")


def _currencies(qbo: QboClient, company: company_mod.Company) -> Check:
    """What happens to an invoice in another currency than the home currency (:mod:`.currency`)."""
    home = company.home_currency or "the home currency"
    if not company.multicurrency:
        return Check("Currencies", "pass",
                     f"QuickBooks keeps the books in {home} only (multicurrency is off): "
                     f"invoices in {home} are pushed; an invoice in another currency stops with "
                     "a mapping error instead of being booked as if it were in "
                     f"{home}.")
    listed = sorted(str(c.get("Code")) for c in qbo.query_all("CompanyCurrency")
                    if c.get("Active", True) is not False and c.get("Code") != home)
    others = ", ".join(listed) or "none yet"
    return Check("Currencies", "pass",
                 f"Multicurrency is on (home currency {home}; also {others}): an invoice in one "
                 "of these is booked in its currency at QuickBooks' exchange rate for its date, "
                 "and its sync record names the rate. Another currency stops with a mapping "
                 "error until it is added in QuickBooks (Settings > Currencies).")


def _tax_codes(qbo: QboClient, connection, non_us: bool) -> Check | None:
    if not non_us:
        return None
    codes = TaxCodes(qbo, connection).codes
    if not codes:
        return Check("Tax codes", "fail", "The company has no active tax codes; every line of a "
                     "non-US invoice needs one.",
                     fix="Set up VAT / GST in QuickBooks (Taxes), then test again.")
    names = ", ".join(sorted(str(c.get("Name")) for c in codes)[:8])
    return Check("Tax codes", "pass",
                 f"{len(codes)} active tax codes ({names}); map each PSA tax rate to one on the "
                 "Manage page (same name or rate is matched automatically).")


def _sales_tax(qbo: QboClient, company: company_mod.Company, non_us: bool) -> Check | None:
    """US: what happens to the PSA's tax (reference 12): sales tax on -> the PSA's amount is
    sent as ``TxnTaxDetail.TotalTax``; off -> QuickBooks books none."""
    if non_us:
        return None
    name = "Sales tax"
    if not company.using_sales_tax:
        return Check(name, "warn",
                     "Sales tax is off in QuickBooks: invoices that carry tax in the PSA are "
                     "booked without it, so QuickBooks' totals are lower (the sync record says "
                     "so on each one).",
                     fix="Turn on sales tax in QuickBooks (Taxes > Sales tax), then test "
                         "again. Leave it off only if the PSA's invoices carry no tax.")
    sent = ("The PSA's tax amount is sent with each invoice and credit memo, so QuickBooks' "
            "totals equal the PSA's.")
    if company.automated_sales_tax:
        return Check(name, "pass", "Automated sales tax is on: QuickBooks picks the tax codes "
                     f"and spreads the amount over its rates. {sent}")
    codes = TaxCodes(qbo, None)
    default = next((c for c in codes.codes if str(c.get("Id")) == company.default_tax_code), None)
    if default is None:
        return Check(name, "warn",
                     f"Sales tax is on but QuickBooks has no default sales tax code. {sent} "
                     "Without a code on the invoice QuickBooks may not keep it.",
                     fix="Map each PSA tax rate to a QuickBooks tax code on the Manage page "
                         "(Tax codes), or set a default in QuickBooks (Taxes > Sales tax).")
    rate = codes.rate_of(default)
    shown = f"{default.get('Name')} ({rate.normalize():f} %)" if rate is not None else \
        str(default.get("Name"))
    return Check(name, "pass",
                 f"Sales tax is on; QuickBooks' default code is {shown}. {sent} Map each PSA "
                 "tax rate to the QuickBooks code of its jurisdiction on the Manage page so "
                 "QuickBooks' sales tax reports file it under the right agency.")


def _closed_books(company: company_mod.Company) -> Check | None:
    if not company.book_close_date:
        return Check("Closed books", "warn",
                     "Closed-period locking is off in QuickBooks (no closing date): invoices "
                     "of months already reported can still be edited or voided there, and with "
                     "two-way sync such edits reach the PSA too.",
                     fix="Set a closing date in QuickBooks (Account and settings > Advanced > "
                         "Accounting > Close the books) once a period is reported.")
    status = "warn" if company.book_close_date >= date.today().replace(day=1) else "pass"
    return Check("Closed books", status,
                 f"The books are closed through {company.book_close_date.isoformat()}: "
                 "invoices dated on or before it are refused.",
                 fix="Date invoices after the closing date, or ask your accountant to move it."
                 if status == "warn" else "")


def _revenue_recognition(company: company_mod.Company) -> Check | None:
    if not company.revenue_recognition:
        return None
    return Check("Revenue recognition", "warn",
                 "Revenue recognition is on in QuickBooks: it recognises an invoice line's "
                 "income over its service dates, so lines without a service date are "
                 "recognised at once.",
                 fix="Give invoice lines a service date in the PSA (time and contract lines "
                     "carry one), or turn revenue recognition off in QuickBooks (Account and "
                     "settings > Sales) if it is not used.")


def _write_check(qbo: QboClient, settings) -> Check:
    tag = uuid.uuid4().hex[:8]
    made: list[str] = []
    customer = invoice = None
    try:
        customer = qbo.create("Customer", {"DisplayName": f"PSA connection test {tag}",
                                           "Notes": "Created and removed by the PSA's Test."},
                              request_id=request_id("psa-test", tag, "customer"),
                              action="creating a test customer")
        made.append("customer")
        line = {"DetailType": "SalesItemLineDetail", "Amount": 0.01,
                "Description": "PSA connection test",
                "SalesItemLineDetail": {"ItemRef": {"value": str(settings.get("default_item"))},
                                        "Qty": 1, "UnitPrice": 0.01}}
        body = {"CustomerRef": {"value": customer["Id"]}, "Line": [line],
                "PrivateNote": "PSA connection test (removed automatically)"}
        if settings.get("non_us"):
            tax = TaxCodes(qbo, None)
            zero = [c for c in tax.codes if tax.rate_of(c) == 0] or tax.codes
            if zero:
                line["SalesItemLineDetail"]["TaxCodeRef"] = {"value": str(zero[0]["Id"])}
            body["GlobalTaxCalculation"] = "TaxExcluded"
        invoice = qbo.create("Invoice", body, request_id=request_id("psa-test", tag, "invoice"),
                             action="creating a test invoice")
        made.append("invoice")
    except AuthError:
        raise
    except ProviderError as exc:
        return Check("Write access", "fail",
                     f"Could not create the test {'invoice' if made else 'customer'}: "
                     f"{exc.message}", fix=exc.fix)
    finally:
        problems = _clean_up(qbo, customer, invoice)
    if problems:
        return Check("Write access", "warn",
                     "Created a test customer and invoice, but could not remove "
                     + "; ".join(problems) + ".",
                     fix="Delete them in QuickBooks (their names start with 'PSA connection "
                         "test').")
    return Check("Write access", "pass",
                 "Created a test customer and invoice in QuickBooks and removed them again.")


def _clean_up(qbo: QboClient, customer: dict | None, invoice: dict | None) -> list[str]:
    problems = []
    if invoice is not None:
        try:
            qbo.delete("Invoice", invoice["Id"], invoice["SyncToken"],
                       action="removing the test invoice")
        except ProviderError as exc:
            problems.append(f"the test invoice {invoice['Id']} ({exc.message})")
    if customer is not None:
        try:
            qbo.update("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                                    "Active": False}, action="removing the test customer")
        except ProviderError as exc:
            problems.append(f"the test customer {customer['Id']} ({exc.message})")
    return problems


def test_connection(connection, write_check: bool) -> TestResult:
    qbo = QboClient(connection)
    settings = connection.settings or {}
    try:
        first, company = _credentials(qbo)  # AuthError propagates: the host offers Reconnect
    except AuthError:
        raise
    except ProviderError as exc:  # down, throttled, refused: nothing else can be checked
        return TestResult(checks=(Check("QuickBooks", "fail", exc.message, fix=exc.fix),))
    checks: list[Check | None] = [first, _company(company), _tax_model(settings, company)]
    non_us = company.non_us if settings.get("non_us") is None else bool(settings.get("non_us"))
    invoices_in = connection.sync_direction("invoice") in ("in", "both")
    for step in (lambda: _default_item(qbo, settings), lambda: [_numbering(company, invoices_in)],
                 lambda: [_classes(settings, company)],
                 lambda: [_currencies(qbo, company)],
                 lambda: [_tax_codes(qbo, connection, non_us)],
                 lambda: [_sales_tax(qbo, company, non_us)],
                 lambda: [_closed_books(company)],
                 lambda: [_revenue_recognition(company)]):
        try:
            checks.extend(step())
        except AuthError:
            raise
        except ProviderError as exc:
            checks.append(Check("QuickBooks", "fail", exc.message, fix=exc.fix))
    if write_check:
        checks.append(_write_check(qbo, settings))
    return TestResult(checks=tuple(c for c in checks if c is not None))


test_connection.__test__ = False  # not a pytest test
