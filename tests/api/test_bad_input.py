"""Bad input through /api/v1: a 4xx problem naming the field, never a 500, nothing saved.

Each case is one the field report of issue 10 found answering 500 (or saving a value that made
every later read of the invoice and the invoice list a 500).
"""

import io
import json

import pytest

from host.extensions import db
from host.models import Client, CreditNote, Invoice, Payment

PROBLEM = "application/problem+json"
BIG = 2**63


@pytest.fixture
def api(app, org):
    from host.services.api_tokens import create_token
    from host.models import User

    with app.app_context():
        user = db.session.query(User).filter_by(email=org.admin_email).one()
        token = create_token(user, "ci")[1]
    client = app.test_client()

    def call(method, url, json=None, data=None, headers=None):
        headers = {"Authorization": f"Bearer {token}", **(headers or {})}
        if data is not None:
            headers.setdefault("Content-Type", "application/json")
        return client.open(url, method=method, json=json, data=data, headers=headers)

    return call


def _problem(resp, status: int, field: str | None = None) -> dict:
    assert resp.status_code == status, resp.get_data(as_text=True)
    assert resp.mimetype == PROBLEM
    body = resp.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"] and body["detail"]
    if field is not None:
        assert field in [e["field"] for e in body["errors"]], body
    return body


def _count(app, model) -> int:
    with app.app_context():
        return db.session.query(model).count()


def _sent_invoice(api, catalog) -> int:
    created = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id, "send": True})
    assert created.status_code == 201, created.get_data(as_text=True)
    return created.get_json()["id"]


# -- amounts and quantities --------------------------------------------------------------------

AMOUNTS = ["Infinity", "-Infinity", "NaN", "1e400", "1e30", "12.345", True, [], {}, "", "1,5"]
RAW_NUMBERS = ["Infinity", "NaN", "-Infinity", "1e400", "1e30"]


@pytest.mark.parametrize("value", AMOUNTS)
@pytest.mark.parametrize("field", ["unit_price", "quantity"])
def test_line_amounts_that_cannot_be_stored_are_refused(app, api, catalog, field, value):
    line = {"description": "x", "quantity": "1", "unit_price": "10", field: value}
    if field == "quantity" and value == "12.345":
        value = line[field] = "1.23456"  # quantities keep 4 places
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "lines": [line]}),
             422, f"lines[0].{field}")
    assert _count(app, Invoice) == 0
    assert api("GET", "/api/v1/invoices").status_code == 200


@pytest.mark.parametrize("raw", RAW_NUMBERS)
def test_bare_json_number_literals_are_refused(app, api, catalog, raw):
    body = ('{"project_id": %d, "lines": [{"quantity": 1, "unit_price": %s}]}'
            % (catalog.project_id, raw))
    _problem(api("POST", "/api/v1/invoices", data=body), 422, "lines[0].unit_price")
    assert _count(app, Invoice) == 0
    assert api("GET", "/api/v1/invoices").status_code == 200


def test_patch_with_unstorable_amount_leaves_the_invoice_readable(app, api, catalog):
    iid = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id}).get_json()["id"]
    before = api("GET", f"/api/v1/invoices/{iid}").get_json()
    _problem(api("PATCH", f"/api/v1/invoices/{iid}",
                 data='{"lines": [{"quantity": 1e400, "unit_price": "1"}]}'),
             422, "lines[0].quantity")
    assert api("GET", f"/api/v1/invoices/{iid}").get_json() == before
    assert api("GET", "/api/v1/invoices").status_code == 200


def test_line_whose_amount_overflows_the_money_column_is_refused(app, api, catalog):
    line = {"quantity": "9999999999", "unit_price": "999999999999.99"}
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "lines": [line]}), 422, "lines[0]")
    assert _count(app, Invoice) == 0


def test_discount_out_of_range_names_the_field(api, catalog):
    line = {"quantity": "1", "unit_price": "10", "discount_percent": "NaN"}
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "lines": [line]}),
             422, "lines[0].discount_percent")


def test_amount_with_more_places_than_the_currency_is_refused(app, api, catalog):
    with app.app_context():
        db.session.get(Client, catalog.client_id).currency = "JPY"
        db.session.commit()
    line = {"quantity": "1", "unit_price": "100.50"}
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "lines": [line]}),
             422, "lines[0].unit_price")
    line["unit_price"] = "100"
    assert api("POST", "/api/v1/invoices",
               json={"project_id": catalog.project_id, "lines": [line]}).status_code == 201


