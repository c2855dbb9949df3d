"""QuickBooks faults -> the host's typed errors, each with a plain message and a fix.

QuickBooks answers errors in three shapes (reference 8.1-8.2, sample S4):

* the service ``Fault`` envelope ``{"Fault": {"Error": [{"Message", "Detail", "code",
  "element"}], "type"}, "time"}`` (also inside a 200, and as XML ``<IntuitResponse><Fault>``);
* the gateway envelope for authentication ``{"fault": {"error": [{"message", "detail",
  "code"}], "type": "AUTHENTICATION"}, ...}`` (lower case);
* the XML 3001 ThrottleExceeded fault with HTTP 429.

:func:`parse` reads any of them into :class:`Fault` rows; :func:`error_for` picks the category
from the first error's code (then the HTTP status) using :data:`CATALOGUE`, and words the
message for an admin: what happened, which field, Intuit's own text kept in ``detail``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Callable
from xml.etree import ElementTree

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

#: Intuit asks clients to wait a minute after a 3001 (reference 9); it sends no Retry-After.
THROTTLE_WAIT_SECONDS = 60.0


@dataclass(frozen=True)
class Fault:
    """One error of a QuickBooks fault response."""

    code: str
    message: str = ""
    detail: str = ""
    element: str = ""
    type: str = ""

    @property
    def text(self) -> str:
        """Intuit's own words (message and detail), for the record's history."""
        return " - ".join(p for p in (self.message, self.detail) if p)


# -- parsing -----------------------------------------------------------------------------------


def _from_json(data) -> list[Fault]:
    if not isinstance(data, dict):
        return []
    env = data.get("Fault") or data.get("fault")
    if not isinstance(env, dict):
        return []
    kind = str(env.get("type") or "")
    out = []
    for err in env.get("Error") or env.get("error") or []:
        if not isinstance(err, dict):
            continue
        get = lambda k: err.get(k) if err.get(k) is not None else err.get(k.lower())  # noqa: E731
        out.append(Fault(code=str(get("code") or ""), message=str(get("Message") or ""),
                         detail=str(get("Detail") or ""), element=str(get("element") or ""),
                         type=kind))
    return out


def _from_xml(text: str) -> list[Fault]:
    try:
        root = ElementTree.fromstring(text.encode() if isinstance(text, str) else text)
    except ElementTree.ParseError:
        return []
    out = []
    for fault in root.iter():
        if not fault.tag.endswith("Fault"):
            continue
        for err in fault:
            if not err.tag.endswith("Error"):
                continue
            parts = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in err}
            out.append(Fault(code=err.get("code", ""), message=parts.get("Message", ""),
                             detail=parts.get("Detail", ""), element=err.get("element", ""),
                             type=fault.get("type", "")))
    return out


def parse(body: str | bytes | dict | None) -> list[Fault]:
    """Every error in a response body (JSON service or gateway envelope, or XML). [] if none."""
    if body is None:
        return []
    if isinstance(body, dict):
        return _from_json(body)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            return _from_json(json.loads(stripped))
        except ValueError:
            return []
    if stripped.startswith("<"):
        return _from_xml(stripped)
    return []


# -- what the fields mean to an admin ---------------------------------------------------------

#: ``element`` prefixes -> the thing an admin knows, and where to fix it.
ELEMENTS: tuple[tuple[str, str, str], ...] = (
    ("Line.SalesItemLineDetail.ItemRef", "the product/service of a line",
     "map the service type to an active QuickBooks product/service (or change the default "
     "product/service) on the integration's Manage page"),
    ("Line.SalesItemLineDetail.TaxCodeRef", "the tax code of a line",
     "map the line's tax rate to an active QuickBooks tax code on the Manage page"),
    ("Line.SalesItemLineDetail.ClassRef", "the class of a line",
     "map the contract line's class to an active QuickBooks class on the Manage page"),
    ("TxnTaxDetail", "the invoice's sales tax code", "check the company's sales tax set-up in QuickBooks"),
    ("CustomerRef", "the customer", "reactivate the customer in QuickBooks, or link the client "
     "to another customer on the Manage page"),
    ("Line.LinkedTxn", "the invoice the payment applies to",
     "check that the invoice still exists and is open in QuickBooks"),
    ("IncomeAccountRef", "the income account", "choose an active income account"),
    ("ClassRef", "the class", "choose an active QuickBooks class"),
    ("TxnDate", "the date", "change the date"),
    ("DocNumber", "the invoice number", "shorten or change the number"),
    ("BillEmail", "the billing email", "correct the client's billing email"),
)


def describe(element: str) -> tuple[str, str]:
    """(what the element is, where to fix it) for a fault's ``element``."""
    for prefix, what, fix in ELEMENTS:
        if element and element.startswith(prefix):
            return what, fix
    if element:
        return f"the field {element}", "correct the value in the PSA or in QuickBooks"
    return "", ""


