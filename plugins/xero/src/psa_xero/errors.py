"""Xero's answers turned into the host's typed errors, each with Xero's own words and a fix.

Xero reports problems in a few shapes (shared/reference/xero.md 6):

* 400 ``ValidationException`` (``ErrorNumber`` 10) with ``Elements[].ValidationErrors`` and
  ``Elements[].LineItems[].ValidationErrors``; the same ``ValidationErrors`` sit on an element of
  a 200 answer when the request said ``summarizeErrors=false`` (``StatusAttributeString`` ERROR);
* 400 ``QueryParseException`` and other ``Type`` values with a ``Message``;
* 401 / 403 problem documents (``Title``, ``Detail``: ``AuthenticationUnsuccessful``,
  ``TokenExpired: ...``); 404 plain text; 429 with ``X-Rate-Limit-Problem`` and ``Retry-After``;
  5xx (503 "Organisation offline", maintenance).

:func:`error_for` picks the category from the message (a duplicate invoice number is a
``conflict``, an unknown tax type a ``mapping`` problem ...) and always keeps Xero's text in
the message so the admin reads what Xero said, plus a fix in the PSA's terms.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Iterable

from hookspecs import (
    AuthError,
    ConflictError,
    MappingError,
    NotFoundError,
    ProviderDown,
    ProviderError,
    RateLimited,
    ValidationError,
)

MANAGE = "the Xero integration's Manage page (Settings > Integrations)"

#: (pattern on Xero's message, error class, fix). First match wins; ``{0}``, ``{1}`` are the
#: pattern's groups.
RULES: tuple[tuple[re.Pattern, type[ProviderError], str], ...] = tuple(
    (re.compile(p, re.IGNORECASE), cls, fix) for p, cls, fix in (
        (r"Invoice # must be unique", ConflictError,
         "An invoice with this number already exists in Xero. Open it in Xero: if it is this "
         "invoice, retry (the plugin then updates it); otherwise renumber one of them."),
        (r"Credit ?Note # must be unique|Credit Note Number must be unique", ConflictError,
         "A credit note with this number already exists in Xero. Open it in Xero: if it is this "
         "credit note, retry; otherwise renumber one of them."),
        (r"The contact name (.+?) is already assigned to another contact", ConflictError,
         "Rename the client in the PSA or the contact in Xero, or map the client to the "
         "existing Xero contact on " + MANAGE + ", then retry."),
        (r"The TaxType code '?(.+?)'? cannot be used with account code '?([^' .]+)", MappingError,
         "Map the tax rate to a Xero tax rate that suits account {1}, or choose another "
         "revenue account, on " + MANAGE + ", then retry."),
        (r"The TaxType code '?(.+?)'? does not exist or cannot be used", MappingError,
         "Map the PSA tax rate to an active Xero sales tax rate (e.g. from Xero's Tax Rates "
         "list) on " + MANAGE + ", then retry."),
        (r"TaxType field is mandatory|Tax rate must be valid", MappingError,
         "Map every PSA tax rate to a Xero tax rate on " + MANAGE + ", then retry."),
        (r"Account code '?([^' ]+)'? (has been removed|is not a valid code)|account code '?([^' ]+)'? "
         r"has been archived|Account must be valid|Account code must be specified", MappingError,
         "Choose an active Xero revenue account as the default revenue account (Settings > "
         "Financials > GL Accounts) or map the line's GL account on " + MANAGE + ", then retry."),
        (r"tracking option '(.+?)' for category '(.+?)' is not valid|tracking categor", MappingError,
         "Map the contract line class to an active option of an active Xero tracking category "
         "on " + MANAGE + " (or add the option in Xero), then retry."),
        (r"Item code '?(.+?)'? is not valid|Item with code", MappingError,
         "Map the service type to an existing Xero item on " + MANAGE + ", then retry."),
        (r"cannot be edited as it has a payment or credit note allocated", ConflictError,
         "A payment or credit is applied to this invoice in Xero, so Xero keeps its amounts. "
         "Remove the payment in Xero first, or issue a credit note in the PSA instead of "
         "editing the invoice."),
        (r"not of valid status for modification", ConflictError,
         "The invoice's status in Xero (paid, voided or deleted) does not allow this change. "
         "Check the invoice in Xero; use a credit note in the PSA to correct a paid invoice."),
        (r"lock date", ValidationError,
         "The document is dated in a period that is locked in Xero. Change the date in the PSA "
         "or ask your accountant to move the lock date (Xero > Advanced settings > Lock "
         "dates), then retry."),
        (r"limit of invoices you can approve", ValidationError,
         "The Xero plan limits approved invoices per month. Upgrade the Xero plan, then retry."),
        (r"Payment amount exceeds the amount outstanding", ValidationError,
         "The invoice in Xero has less left to pay than this amount. Check payments and credit "
         "notes on the invoice in Xero."),
        (r"Email address must be valid", ValidationError,
         "Correct the client's billing email in the PSA, then retry."),
        (r"archived contact", ValidationError,
         "The Xero contact is archived. Restore it in Xero or map the client to another "
         "contact on " + MANAGE + ", then retry."),
        (r"Idempotency-Key .* already been used with a different request", ConflictError,
         "Wait six minutes (Xero's idempotency window), then retry."),
        (r"currency", ValidationError,
         "Add the invoice's currency in Xero (Settings > Currencies, needs multi-currency on the "
         "Xero plan) or invoice in the organisation's base currency, then retry."),
    )
)

GENERIC_FIX = ("Correct the record or the Xero integration settings as Xero's message says, "
               "then retry.")


def loads(text: str | bytes) -> Any:
    """JSON with every number that has a fraction as :class:`Decimal` (money stays exact)."""
    return json.loads(text, parse_float=Decimal)


def validation_messages(element: dict) -> list[str]:
    """Every ``ValidationErrors[].Message`` of an element and of its line items, in order,
    without repeats."""
    out: list[str] = []

    def add(errors: Iterable[dict] | None) -> None:
        for err in errors or ():
            msg = str((err or {}).get("Message") or "").strip()
            if msg and msg not in out:
                out.append(msg)

    add(element.get("ValidationErrors"))
    for line in element.get("LineItems") or ():
        if isinstance(line, dict):
            add(line.get("ValidationErrors"))
    return out


def classify(messages: list[str], *, action: str, code: str = "ValidationException",
             detail: str | None = None) -> ProviderError:
    """The typed error for Xero validation messages (the first rule any message matches)."""
    text = " ".join(messages) or "Xero rejected the request without saying why."
    said = f"While {action}, Xero said: {text}" if action else f"Xero said: {text}"
    for message in messages:
        for pattern, cls, fix in RULES:
            match = pattern.search(message)
            if match:
                groups = [g or "" for g in match.groups()]
                try:
                    fix = fix.format(*groups)
                except IndexError:  # the rule's fix names more parts than Xero's text had:
                    pass             # keep the fix as written rather than lose it
                return cls(said, fix=fix, code=code, detail=detail)
    return ValidationError(said, fix=GENERIC_FIX, code=code, detail=detail)


def element_error(element: dict, *, action: str) -> ProviderError | None:
    """The error of one element of a ``summarizeErrors=false`` answer, or None when it is OK."""
    status = str(element.get("StatusAttributeString") or "").upper()
    messages = validation_messages(element)
    if status == "ERROR" or element.get("HasErrors") or (status != "OK" and messages
                                                         and status != "WARNING"):
        return classify(messages, action=action)
    return None


def _problem_text(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("Detail") or body.get("Message") or body.get("Title") or "").strip()
    return str(body or "").strip()


def error_for(status: int, text: str, *, action: str, headers: Any = None,
              retry_after: float | None = None, organisation: str = "") -> ProviderError:
    """The typed error for a non-2xx Xero answer (``text`` is the raw body)."""
    try:
        body: Any = loads(text) if text else None
    except ValueError:
        body = text
    org = organisation or "the Xero organisation"
    if status == 400:
        if isinstance(body, dict) and body.get("Elements"):
            messages: list[str] = []
            for element in body["Elements"]:
                messages += [m for m in validation_messages(element) if m not in messages]
            return classify(messages or [_problem_text(body)], action=action,
                            code=str(body.get("Type") or "ValidationException"), detail=text[:2000])
        if isinstance(body, dict) and body.get("Type") == "QueryParseException":
            return ValidationError(
                f"Xero could not read a search the plugin sent while {action}: "
                f"{_problem_text(body)}",
                fix="This is a fault in the Xero plugin; report it with this message.",
                code="QueryParseException", detail=text[:2000])
        return classify([_problem_text(body)], action=action,
                        code=str(body.get("Type")) if isinstance(body, dict) and body.get("Type")
                        else "400", detail=text[:2000])
    if status == 401:
        return AuthError(f"Xero refused the access token ({_problem_text(body) or 'Unauthorized'}).",
                         fix="Reconnect Xero from Settings > Integrations.", code="401",
                         detail=text[:500])
    if status == 403:
        return AuthError(
            f"Xero refused access to {org} ({_problem_text(body) or 'Forbidden'}) while "
            f"{action}: the app was disconnected from the organisation in Xero, or the "
            "connection lacks a permission (scope) this needs.",
            fix="Reconnect Xero from Settings > Integrations and allow access to the "
                "organisation.", code="403", detail=text[:500])
    if status == 404:
        return NotFoundError(
            f"Xero has no such record ({_problem_text(body) or 'not found'}) while {action}.",
            fix="The record was deleted in Xero or never reached it; check Xero, then push it "
                "again from the PSA.", code="404", detail=text[:500])
    if status == 429:
        problem = ""
        if headers is not None:
            problem = str(headers.get("X-Rate-Limit-Problem") or headers.get(
                "x-rate-limit-problem") or "")
        which = {"minute": "60 calls per minute", "day": "5,000 calls per day",
                 "concurrent": "5 calls at a time", "appminute": "10,000 calls per minute "
                 "across all organisations"}.get(problem.lower(), "")
        said = f"Xero is throttling calls to {org}"
        if which:
            said += f" (limit reached: {which} - X-Rate-Limit-Problem: {problem})"
        return RateLimited(said + ".", retry_after=retry_after, code="429",
                           detail=problem or None)
    if status == 503:
        wait = None
        if headers is not None and headers.get("Retry-After"):
            from host.integrations.handle import parse_retry_after

            wait = parse_retry_after(str(headers.get("Retry-After")))
        return ProviderDown(
            f"Xero is unavailable ({_problem_text(body) or 'HTTP 503'}): maintenance, or "
            f"{org} is offline.", code="503", detail=text[:500], retry_after=wait)
    if status >= 500:
        return ProviderDown(
            f"Xero had an internal error (HTTP {status}) while {action}.", code=str(status),
            detail=text[:500])
    return ValidationError(
        f"Xero answered HTTP {status} while {action}: {_problem_text(body) or 'no detail'}.",
        fix=GENERIC_FIX, code=str(status), detail=text[:500])


def rate_limited(exc: RateLimited, *, organisation: str = "") -> RateLimited:
    """Reword the host's ``RateLimited`` with Xero's ``X-Rate-Limit-Problem`` when it has it."""
    headers = getattr(exc, "headers", None)
    err = error_for(429, "", action="", headers=headers, retry_after=exc.retry_after,
                    organisation=organisation)
    assert isinstance(err, RateLimited)
    return err