@pytest.mark.parametrize("value", ["NaN", "Infinity", "1e400", "1e30", "-5", "0.001", True, {}])
def test_payment_amounts_that_cannot_be_stored_are_refused(app, api, catalog, value):
    iid = _sent_invoice(api, catalog)
    _problem(api("POST", f"/api/v1/invoices/{iid}/payments", json={"amount": value}),
             422, "amount")
    _problem(api("POST", f"/api/v1/invoices/{iid}/payments",
                 data='{"amount": %s}' % ("1e400" if value == "1e400" else "NaN")), 422, "amount")
    assert _count(app, Payment) == 0
    assert api("GET", f"/api/v1/invoices/{iid}").status_code == 200


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "1e30", True, []])
def test_credit_note_amounts_that_cannot_be_stored_are_refused(app, api, catalog, value):
    iid = _sent_invoice(api, catalog)
    _problem(api("POST", f"/api/v1/invoices/{iid}/credit-notes", json={"amount": value}),
             422, "amount")
    assert _count(app, CreditNote) == 0
    line_id = api("GET", f"/api/v1/invoices/{iid}").get_json()["lines"][0]["id"]
    _problem(api("POST", f"/api/v1/invoices/{iid}/credit-notes",
                 json={"lines": [{"invoice_line_id": line_id, "quantity": value}]}),
             422, "lines[0].quantity")
    assert _count(app, CreditNote) == 0
    assert api("GET", "/api/v1/invoices").status_code == 200


# -- ids, offsets, dates, texts, booleans ------------------------------------------------------

@pytest.mark.parametrize("value", ["abc", BIG, -1, 1.5, True, {}])
def test_bad_contract_line_id_is_a_problem(app, api, catalog, value):
    _problem(api("POST", "/api/v1/invoices", json={
        "project_id": catalog.project_id,
        "lines": [{"contract_line_id": value, "quantity": "1"}]}), 422, "lines[0].contract_line_id")
    assert _count(app, Invoice) == 0


@pytest.mark.parametrize("value, field", [
    (False, "lines"), (True, "lines"), (5, "lines"), ("abc", "lines"), ({"quantity": 1}, "lines"),
    ([5], "lines[0]"), (["x"], "lines[0]"), ([None], "lines[0]")])
def test_lines_that_are_not_a_list_of_objects_are_refused(app, api, catalog, value, field):
    """Found by the property test: ``"lines": false`` reached ``list(False)`` (a 500)."""
    _problem(api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id,
                                                   "lines": value}), 422, field)
    iid = _sent_invoice(api, catalog)
    _problem(api("PATCH", f"/api/v1/invoices/{iid}", json={"lines": value}), 422, field)
    _problem(api("POST", f"/api/v1/invoices/{iid}/credit-notes", json={"lines": value}), 422,
             field)
    _problem(api("POST", "/api/v1/projects", json={
        "name": "P", "client_id": catalog.client_id, "business_unit_id": catalog.business_unit_id,
        "contract_lines": value}), 422, field.replace("lines", "contract_lines"))
    assert _count(app, Invoice) == 1 and _count(app, CreditNote) == 0


@pytest.mark.parametrize("url", [
    f"/api/v1/invoices/{BIG}", f"/api/v1/clients/{BIG}", f"/api/v1/projects/{BIG}",
    f"/api/v1/payments/{BIG}", f"/api/v1/credit-notes/{BIG}", f"/api/v1/invoices/{BIG}/sync",
    f"/api/v1/invoices/{2**70}/payments",
])
def test_ids_beyond_64_bits_are_404(api, url):
    _problem(api("GET", url), 404)


@pytest.mark.parametrize("query, field", [
    (f"offset={BIG}", "offset"), (f"limit={BIG}", "limit"), ("offset=-1", "offset"),
    ("limit=abc", "limit"), (f"client_id={BIG}", "client_id"), ("project_id=x", "project_id"),
    ("status=nope", "status"),
])
def test_bad_list_parameters_are_400(api, query, field):
    _problem(api("GET", f"/api/v1/invoices?{query}"), 400, field)


@pytest.mark.parametrize("body, field", [
    ({"project_id": BIG}, "project_id"),
    ({"project_id": "abc"}, "project_id"),
])
def test_bad_project_id_on_create_is_422(app, api, catalog, body, field):
    _problem(api("POST", "/api/v1/invoices", json=body), 422, field)
    assert _count(app, Invoice) == 0


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01", "2026-02-30", "yesterday", 20260101,
                                   {"y": 2026}])