# -- the catalogue ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """How one QuickBooks code becomes a typed error."""

    error: type[ProviderError]
    message: str
    fix: str
    retryable: bool | None = None


def _entry(error, message, fix, retryable=None) -> Entry:
    return Entry(error, message, fix, retryable)


RECONNECT = "Reconnect QuickBooks from Settings > Integrations (a QuickBooks admin must approve)."
BUG = ("This is a problem in the QuickBooks plugin, not in your data: send the error details "
       "(with the QuickBooks code) to support.")

CATALOGUE: dict[str, Entry] = {
    # authentication and authorization (gateway)
    "100": _entry(AuthError, "QuickBooks refused the connection's credentials.", RECONNECT),
    "110": _entry(AuthError, "QuickBooks refused the connection's credentials.", RECONNECT),
    "3200": _entry(AuthError, "QuickBooks refused the access token (expired or revoked).", RECONNECT),
    "120": _entry(AuthError, "The QuickBooks user who connected no longer has access to this "
                  "company.", "Ask a QuickBooks company admin to reconnect QuickBooks from "
                  "Settings > Integrations."),
    "3100": _entry(AuthError, "QuickBooks says this app is not authorized for this company (it "
                   "was disconnected in QuickBooks, or the keys are for another environment).",
                   RECONNECT),
    # company state: transient
    "130": _entry(ProviderDown, "QuickBooks sent the request to the wrong data centre.",
                  "Nothing to do: the host retries automatically."),
    "140": _entry(ProviderDown, "The QuickBooks company is temporarily locked.",
                  "Nothing to do: the host retries automatically."),
    "150": _entry(ProviderDown, "The QuickBooks company is under maintenance.",
                  "Nothing to do: the host retries automatically."),
    # throttling
    "3001": _entry(RateLimited, "QuickBooks is throttling requests for this company (more than "
                   "500 a minute, 10 a second or 10 at once).",
                   "Nothing to do: the host waits a minute and retries."),
    # system
    "10000": _entry(ProviderDown, "QuickBooks had an internal error.",
                    "Nothing to do: the host retries automatically with backoff."),
    "10100": _entry(ValidationError, "QuickBooks found too many records to answer.", BUG),
    "10200": _entry(ProviderDown, "The QuickBooks company was reset; QuickBooks asks to try again.",
                    "Nothing to do: the host retries automatically."),
    # request shape (plugin bugs)
    "500": _entry(ValidationError, "QuickBooks refused the request as an unsupported operation.",
                  BUG),
    "2010": _entry(ValidationError, "QuickBooks did not accept a field the plugin sent.", BUG),
    "2130": _entry(ValidationError, "QuickBooks refused the request id.", BUG),
    "4000": _entry(ValidationError, "QuickBooks could not read a search the plugin made.", BUG),
    "4001": _entry(ValidationError, "QuickBooks refused a search the plugin made.", BUG),
    "1040": _entry(ValidationError, "Too many records in one QuickBooks batch.", BUG),
    "600": _entry(ConflictError, "QuickBooks saw this request id before and could not replay it.",
                  "Retry: the host sends the record again with a new request."),
    # data
    "2020": _entry(ValidationError, "QuickBooks needs a value that was left empty.",
                   "Fill in the missing value on the invoice or client, then retry."),
    "2030": _entry(ValidationError, "QuickBooks did not recognise an id.",
                   "Check the mappings on the integration's Manage page, then retry."),
    "2040": _entry(ValidationError, "QuickBooks refused characters in a text.",
                   "Remove unusual characters (such as ':' in names), then retry."),
    "2050": _entry(ValidationError, "A text is too long for QuickBooks.",
                   "Shorten it (invoice numbers: at most 21 characters), then retry."),
    "2060": _entry(ValidationError, "QuickBooks refused a date.", "Correct the date, then retry."),
    "2210": _entry(ValidationError, "QuickBooks refused an email address.",
                   "Correct the client's billing email, then retry."),
    "2250": _entry(ValidationError, "The invoice has no lines QuickBooks can book.",
                   "Add a line to the invoice, then retry."),
    "2500": _entry(MappingError, "The invoice refers to a record QuickBooks does not have.",
                   "Check the mappings on the integration's Manage page, then retry."),
    "610": _entry(MappingError, "The invoice uses a record that was made inactive or deleted in "
                  "QuickBooks.", "Reactivate it in QuickBooks, or map to an active record on the "
                  "Manage page, then retry."),
    "620": _entry(ValidationError, "The payment cannot be linked to that QuickBooks transaction.",
                  "Check that the invoice is open in QuickBooks, then retry."),
    "630": _entry(ConflictError, "QuickBooks already has this record.",
                  "Review the record in QuickBooks, then retry."),
    "5010": _entry(ConflictError, "Someone changed this record in QuickBooks at the same time.",
                   "Retry: the plugin reads the latest version first.", retryable=True),
    "5020": _entry(ValidationError, "The QuickBooks user lacks permission for this.",
                   "Reconnect with a QuickBooks admin user."),
    "5030": _entry(ValidationError, "This QuickBooks edition does not have the feature needed "
                   "(for example classes or multicurrency).",
                   "Turn the feature off in the integration's settings, or upgrade QuickBooks."),
    "6000": _entry(ValidationError, "QuickBooks refused the invoice (business rule).",
                   "Read QuickBooks' reason below, correct the invoice or settings, then retry."),
    "6070": _entry(ValidationError, "A line's amount is not quantity x unit price.", BUG),
    "6080": _entry(ValidationError, "The client has no name QuickBooks can use.",
                   "Give the client a name in the PSA, then retry."),
    "6090": _entry(ValidationError, "A discount line is incomplete.", BUG),
    "6100": _entry(ValidationError, "A line has a tax code a US company cannot use.",
                   "Check the US / non-US setting on the integration's Manage page, then retry."),
    "6140": _entry(ConflictError, "This invoice number is already used in QuickBooks.",
                   "Change the number in the PSA, or turn off Custom transaction numbers in "
                   "QuickBooks (Account and settings > Sales), then retry."),
    "6170": _entry(ValidationError, "QuickBooks refused the invoice's tax details.", BUG),
    "6190": _entry(ValidationError, "The QuickBooks subscription has ended or has a billing "
                   "problem; the company is read-only.",
                   "Resolve the subscription in QuickBooks (Billing & subscription), then retry."),
    "6200": _entry(ValidationError, "The date is in a closed accounting period in QuickBooks.",
                   "Ask your accountant to reopen the period in QuickBooks (Account and settings > "
                   "Advanced > Close the books), or change the invoice date, then retry."),
    "6210": _entry(ValidationError, "The date is in a closed accounting period in QuickBooks "
                   "(password protected).",
                   "Ask your accountant to reopen the period in QuickBooks, or change the invoice "
                   "date, then retry."),
    "6240": _entry(ConflictError, "The name is already used by another customer, vendor or "
                   "employee in QuickBooks.",
                   "Link the client to the existing customer on the Manage page, or rename one "
                   "of them, then retry."),
    "6250": _entry(MappingError, "The client's QuickBooks customer is inactive.",
                   "Reactivate the customer in QuickBooks, or link the client to another "
                   "customer on the Manage page, then retry."),
    "6420": _entry(ValidationError, "QuickBooks cannot email the invoice: no email address.",
                   "Add a billing email to the client, then retry."),
    "6540": _entry(ValidationError, "The payment is already deposited in QuickBooks and cannot "
                   "change.", "Undo the deposit in QuickBooks first, then retry."),
}

