"""Property: whatever JSON a client sends to /api/v1's create and update endpoints, the answer is
never a 5xx, and whatever was saved (a 2xx) reads back the same from the object and the list.

Each field gets either a plausible value (so some requests succeed and are read back) or any
JSON value: numbers of every size and sign, floats including NaN and the infinities, numeric
and date strings at the edges, booleans, null, text, lists and objects. Derandomized so a run
is repeatable; the examples are few enough to keep the file under a minute.
"""

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.extensions import db
from host.models import User

SETTINGS = settings(max_examples=75, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

EDGE_STRINGS = ["NaN", "-NaN", "Infinity", "-Infinity", "inf", "1e400", "1e30", "-1e30",
                "0", "-0", "0.001", "12.345", "99999999999999", str(2**63), str(-(2**63)),
                "9999-12-31", "0001-01-01", "2026-02-30", "2026-06-01", "", " ", "false",
                "true", "null", "abc", "1,5", "１２"]

SCALARS = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=None).map(str),
    st.sampled_from(EDGE_STRINGS),
    st.text(max_size=20),
)
ANY_JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)),
    max_leaves=6)

#: Numbers at the edges, weighted as a branch of their own so that few examples reach them.
NUMBER_EDGES = st.sampled_from(["NaN", "Infinity", "-Infinity", "1e400", "1e30", "-1", "0.001",
                                "0", 2**63, float("nan"), float("inf"), True])
DATE_EDGES = st.sampled_from(["9999-12-31", "0001-01-01", "2026-02-30", 20260601, "2026-6-1"])
MONEY = st.one_of(st.sampled_from(["10.00", "1", "0.50", "250.25"]), NUMBER_EDGES, ANY_JSON)
DATES = st.one_of(st.sampled_from(["2026-06-01", "2026-12-31", None]), DATE_EDGES, ANY_JSON)
TEXTS = st.one_of(st.text(max_size=30), ANY_JSON)


def _maybe(fields: dict) -> st.SearchStrategy:
    """Objects with any subset of ``fields`` (each a strategy)."""
    return st.fixed_dictionaries({}, optional=fields)


@pytest.fixture
def api(app, org):
    from host.services.api_tokens import create_token

    with app.app_context():
        user = db.session.query(User).filter_by(email=org.admin_email).one()
        token = create_token(user, "prop")[1]
    client = app.test_client()

    def call(method, url, body=None):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        data = json.dumps(body) if body is not None else None  # NaN/Infinity as bare literals
        resp = client.open(url, method=method, data=data, headers=headers)
        assert resp.status_code < 500, (method, url, data, resp.get_data(as_text=True))
        return resp

    return call


def _reads_back(api, url: str, created: dict, list_url: str, ignore=("sync",)):
    got = api("GET", url)
    assert got.status_code == 200
    strip = lambda d: {k: v for k, v in d.items() if k not in ignore}  # noqa: E731
    assert strip(got.get_json()) == strip(created)
    assert api("GET", list_url).status_code == 200


def _sent_invoice(api, catalog) -> dict:
    resp = api("POST", "/api/v1/invoices", {"project_id": catalog.project_id, "send": True})
    assert resp.status_code == 201
    return resp.get_json()


def test_clients(api, catalog):
    @SETTINGS
    @given(body=_maybe({"name": st.one_of(st.text(min_size=1, max_size=40), ANY_JSON),
                        "billing_contact_name": TEXTS,
                        "billing_email": st.one_of(st.just("ap@x.test"), TEXTS),
                        "currency": st.one_of(st.sampled_from(["EUR", "jpy", ""]), TEXTS),
                        "active": st.one_of(st.booleans(), ANY_JSON)}))
    def check(body):
        resp = api("POST", "/api/v1/clients", body)
        if resp.status_code == 201:
            _reads_back(api, f"/api/v1/clients/{resp.get_json()['id']}", resp.get_json(),
                        "/api/v1/clients")
        resp = api("PATCH", f"/api/v1/clients/{catalog.client_id}", body)
        if resp.status_code == 200:
            _reads_back(api, f"/api/v1/clients/{catalog.client_id}", resp.get_json(),
                        "/api/v1/clients")

    check()


