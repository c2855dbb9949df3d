"""The JSON API: bearer tokens, problem details, org isolation, invoice lifecycle."""

import re
from decimal import Decimal

import pytest
from factories import post_form

from host.extensions import db
from host.integrations.testing import create_org
from host.models import ApiToken, User

PROBLEM = "application/problem+json"


def _token(app, email: str, name: str = "ci") -> str:
    from host.services.api_tokens import create_token

    with app.app_context():
        user = db.session.query(User).filter_by(email=email).one()
        return create_token(user, name)[1]


@pytest.fixture
def api(app, org):
    token = _token(app, org.admin_email)
    client = app.test_client()

    def call(method, url, json=None, token=token):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return client.open(url, method=method, json=json, headers=headers)

    return call


def _assert_problem(resp, status: int):
    assert resp.status_code == status
    assert resp.mimetype == PROBLEM
    body = resp.get_json(force=True)
    assert body["status"] == status and body["title"] and body["type"] and "detail" in body
    return body


def test_token_created_on_page_is_shown_once_and_stored_hashed(app, org, admin_client):
    resp = post_form(admin_client, "/account/api-tokens", {"name": "integration"})
    page = resp.get_data(as_text=True)
    token = re.search(r'id="token-value">([^<]+)<', page).group(1)
    assert token.startswith("psa_")
    assert token not in admin_client.get("/account/api-tokens").get_data(as_text=True)
    with app.app_context():
        row = db.session.query(ApiToken).one()
        assert row.token_hash != token and token not in row.token_hash
    resp = app.test_client().get("/api/v1/clients", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.get_json()["items"] == []


def test_missing_bad_and_revoked_tokens_are_401_problems(app, org, admin_client, api):
    body = _assert_problem(api("GET", "/api/v1/invoices", token=None), 401)
    assert body["type"].endswith("/api/v1/problems/unauthorized")
    _assert_problem(api("GET", "/api/v1/invoices", token="psa_nope"), 401)
    # a logged-in browser session is not enough: the API reads tokens only
    _assert_problem(admin_client.get("/api/v1/invoices"), 401)
    token = _token(app, org.admin_email, "short-lived")
    with app.app_context():
        row = db.session.query(ApiToken).filter_by(name="short-lived").one()
        from host.services.api_tokens import revoke_token
        revoke_token(row)
    _assert_problem(api("GET", "/api/v1/invoices", token=token), 401)
    assert app.test_client().get("/api/v1/problems/unauthorized").status_code == 200


def test_unknown_route_and_bad_body_are_problems(api):
    _assert_problem(api("GET", "/api/v1/nothing-here"), 404)
    _assert_problem(api("DELETE", "/api/v1/clients"), 405)
    _assert_problem(api("POST", "/api/v1/clients", json=["not", "an", "object"]), 400)
    body = _assert_problem(api("POST", "/api/v1/clients", json={"billing_email": "x@y.test"}), 422)
    assert "name" in body["detail"]


def test_clients_and_projects_crud(api, org):
    resp = api("POST", "/api/v1/clients", json={"name": "Umbrella", "billing_email": "ap@umbrella.test",
                                                 "billing_contact_name": "Alice"})
    assert resp.status_code == 201
    client = resp.get_json()
    assert client["billing_email"] == "ap@umbrella.test" and client["currency"] == "USD"
    _assert_problem(api("POST", "/api/v1/clients", json={"name": "Umbrella"}), 409)
    resp = api("PATCH", f"/api/v1/clients/{client['id']}", json={"billing_contact_name": "Bob"})
    assert resp.get_json()["billing_contact_name"] == "Bob"
    resp = api("POST", "/api/v1/projects", json={
        "name": "Hive", "client_id": client["id"], "business_unit_id": org.business_unit_ids[0],
        "due_days": 7})
    assert resp.status_code == 201
    assert resp.get_json()["effective_due_days"] == 7
    assert api("GET", "/api/v1/projects").get_json()["total"] == 1


def test_invoice_lifecycle_create_send_pay_credit_void(api, catalog):
    resp = api("POST", "/api/v1/invoices", json={
        "project_id": catalog.project_id, "issue_date": "2026-06-01",
        "quantities": {str(catalog.cl_consulting): "10", str(catalog.cl_support): 2}})
    assert resp.status_code == 201, resp.get_data(as_text=True)
    invoice = resp.get_json()
    assert invoice["number"] == "INV-0001" and invoice["status"] == "draft"
    assert invoice["total"] == "1793.13" and invoice["due_date"] == "2026-07-01"
    assert [line["gl_account"] for line in invoice["lines"]] == ["4050", "4100"]
    iid = invoice["id"]
    sent = api("POST", f"/api/v1/invoices/{iid}/send").get_json()
    assert sent["status"] == "sent"
    body = _assert_problem(api("POST", f"/api/v1/invoices/{iid}/approve"), 409)
    assert body["type"].endswith("/invalid-transition")
    resp = api("POST", f"/api/v1/invoices/{iid}/payments", json={"amount": 93.13, "date": "2026-06-05"})
    assert resp.status_code == 201 and resp.get_json()["invoice_status"] == "partially_paid"
    _assert_problem(api("POST", f"/api/v1/invoices/{iid}/void"), 409)
    resp = api("POST", f"/api/v1/invoices/{iid}/credit-notes", json={"amount": "100.00", "reason": "late"})
    assert resp.status_code == 201 and resp.get_json()["number"] == "CN-0001"
    got = api("GET", f"/api/v1/invoices/{iid}").get_json()
    assert got["balance"] == "1600.00" and got["amount_credited"] == "100.00"
    assert api("GET", f"/api/v1/invoices/{iid}/payments").get_json()["total"] == 1
    sync = api("GET", f"/api/v1/invoices/{iid}/sync")
    assert sync.status_code == 200 and sync.get_json()["number"] == "INV-0001"
    # a second invoice with explicit lines, sent at creation, then voided
    resp = api("POST", "/api/v1/invoices", json={
        "project_id": catalog.project_id, "send": True,
        "lines": [{"description": "Workshop", "quantity": "1", "unit_price": "999.99",
                   "discount_percent": "10", "service_type_id": catalog.st_consulting}]})
    second = resp.get_json()
    assert second["status"] == "sent" and second["total"] == "899.99"
    assert api("POST", f"/api/v1/invoices/{second['id']}/void").get_json()["status"] == "void"
    listing = api("GET", "/api/v1/invoices?status=void").get_json()
    assert [i["number"] for i in listing["items"]] == ["INV-0002"]


def test_invoice_validation_errors_are_422(api, catalog):
    body = _assert_problem(api("POST", "/api/v1/invoices", json={
        "project_id": catalog.project_id, "lines": [{"quantity": "1"}]}), 422)
    assert "unit_price" in body["detail"]
    _assert_problem(api("POST", "/api/v1/invoices", json={
        "project_id": catalog.project_id, "lines": [{"quantity": "x", "unit_price": "1"}]}), 422)
    _assert_problem(api("POST", "/api/v1/invoices", json={"project_id": 999}), 422)


def test_other_organization_is_invisible_through_the_api(app, api, catalog):
    created = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id}).get_json()
    other = create_org(app, name="Other Co", admin_email="admin@other.test",
                       member_email="member@other.test")
    token = _token(app, other.admin_email)
    for url in (f"/api/v1/invoices/{created['id']}", f"/api/v1/clients/{catalog.client_id}",
                f"/api/v1/projects/{catalog.project_id}", f"/api/v1/invoices/{created['id']}/sync"):
        _assert_problem(api("GET", url, token=token), 404)
    _assert_problem(api("POST", f"/api/v1/invoices/{created['id']}/send", token=token), 404)
    _assert_problem(api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id},
                        token=token), 422)
    assert api("GET", "/api/v1/invoices", token=token).get_json()["total"] == 0
    assert api("GET", "/api/v1/clients", token=token).get_json()["items"] == []
    assert api("GET", "/api/v1/invoices").get_json()["total"] == 1