def test_out_of_range_issue_date_is_refused(app, api, catalog, value):
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "issue_date": value}), 422, "issue_date")
    assert _count(app, Invoice) == 0
    assert api("GET", "/api/v1/invoices").status_code == 200


def test_due_days_that_push_the_due_date_off_the_calendar_are_refused(api, catalog):
    _problem(api("POST", "/api/v1/projects", json={
        "name": "Far", "client_id": catalog.client_id,
        "business_unit_id": catalog.business_unit_id, "due_days": 10**9}), 422, "due_days")


@pytest.mark.parametrize("memo", [{"a": 1}, ["x"], 5, "x" * 5001])
def test_memo_of_the_wrong_type_or_size_is_refused(app, api, catalog, memo):
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "memo": memo}), 422, "memo")
    iid = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id}).get_json()["id"]
    _problem(api("PATCH", f"/api/v1/invoices/{iid}", json={"memo": memo}), 422, "memo")
    assert api("GET", f"/api/v1/invoices/{iid}").get_json()["memo"] == ""


@pytest.mark.parametrize("value", ["false", "true", 0, 1, "no", None])
def test_active_must_be_a_json_boolean(app, api, catalog, value):
    _problem(api("PATCH", f"/api/v1/clients/{catalog.client_id}", json={"active": value}),
             422, "active")
    assert api("GET", f"/api/v1/clients/{catalog.client_id}").get_json()["active"] is True
    resp = api("PATCH", f"/api/v1/clients/{catalog.client_id}", json={"active": False})
    assert resp.status_code == 200 and resp.get_json()["active"] is False


@pytest.mark.parametrize("body, field", [
    ({"name": {"x": 1}}, "name"), ({"name": "x" * 201}, "name"),
    ({"name": "A", "currency": "dollars"}, "currency"), ({"name": "A", "currency": 840}, "currency"),
    ({"name": "A", "billing_email": ["a@b.test"]}, "billing_email"),
])
def test_client_texts_are_checked(app, api, body, field):
    _problem(api("POST", "/api/v1/clients", json=body), 422, field)
    assert _count(app, Client) == 0


def test_send_must_be_a_boolean(app, api, catalog):
    _problem(api("POST", "/api/v1/invoices",
                 json={"project_id": catalog.project_id, "send": "false"}), 422, "send")
    assert _count(app, Invoice) == 0


# -- the body itself ---------------------------------------------------------------------------

def test_deeply_nested_json_is_400(app, api):
    body = "[" * 100_000 + "]" * 100_000
    _problem(api("POST", "/api/v1/clients", data=body), 400)
    body = '{"name": ' + "[" * 100_000 + "]" * 100_000 + "}"
    _problem(api("POST", "/api/v1/clients", data=body), 400)


def test_body_over_the_size_limit_is_413_before_it_is_read(make_app):
    app = make_app(MAX_CONTENT_LENGTH=1024)
    from host.integrations.testing import create_org
    from host.services.api_tokens import create_token
    from host.models import User

    org = create_org(app)
    with app.app_context():
        user = db.session.query(User).filter_by(email=org.admin_email).one()
        token = create_token(user, "ci")[1]
    client = app.test_client()
    resp = client.post("/api/v1/clients", data=json.dumps({"name": "x" * 2000}),
                       headers={"Authorization": f"Bearer {token}",
                                "Content-Type": "application/json"})
    _problem(resp, 413)
    assert _count(app, Client) == 0
    resp = client.post("/webhooks/fakeprovider", data=b"x" * 2000)
    assert resp.status_code == 413
    assert client.post("/clients/new", data={"name": "x" * 2000}).status_code == 413  # a form
    # the declared length alone decides: a body that must not be read is never read
    for url, headers in (("/api/v1/clients", {"Authorization": f"Bearer {token}"}),
                         ("/webhooks/fakeprovider", {})):
        resp = client.post(url, input_stream=_Unreadable(), content_type="application/json",
                           environ_overrides={"CONTENT_LENGTH": "2000"}, headers=headers)
        assert resp.status_code == 413, url


class _Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it (the test client may rewind)."""

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        return 0

    def tell(self):
        return 0

    def readinto(self, buffer):
        raise AssertionError("the request body was read")


def test_the_default_size_limit_is_set():
    from host.config import defaults
    from pathlib import Path

    assert 0 < defaults(Path("/tmp"))["MAX_CONTENT_LENGTH"] <= 16 * 1024 * 1024
