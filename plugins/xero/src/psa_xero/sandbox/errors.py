"""Error answers shaped the way Xero sends them.

- 400 ``ValidationException`` (``ErrorNumber`` 10) with ``Elements`` echoing the failing objects;
- 400 ``QueryParseException`` for a ``where``/``order`` Xero cannot parse;
- 401/403 problem-details bodies (``Title``, ``Status``, ``Detail``, ``Instance``);
- 404 plain text; 429 with the rate-limit headers (see ``ratelimits``).
"""

from __future__ import annotations

import uuid

from flask import Response, jsonify

VALIDATION_MESSAGE = "A validation exception occurred"

# The exact strings an invoice integration meets (see shared/reference/xero.md, 6.3).
MSG_INVOICE_NUMBER_UNIQUE = "Invoice # must be unique."
MSG_CREDIT_NOTE_NUMBER_UNIQUE = "Credit Note # must be unique."
MSG_CONTACT_IDENTIFY = ("The Contact must contain at least 1 of the following elements to "
                        "identify the contact: Name, ContactID, ContactNumber")
MSG_CONTACT_NAME_TAKEN = ("The contact name {name} is already assigned to another contact. "
                          "The contact name must be unique across all active contacts.")
MSG_CONTACT_NAME_EMPTY = "Contact Name cannot be empty."
MSG_PAYMENT_EXCEEDS = "Payment amount exceeds the amount outstanding on this document"
MSG_DOC_NOT_FOUND = "The document with the supplied id was not found for this endpoint."
MSG_CREDIT_NOTE_NOT_FOUND = "An existing Credit Note with the specified CreditNoteID could not be found"
MSG_ACCOUNT_UNKNOWN_WARNING = ("Account code '{code}' has been removed as it does not match a "
                               "recognised account.")
MSG_ACCOUNT_NOT_VALID = "Account code '{code}' is not a valid code for this document."
MSG_ACCOUNT_ARCHIVED = "The account code '{code}' has been archived, or deleted. Each line item must reference a valid account."
MSG_ACCOUNT_REQUIRED = "Account code must be specified"
MSG_TAX_INVALID = ("The TaxType code {code} does not exist or cannot be used for this type of "
                   "transaction.")
MSG_TAX_ACCOUNT = "The TaxType code '{code}' cannot be used with account code '{account}'."
MSG_STATUS_MODIFY = "Invoice not of valid status for modification"
MSG_HAS_PAYMENTS = ("This document cannot be edited as it has a payment or credit note allocated "
                    "to it.")
MSG_STATUS_CREATE = "Invoices cannot be created with a status of {status}."
MSG_LOCK_DATE = ("The document date cannot be before the {which} lock date, currently set at "
                 "{date}")
MSG_EMAIL_INVALID = "Email address must be valid."
MSG_TRACKING_INVALID = "The tracking option '{option}' for category '{category}' is not valid."
MSG_TRACKING_MAX = "A line item may not have more than 2 tracking categories."
MSG_IDEMPOTENCY_REUSED = ("The Idempotency-Key '{key}' has already been used with a different "
                          "request.")
MSG_ARCHIVED_CONTACT = "Unable to assign an Archived contact."
MSG_DISCOUNT_NOT_ALLOWED = "Discounts are not supported on credit notes."
MSG_LINEITEM_DESCRIPTION = "Description must be specified for each line item."
MSG_CURRENCY_NOT_SUBSCRIBED = "Organisation is not subscribed to currency {code}"
MSG_CURRENCY_UNKNOWN = "Currency code '{code}' is not a valid currency."
MSG_CURRENCY_RATE_INVALID = "The currency rate must be greater than zero."


class XeroError(Exception):
    """Raised inside a handler; carries the finished Flask response."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def validation_exception(elements: list[dict]) -> Response:
    resp = jsonify({"ErrorNumber": 10, "Type": "ValidationException",
                    "Message": VALIDATION_MESSAGE, "Elements": elements})
    resp.status_code = 400
    return resp


def validation_single(message: str, element: dict | None = None) -> Response:
    element = dict(element or {})
    element["ValidationErrors"] = [{"Message": message}]
    return validation_exception([element])


def query_parse_error(message: str) -> Response:
    resp = jsonify({"ErrorNumber": 16, "Type": "QueryParseException", "Message": message})
    resp.status_code = 400
    return resp


def problem(status: int, title: str, detail: str) -> Response:
    resp = jsonify({"Type": None, "Title": title, "Status": status, "Detail": detail,
                    "Instance": str(uuid.uuid4()), "Extensions": {}})
    resp.status_code = status
    return resp


def unauthorized(detail: str = "AuthenticationUnsuccessful") -> Response:
    resp = problem(401, "Unauthorized", detail)
    resp.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return resp


def forbidden(detail: str = "AuthenticationUnsuccessful") -> Response:
    return problem(403, "Forbidden", detail)


def not_found() -> Response:
    return Response("The resource you're looking for cannot be found", status=404,
                    mimetype="text/plain")


def oauth_error(error: str, description: str | None = None, status: int = 400) -> Response:
    body = {"error": error}
    if description:
        body["error_description"] = description
    resp = jsonify(body)
    resp.status_code = status
    return resp