#: Code ranges without an entry of their own.
_RANGES: tuple[tuple[int, int, Entry], ...] = (
    (2000, 2499, _entry(ValidationError, "QuickBooks refused a value.",
                        "Correct the value named below, then retry.")),
    (6000, 6999, CATALOGUE["6000"]),
)


def _lookup(code: str) -> Entry | None:
    if code in CATALOGUE:
        return CATALOGUE[code]
    if code.isdigit():
        for low, high, entry in _RANGES:
            if low <= int(code) <= high:
                return entry
    return None


def _by_status(status: int, fault: Fault | None) -> Entry:
    if status == 429:
        return CATALOGUE["3001"]
    if status in (401,):
        return CATALOGUE["3200"]
    if status == 403:
        return CATALOGUE["3100"]
    if status >= 500 or (fault is not None and fault.type == "SystemFault"):
        return _entry(ProviderDown, f"QuickBooks answered with a server error ({status}).",
                      "Nothing to do: the host retries automatically with backoff.")
    if status == 404:
        return _entry(ValidationError, "QuickBooks did not recognise the address the plugin "
                      "called.", "Check QUICKBOOKS_API_BASE_URL in the host configuration.")
    return _entry(ValidationError, f"QuickBooks refused the request ({status}).",
                  "Read QuickBooks' reason below, correct the data, then retry.")