def test_member_token_works_for_invoices(app, org, catalog, api):
    token = _token(app, org.member_email)
    resp = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id}, token=token)
    assert resp.status_code == 201
    # each contract line once: 150.00 + 13.31 tax (8.875 %, 13.3125 rounded) + 80.00 untaxed
    assert Decimal(resp.get_json()["total"]) == Decimal("243.31")


def test_sent_invoice_reports_its_sync_status(app, api, catalog):
    from host.integrations.testing import make_connection

    make_connection(app, catalog.business_unit_id, "fakeprovider")
    draft = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id}).get_json()
    assert draft["sync"] is None  # nothing is pushed before it is sent
    sent = api("POST", f"/api/v1/invoices/{draft['id']}/send").get_json()
    assert sent["sync"] is not None and sent["sync"]["status"] in ("pending", "in_progress", "synced")
    sync = api("GET", f"/api/v1/invoices/{draft['id']}/sync").get_json()["sync"]
    assert sync["status"] == sent["sync"]["status"]
    listing = api("GET", "/api/v1/invoices").get_json()["items"]
    assert listing[0]["sync"]["status"] == sync["status"]


def test_tokens_page_lists_and_revokes_own_tokens(app, org, admin_client, member_client):
    post_form(admin_client, "/account/api-tokens", {"name": "laptop"})
    page = admin_client.get("/account/api-tokens").get_data(as_text=True)
    assert "laptop" in page and "never" in page
    with app.app_context():
        token_id = db.session.query(ApiToken).filter_by(name="laptop").one().id
    # another user cannot revoke it
    resp = post_form(member_client, f"/account/api-tokens/{token_id}/revoke", {},
                     page="/account/api-tokens")
    assert resp.status_code == 404
    resp = post_form(admin_client, f"/account/api-tokens/{token_id}/revoke", {},
                     page="/account/api-tokens")
    assert resp.status_code == 302
    assert "revoked" in admin_client.get("/account/api-tokens").get_data(as_text=True)


def test_malformed_lines_are_422_not_500(api, catalog):
    created = api("POST", "/api/v1/invoices", json={"project_id": catalog.project_id}).get_json()
    iid = created["id"]
    _assert_problem(api("PATCH", f"/api/v1/invoices/{iid}", json={"lines": {"a": 1}}), 422)
    _assert_problem(api("PATCH", f"/api/v1/invoices/{iid}", json={"lines": ["x"]}), 422)
    _assert_problem(api("POST", "/api/v1/projects", json={
        "name": "P", "client_id": catalog.client_id, "business_unit_id": catalog.business_unit_id,
        "contract_lines": ["nope"]}), 422)
    api("POST", f"/api/v1/invoices/{iid}/send")
    _assert_problem(api("POST", f"/api/v1/invoices/{iid}/credit-notes", json={"lines": "all"}), 422)
    _assert_problem(api("POST", f"/api/v1/invoices/{iid}/credit-notes", json={}), 422)
    _assert_problem(api("POST", f"/api/v1/invoices/{iid}/payments", json={"amount": "lots"}), 422)
    assert api("GET", f"/api/v1/invoices/{iid}").get_json()["status"] == "sent"
