"""Every QuickBooks fault an invoice push meets ends as a typed error with a plain message and a
fix (issue 4, point 6): over real HTTP against the sandbox, and the parser on Intuit's three
body shapes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from hookspecs import (
    AuthError,
    ClientData,
    ConflictError,
    LineData,
    MappingError,
    ProviderDown,
    RateLimited,
    ValidationError,
)
from psa_quickbooks import faults
from psa_quickbooks.sandbox import UK_REALM, US_REALM
from qbo_testkit import VAT, make_invoice


def qbo_fault(code: str, message: str, detail: str = "", element: str = "",
              kind: str = "ValidationFault") -> dict:
    return {"Fault": {"Error": [{"Message": message, "Detail": detail, "code": code,
                                 "element": element}], "type": kind},
            "time": "2026-11-02T10:00:00.000-08:00"}


def push(hook, conn, key, **kw):
    return hook(conn, "on_invoice_sent", invoice=make_invoice(**kw), idempotency_key=key)


def assert_explained(err) -> None:
    assert err.message and err.fix and err.message != err.fix
    assert "Traceback" not in err.message and "{" not in err.message


# -- over HTTP ---------------------------------------------------------------------------------


def test_hook_on_invoice_sent_duplicate_name_twice_is_a_conflict(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    body = qbo_fault("6240", "Duplicate Name Exists Error",
                     "The name supplied already exists. : Another customer, vendor or employee "
                     "is already using this name. Please use a different name.")
    qbo.fault(kind="status", method="POST", path="/customer$", status=400, body=body, count=2)
    client = ClientData(id=9, name="Hooli", billing_email="ap@hooli.example")
    with pytest.raises(ConflictError) as err:
        push(hook, conn, "dup-1", client=client)
    assert err.value.code == "6240" and err.value.category == "conflict"
    assert "already used" in err.value.message and "Link the client" in err.value.fix
    assert_explained(err.value)


def test_hook_on_invoice_sent_duplicate_name_once_is_resolved_with_a_number(qbo, qbo_connection,
                                                                           hook):
    conn = qbo_connection("us")
    body = qbo_fault("6240", "Duplicate Name Exists Error", "Another employee uses this name.")
    qbo.fault(kind="status", method="POST", path="/customer$", status=400, body=body, count=1)
    client = ClientData(id=9, name="Hooli", billing_email="ap@hooli.example")
    result = push(hook, conn, "dup-2", client=client)
    assert qbo.entity(US_REALM, "Invoice", result.external_id)["CustomerRef"]["name"] == "Hooli (2)"
    assert "Hooli (2)" in result.note


def test_hook_on_invoice_sent_stale_object_is_reread_and_retried_once(qbo, qbo_connection, hook):
    from hookspecs import ExternalRef

    conn = qbo_connection("us")
    first = push(hook, conn, "stale-0")
    stale = qbo_fault("5010", "Stale Object Error", "Stale Object Error : You and Sandbox Admin "
                      "were working on this at the same time.")
    edited = dict(external=ExternalRef(first.external_id, first.number, first.version),
                  memo="second")
    qbo.fault(kind="status", method="POST", path="/invoice$", status=400, body=stale, count=1)
    assert push(hook, conn, "stale-1", **edited).external_id == first.external_id
    qbo.fault(kind="status", method="POST", path="/invoice$", status=400, body=stale, count=2)
    with pytest.raises(ConflictError) as err:
        push(hook, conn, "stale-2", **dict(edited, memo="third"))
    assert err.value.code == "5010" and err.value.retryable is True
    assert "at the same time" in err.value.message and "latest version" in err.value.fix


def test_hook_on_invoice_sent_invalid_reference_names_the_field(qbo, qbo_connection, hook):
    conn = qbo_connection("uk", settings={"untaxed_tax_code": "999"})
    with pytest.raises(MappingError) as err:
        push(hook, conn, "ref-1", tax_rate=VAT, currency="GBP")
    assert err.value.code == "2500" and "tax code of a line" in err.value.message
    assert "Manage page" in err.value.fix
    assert qbo.entities(UK_REALM, "Invoice") == []


def test_hook_on_invoice_sent_inactive_item_in_quickbooks_is_explained(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    qbo.fault(kind="status", method="POST", path="/invoice$", status=400, count=1,
              body=qbo_fault("610", "Object Not Found", "Something you're trying to use has "
                             "been made inactive.", "Line.SalesItemLineDetail.ItemRef"))
    with pytest.raises(MappingError) as err:
        push(hook, conn, "inactive-1")
    assert err.value.code == "610"
    assert "product/service on a line is inactive" in err.value.message
    assert "Reactivate" in err.value.fix


def test_hook_on_invoice_sent_category_item_is_refused_before_quickbooks(qbo, qbo_connection, hook):
    conn = qbo_connection("us", settings={"default_item": "1"})  # "Professional Services"
    lines = (LineData(id=1, description="x", quantity=Decimal("1"), unit_price=Decimal("1"),
                      amount=Decimal("1")),)
    with pytest.raises(MappingError) as err:
        push(hook, conn, "cat-1", lines=lines)
    assert "category" in err.value.message and "not a category" in err.value.fix


def test_hook_on_invoice_sent_throttled_waits_a_minute(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    qbo.fault(kind="rate_limit", method="POST", path="/invoice$", count=1)
    with pytest.raises(RateLimited) as err:
        push(hook, conn, "throttle-1")
    assert err.value.retryable and err.value.retry_after == 60
    assert "throttling" in err.value.message and err.value.fix
    assert qbo.entities(US_REALM, "Invoice") == []
    assert push(hook, conn, "throttle-1").external_id  # the retry goes through


def test_hook_on_invoice_sent_server_error_is_provider_down(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    qbo.fault(kind="status", method="POST", path="/invoice$", status=500, count=1,
              body=qbo_fault("10000", "An application error has occurred", "System Failure "
                             "Error", kind="SystemFault"))
    with pytest.raises(ProviderDown) as err:
        push(hook, conn, "down-1")
    assert err.value.retryable and err.value.code == "10000"
    assert_explained(err.value)


def test_hook_on_invoice_sent_revoked_grant_is_an_auth_error(qbo, qbo_connection, hook, db):
    from host.models import Connection

    conn = qbo_connection("us")
    qbo.control("POST", "disconnect", json={"realm_id": US_REALM})  # disconnected in QuickBooks
    with pytest.raises(AuthError) as err:
        push(hook, conn, "auth-1")
    assert err.value.category == "auth" and "Reconnect" in err.value.fix
    db.session.expire_all()
    assert db.session.get(Connection, conn.id).status == "needs_reauth"


def test_hook_on_invoice_sent_app_not_authorized_for_company_is_an_auth_error(qbo, qbo_connection,
                                                                             hook):
    conn = qbo_connection("us")
    gateway = faults_gateway("3100", 403, "ApplicationAuthorizationFailed")
    qbo.fault(kind="status", method="GET", path="/companyinfo/", status=403, body=gateway, count=1)
    with pytest.raises(AuthError) as err:
        push(hook, conn, "auth-2")
    assert err.value.code == "3100" and "not authorized for this company" in err.value.message


def test_hook_on_invoice_sent_fault_inside_a_200_is_raised(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    qbo.fault(kind="status", method="POST", path="/invoice$", status=200, count=1,
              body=qbo_fault("6000", "A business validation error has occurred",
                             "Business Validation Error: Unexpected Internal Error. (-30000)"))
    with pytest.raises(ValidationError) as err:
        push(hook, conn, "f200-1")
    assert err.value.code == "6000" and "Unexpected Internal Error" in err.value.message


def test_hook_on_invoice_sent_uk_line_without_tax_code_fault_is_explained():
    err = faults.error_for(400, qbo_fault(
        "6000", "A business validation error has occurred while processing your request",
        "Business Validation Error: Make sure all your transactions have a VAT rate before you "
        "save.", "Line.SalesItemLineDetail.TaxCodeRef"))
    assert isinstance(err, ValidationError)
    assert "tax code on every line" in err.message and "US / non-US" in err.fix


# -- the parser on Intuit's shapes ---------------------------------------------------------------


def faults_gateway(code: str, status: int, name: str) -> dict:
    return {"warnings": None, "intuitObject": None, "fault": {"error": [{
        "message": f"message={name}; errorCode={int(code):06d}; statusCode={status}",
        "detail": "Token expired", "code": code, "element": None}], "type": "AUTHENTICATION"},
        "time": 1633520295688}


def test_throttle_xml_fault_is_rate_limited():
    xml = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<IntuitResponse time="2026-11-02T10:00:00.000-08:00" '
           'xmlns="http://schema.intuit.com/finance/v3"><Fault type="SERVICE"><Error code="3001">'
           "<Message>message=ThrottleExceeded; errorCode=003001; statusCode=429</Message>"
           "<Detail>The request limit was reached.  Try again later</Detail></Error></Fault>"
           "</IntuitResponse>")
    assert faults.parse(xml) == [faults.Fault("3001", "message=ThrottleExceeded; errorCode=003001; "
                                              "statusCode=429", "The request limit was reached.  "
                                              "Try again later", "", "SERVICE")]
    err = faults.error_for(429, xml)
    assert isinstance(err, RateLimited) and err.retry_after == 60


def test_gateway_auth_envelope_is_an_auth_error():
    err = faults.error_for(401, faults_gateway("3200", 401, "AuthenticationFailed"))
    assert isinstance(err, AuthError) and err.code == "3200" and "Reconnect" in err.fix


@pytest.mark.parametrize("code,cls,words", [
    ("6240", ConflictError, "already used"),
    ("5010", ConflictError, "same time"),
    ("2500", MappingError, "does not have"),
    ("610", MappingError, "inactive"),
    ("6250", MappingError, "inactive"),
    ("6200", ValidationError, "closed accounting period"),
    ("6210", ValidationError, "closed accounting period"),
    ("6140", ConflictError, "already used"),
    ("6190", ValidationError, "subscription"),
    ("6420", ValidationError, "email"),
    ("2020", ValidationError, "empty"),
    ("2050", ValidationError, "too long"),
    ("6070", ValidationError, "quantity x unit price"),
    ("4000", ValidationError, "search"),
    ("3001", RateLimited, "throttling"),
    ("3200", AuthError, "access token"),
    ("3100", AuthError, "not authorized"),
    ("120", AuthError, "no longer has access"),
    ("10000", ProviderDown, "internal error"),
    ("2200", ValidationError, "refused a value"),
    ("6999", ValidationError, "business rule"),
])
def test_every_code_has_a_category_message_and_fix(code, cls, words):
    err = faults.error_for(400, qbo_fault(code, "Intuit title", "Intuit detail"))
    assert type(err) is cls and err.code == code
    assert words in err.message and err.fix
    assert "Intuit detail" in (err.detail or "")


@pytest.mark.parametrize("status,cls", [(500, ProviderDown), (503, ProviderDown),
                                        (401, AuthError), (403, AuthError), (404, ValidationError),
                                        (400, ValidationError)])
def test_bare_statuses_are_typed(status, cls):
    err = faults.error_for(status, "")
    assert isinstance(err, cls) and err.message and err.fix


def test_throttling_limit_is_counted_per_company_across_connections(qbo, qbo_connection, hook,
                                                                    db, org):
    """Point 6, "Throttling limits hold per company": Intuit's 500/minute and 10 in flight are
    per company, so two business units booking to the same QuickBooks company share one
    window (counted in the database, so across worker processes too)."""
    from host.models.rate_limit import ConcurrencyLease

    first = qbo_connection("us", business_unit_id=org.business_unit_ids[0])
    second = qbo_connection("us", business_unit_id=org.business_unit_ids[1])
    for conn in (first, second):
        hook(conn, "list_mapping_choices", kind="class")
    keys = db.session.scalars(db.select(ConcurrencyLease.key)).all()
    us_window = [k for k in keys if US_REALM in k]
    assert len(us_window) >= 2 and set(us_window) == {
        f"window:tenant:quickbooks:{US_REALM}:realm-per-minute",
        f"window:tenant:quickbooks:{US_REALM}:realm-per-second"}, keys
    assert not any(k.startswith("window:conn:") for k in keys)