def test_projects(api, catalog):
    @SETTINGS
    @given(body=_maybe({
        "name": st.one_of(st.text(min_size=1, max_size=40), ANY_JSON),
        "client_id": st.one_of(st.just(catalog.client_id), ANY_JSON),
        "business_unit_id": st.one_of(st.just(catalog.business_unit_id), ANY_JSON),
        "due_days": st.one_of(st.integers(0, 90), ANY_JSON),
        "contract_lines": st.one_of(st.lists(_maybe({
            "service_type_id": st.one_of(st.just(catalog.st_consulting), ANY_JSON),
            "rate": MONEY, "description": TEXTS, "class_label": TEXTS,
            "tax_rate_id": st.one_of(st.just(catalog.tax_ny), ANY_JSON)}), max_size=2), ANY_JSON),
    }))
    def check(body):
        resp = api("POST", "/api/v1/projects", body)
        if resp.status_code == 201:
            _reads_back(api, f"/api/v1/projects/{resp.get_json()['id']}", resp.get_json(),
                        "/api/v1/projects")

    check()


def _invoice_lines(catalog):
    return st.one_of(st.lists(_maybe({
        "quantity": MONEY, "unit_price": MONEY, "discount_percent": MONEY,
        "description": TEXTS, "service_date": DATES, "class_label": TEXTS,
        "contract_line_id": st.one_of(st.just(catalog.cl_support), ANY_JSON),
        "tax_rate_id": st.one_of(st.just(catalog.tax_ny), ANY_JSON),
        "service_type_id": st.one_of(st.just(catalog.st_support), ANY_JSON),
        "gl_account_id": st.one_of(st.just(catalog.gl_support), ANY_JSON)}),
        min_size=1, max_size=2), ANY_JSON)


def test_invoices_create_and_update(api, catalog):
    draft = api("POST", "/api/v1/invoices", {"project_id": catalog.project_id}).get_json()

    @SETTINGS
    @given(body=_maybe({
        "project_id": st.one_of(st.just(catalog.project_id), ANY_JSON),
        "issue_date": DATES, "memo": TEXTS, "send": st.one_of(st.booleans(), ANY_JSON),
        "lines": _invoice_lines(catalog),
        "quantities": st.one_of(st.fixed_dictionaries(
            {}, optional={str(catalog.cl_support): MONEY, str(catalog.cl_consulting): MONEY}),
            ANY_JSON)}))
    def check(body):
        resp = api("POST", "/api/v1/invoices", body)
        if resp.status_code == 201:
            _reads_back(api, f"/api/v1/invoices/{resp.get_json()['id']}", resp.get_json(),
                        "/api/v1/invoices")
        patch = {k: v for k, v in body.items() if k in ("lines", "memo", "issue_date")}
        resp = api("PATCH", f"/api/v1/invoices/{draft['id']}", patch)
        if resp.status_code == 200:
            _reads_back(api, f"/api/v1/invoices/{draft['id']}", resp.get_json(),
                        "/api/v1/invoices")

    check()


def test_payments_and_credit_notes(api, catalog):
    invoice = _sent_invoice(api, catalog)
    iid = invoice["id"]
    line_id = invoice["lines"][0]["id"]

    @SETTINGS
    @given(payment=_maybe({"amount": MONEY, "date": DATES, "reference": TEXTS}),
           credit=_maybe({"amount": MONEY, "reason": TEXTS, "issue_date": DATES,
                          "lines": st.one_of(st.lists(_maybe({
                              "invoice_line_id": st.one_of(st.just(line_id), ANY_JSON),
                              "quantity": MONEY}), max_size=2), ANY_JSON)}))
    def check(payment, credit):
        resp = api("POST", f"/api/v1/invoices/{iid}/payments", payment)
        if resp.status_code == 201:
            created = resp.get_json()
            _reads_back(api, f"/api/v1/payments/{created['id']}", created,
                        f"/api/v1/invoices/{iid}/payments", ignore=("invoice_status",))
        resp = api("POST", f"/api/v1/invoices/{iid}/credit-notes", credit)
        if resp.status_code == 201:
            created = resp.get_json()
            _reads_back(api, f"/api/v1/credit-notes/{created['id']}", created,
                        f"/api/v1/invoices/{iid}/credit-notes")
        assert api("GET", f"/api/v1/invoices/{iid}").status_code == 200

    check()


def test_list_parameters(api, catalog):
    @SETTINGS
    @given(params=_maybe({name: st.one_of(st.integers(-5, 2**70), st.sampled_from(EDGE_STRINGS),
                                          st.text(max_size=10))
                          for name in ("limit", "offset", "status", "client_id", "project_id",
                                       "business_unit_id")}))
    def check(params):
        for url in ("/api/v1/invoices", "/api/v1/clients", "/api/v1/projects"):
            resp = api("GET", f"{url}?{urlencode(params)}")
            assert resp.status_code in (200, 400)

    check()
