"""Xero's documented error answers -> typed errors (message keeps Xero's words, fix says what to
do); the settings form refuses an unusable revenue account with Xero's reason."""

from __future__ import annotations

import json

import pytest

from hookspecs import (
    AuthError,
    ConflictError,
    MappingError,
    NotFoundError,
    ProviderDown,
    RateLimited,
    ValidationError,
)
from psa_xero.errors import element_error, error_for


def validation(*messages, line_messages=()):
    element = {"Type": "ACCREC", "ValidationErrors": [{"Message": m} for m in messages]}
    if line_messages:
        element["LineItems"] = [{"Description": "x", "ValidationErrors": [
            {"Message": m} for m in line_messages]}]
    return json.dumps({"ErrorNumber": 10, "Type": "ValidationException",
                       "Message": "A validation exception occurred", "Elements": [element]})


@pytest.mark.parametrize("message, cls, fix_words", [
    ("Invoice # must be unique.", ConflictError, "already exists in Xero"),
    ("The contact name Acme is already assigned to another contact. The contact name must be "
     "unique across all active contacts.", ConflictError, "Rename the client"),
    ("The TaxType code GST on Income does not exist or cannot be used for this type of "
     "transaction.", MappingError, "tax rate"),
    ("The TaxType code 'OUTPUT2' cannot be used with account code '090'.", MappingError,
     "account 090"),
    ("Account code '476' has been removed as it does not match a recognised account.",
     MappingError, "revenue account"),
    ("The tracking option 'West' for category 'Region' is not valid.", MappingError,
     "tracking"),
    ("This document cannot be edited as it has a payment or credit note allocated to it.",
     ConflictError, "credit note"),
    ("Invoice not of valid status for modification", ConflictError, "status"),
    ("The document date cannot be before the end of year lock date, currently set at "
     "31-Jul-2013", ValidationError, "lock date"),
    ("You have reached the limit of invoices you can approve.", ValidationError, "plan"),
    ("Email address must be valid.", ValidationError, "billing email"),
    ("Something Xero has not documented", ValidationError, "Xero's message"),
])
def test_validation_messages_map_to_categories_with_xeros_words(message, cls, fix_words):
    err = error_for(400, validation(message), action="creating invoice INV-1")
    assert type(err) is cls
    assert err.message == f"While creating invoice INV-1, Xero said: {message}"
    assert fix_words in err.fix and err.code == "ValidationException"
    assert err.retryable is False


def test_line_item_messages_are_included():
    err = error_for(400, validation(line_messages=["Account must be valid."]),
                    action="creating invoice INV-2")
    assert isinstance(err, MappingError) and "Account must be valid." in err.message


def test_summarize_errors_false_element_with_errors_is_typed():
    element = {"StatusAttributeString": "ERROR", "HasErrors": True,
               "ValidationErrors": [{"Message": "Invoice # must be unique."}]}
    assert isinstance(element_error(element, action="x"), ConflictError)
    assert element_error({"StatusAttributeString": "OK"}, action="x") is None
    assert element_error({"StatusAttributeString": "WARNING",
                          "Warnings": [{"Message": "w"}]}, action="x") is None


def test_http_statuses_map_to_categories():
    expired = json.dumps({"Type": None, "Title": "Unauthorized", "Status": 401,
                          "Detail": "TokenExpired: token expired at 04/09/2023 05:16:59"})
    assert isinstance(error_for(401, expired, action="x"), AuthError)
    assert "TokenExpired" in error_for(401, expired, action="x").message
    forbidden = json.dumps({"Title": "Forbidden", "Status": 403,
                            "Detail": "AuthenticationUnsuccessful"})
    err = error_for(403, forbidden, action="reading the invoice", organisation="Ashdown")
    assert isinstance(err, AuthError) and "Ashdown" in err.message and "Reconnect" in err.fix
    gone = error_for(404, "The resource you're looking for cannot be found", action="x")
    assert isinstance(gone, NotFoundError) and "cannot be found" in gone.message
    limited = error_for(429, "", action="x", headers={"X-Rate-Limit-Problem": "day"},
                        retry_after=66975)
    assert isinstance(limited, RateLimited) and "5,000 calls per day" in limited.message
    assert limited.retry_after == 66975 and limited.retryable
    offline = error_for(503, "Organisation offline", action="x", headers={"Retry-After": "30"})
    assert isinstance(offline, ProviderDown) and "Organisation offline" in offline.message
    assert offline.retry_after == 30
    assert isinstance(error_for(500, "", action="x"), ProviderDown)
    query = error_for(400, json.dumps({"ErrorNumber": 16, "Type": "QueryParseException",
                                       "Message": "No property or field 'Nme' exists"}),
                      action="searching")
    assert isinstance(query, ValidationError) and "Nme" in query.message


# -- settings form -----------------------------------------------------------------------------


def _form(app, handle, connection, data):
    from werkzeug.datastructures import MultiDict

    from psa_xero.forms import XeroSettingsForm

    with app.test_request_context("/"):
        form = XeroSettingsForm.for_connection(handle(connection), MultiDict(data),
                                               meta={"csrf": False})
        return form.validate(), form.errors, form.default_revenue_account.choices


def test_settings_form_offers_active_revenue_accounts_and_refuses_an_archived_one(
        app, connected_connection, handle):
    ok, errors, choices = _form(app, handle, connected_connection,
                                {"default_revenue_account": "210", "bank_account_code": "090"})
    assert ok, errors
    assert [c for c, _ in choices if c] == ["200", "210", "260"]
    ok, errors, _ = _form(app, handle, connected_connection, {"default_revenue_account": "250"})
    assert not ok
    assert "250 - Legacy Services is archived" in errors["default_revenue_account"][0]
    ok, errors, _ = _form(app, handle, connected_connection, {"default_revenue_account": "090"})
    assert "not a revenue account" in errors["default_revenue_account"][0]


def test_gl_accounts_page_edits_the_default_revenue_account(app, admin_client, xero_connection,
                                                           db):
    from host.integrations.testing import csrf_token
    from host.models import Connection

    conn = xero_connection("uk")
    page = admin_client.get("/settings/financials/gl-accounts/").get_data(as_text=True)
    assert 'name="default_revenue_account"' in page and "210 - Consulting Fees" in page
    url = f"/settings/financials/gl-accounts/connections/{conn.id}/defaults"
    token = csrf_token(admin_client, "/settings/financials/gl-accounts/")
    bad = admin_client.post(url, data={"csrf_token": token, "default_revenue_account": "250"})
    assert bad.status_code == 400 and "is archived" in bad.get_data(as_text=True)
    good = admin_client.post(url, data={"csrf_token": token, "default_revenue_account": "210"})
    assert good.status_code in (302, 303)
    db.session.expire_all()
    saved = db.session.get(Connection, conn.id).settings
    assert saved["default_revenue_account"] == "210" and saved["bank_account_code"] == "090"