#: Specific wording for (code, element prefix).
_SPECIFIC: dict[tuple[str, str], Callable[[Fault], tuple[str, str]]] = {
    ("610", "Line.SalesItemLineDetail.ItemRef"): lambda f: (
        "The product/service on a line is inactive in QuickBooks.",
        "Reactivate the product/service in QuickBooks, or map the service type to an active "
        "one (or change the default product/service) on the Manage page, then retry."),
    ("6000", "Line.SalesItemLineDetail.ItemRef"): lambda f: (
        "A line uses a QuickBooks category, which cannot be put on an invoice.",
        "Map the service type to a product/service (not a category) on the Manage page, then "
        "retry."),
    ("6000", "Line.SalesItemLineDetail.TaxCodeRef"): lambda f: (
        "QuickBooks needs a tax code on every line of this (non-US) company.",
        "Map each tax rate to a QuickBooks tax code on the Manage page (and check the US / "
        "non-US setting), then retry."),
}


def error_for(status: int, body: str | bytes | dict | None, *, action: str = "",
              retry_after: float | None = None) -> ProviderError:
    """The typed error for a failed QuickBooks response.

    :param status: the HTTP status (a 200 that carries a Fault: pass 200).
    :param body: the response body (text, bytes or parsed JSON).
    :param action: what the plugin was doing, e.g. ``"creating the invoice"`` (message prefix).
    :param retry_after: the Retry-After the host parsed, if any (429 only).
    """
    found = parse(body)
    fault = found[0] if found else None
    entry = (_lookup(fault.code) if fault else None) or _by_status(status, fault)
    if fault is not None and fault.type == "SystemFault" and entry.error is ValidationError:
        entry = _by_status(500, fault)
    message, fix = entry.message, entry.fix
    if fault is not None:
        special = next((fn for (code, prefix), fn in _SPECIFIC.items()
                        if code == fault.code and fault.element.startswith(prefix)), None)
        if special is not None:
            message, fix = special(fault)
        else:
            what, where = describe(fault.element)
            if what:
                message = f"{message.rstrip('.')} ({what})."
                if entry.error in (MappingError, ValidationError) and fix in (
                        CATALOGUE["2500"].fix, _RANGES[0][2].fix):
                    fix = f"{where[0].upper()}{where[1:]}, then retry."
        reason = _reason(fault)
        if reason and entry.error not in (AuthError, RateLimited, ProviderDown):
            message = f"{message} QuickBooks says: {reason}"
    if action:
        message = f"{action[0].upper()}{action[1:]}: {message}"
    detail = "; ".join(f"{f.code} {f.text}" + (f" [{f.element}]" if f.element else "")
                       for f in found) or None
    wait = retry_after
    if entry.error is RateLimited and wait is None:
        wait = THROTTLE_WAIT_SECONDS
    return entry.error(message, fix=fix, retryable=entry.retryable, retry_after=wait,
                       code=fault.code if fault else str(status), detail=detail)


_NOISE = re.compile(r"^(Business Validation Error:|Object Not Found :|Stale Object Error :|"
                    r"The name supplied already exists\. :)\s*")


def _reason(fault: Fault) -> str:
    """Intuit's detail, minus the prefixes that repeat the title."""
    text = _NOISE.sub("", fault.detail or "").strip()
    if not text or text == fault.message:
        return ""
    return text if text.endswith(".") else text + "."


def not_found(entity: str, ident: str, *, detail: str | None = None) -> NotFoundError:
    """The object is gone at QuickBooks (read of an unknown Id, deleted there)."""
    return NotFoundError(
        f"The QuickBooks {entity.lower()} {ident} no longer exists (deleted in QuickBooks).",
        fix="Decide whether to push the record again: the host will not re-create it by itself.",
        code="610", detail=detail)
