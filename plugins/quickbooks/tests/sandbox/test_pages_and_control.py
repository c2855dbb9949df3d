"""Points 7-9: company pages with the Receive payment form, control API, SQLite persistence."""
import json
import re

import httpx

from host.sandbox_kit import ServerThread
from psa_quickbooks.sandbox import DEFAULT_REALMS, create_app


def make_invoice(qbo, amount=500):
    return qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": amount,
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "TaxCodeRef": {"value": "NON"}}}]})


def test_invoice_page_receive_partial_and_full_payment(qbo, receiver):
    qbo.control("POST", "webhooks/apps", json={"url": receiver.url, "verifier_token": "vt"})
    inv = make_invoice(qbo)
    page = qbo.http.get(f"/company/{qbo.realm}/invoices").text
    assert f'data-invoice-id="{inv["Id"]}"' in page and 'name="amount"' in page and "receive-payment" in page
    action = re.search(r'action="([^"]+/payments)"', page).group(1)
    r = qbo.http.post(action, data={"amount": "200"}, follow_redirects=True)
    assert r.status_code == 200 and 'id="message"' in r.text and "Partially paid" in r.text
    invoice = qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]
    assert invoice["Balance"] == 300 and invoice["LinkedTxn"][0]["TxnType"] == "Payment"
    qbo.http.post(action, data={}, follow_redirects=True)  # default amount = the open balance
    assert qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 0
    qbo.control("POST", "webhooks/flush")
    events = [(e["name"], e["operation"]) for _, body in receiver.wait(1)
              for n in json.loads(body)["eventNotifications"] for e in n["dataChangeEvent"]["entities"]]
    assert ("Payment", "Create") in events and ("Invoice", "Update") in events
    too_much = qbo.http.post(action, data={"amount": "5"}, follow_redirects=True)
    assert 'id="error"' in too_much.text and "open balance" in too_much.text


def test_other_pages(qbo):
    inv = make_invoice(qbo)
    assert "Acme Ltd" in qbo.http.get(f"/company/{qbo.realm}/customers").text
    assert "Professional Services:Consulting" in qbo.http.get(f"/company/{qbo.realm}/products").text
    assert DEFAULT_REALMS["uk"] in qbo.http.get("/").text
    r = qbo.http.get("/app/invoice", params={"txnId": inv["Id"], "realmId": qbo.realm}, follow_redirects=True)
    assert r.status_code == 200 and 'id="invoice-balance"' in r.text
    assert qbo.http.get("/company/000/invoices").status_code == 404


def test_control_api(qbo):
    assert qbo.control("GET", "").json()["sandbox"]["realms"][DEFAULT_REALMS["us"]]
    stored = qbo.stored("Customer", "1")
    assert stored["DisplayName"] == "Acme Ltd"
    listing = qbo.control("GET", f"companies/{qbo.realm}/entities/Customer").json()["Customer"]
    assert any(c["Active"] is False for c in listing)
    prefs = qbo.control("POST", f"companies/{qbo.realm}/preferences",
                        json={"SalesFormsPrefs": {"CustomTxnNumbers": True}}).json()["Preferences"]
    assert prefs["SalesFormsPrefs"]["CustomTxnNumbers"] is True and prefs["SalesFormsPrefs"]["AllowDiscount"]
    assert qbo.control("POST", "settings", json={"nonsense": 1}).status_code == 400
    assert qbo.control("POST", "tokens", json={"realm_id": "nope"}).status_code == 400
    qbo.create("Customer", {"DisplayName": "Gone After Reset"})
    assert qbo.control("POST", "reset").json() == {"ok": True}
    assert qbo.control("GET", f"companies/{qbo.realm}/entities/Customer/5").status_code == 404
    assert qbo.get("preferences").status_code == 401  # tokens are forgotten too


def test_sqlite_persistence_survives_restart(tmp_path):
    db = str(tmp_path / "qbo.sqlite")
    app = create_app({"SANDBOX_DB_PATH": db, "QBO_START_WEBHOOKS": False})
    with ServerThread(app) as server:
        http = httpx.Client(base_url=server.url)
        token = http.post("/_sandbox/tokens", json={"realm_id": DEFAULT_REALMS["us"]}).json()
        headers = {"Authorization": "Bearer " + token["access_token"]}
        r = http.post(f"/v3/company/{DEFAULT_REALMS['us']}/customer", json={"DisplayName": "Persistent"},
                      headers=headers)
        assert r.status_code == 200
        http.close()
    app.extensions["qbo_sandbox"].state.store.close()
    again = create_app({"SANDBOX_DB_PATH": db, "QBO_START_WEBHOOKS": False})
    with ServerThread(again) as server:
        r = httpx.get(f"{server.url}/v3/company/{DEFAULT_REALMS['us']}/query",
                      params={"query": "SELECT * FROM Customer WHERE DisplayName = 'Persistent'"}, headers=headers)
        assert r.status_code == 200 and r.json()["QueryResponse"]["Customer"][0]["DisplayName"] == "Persistent"
    again.extensions["qbo_sandbox"].state.store.close()
