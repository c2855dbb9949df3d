"""A customer's Balance is computed from its transactions everywhere QBO shows or filters it;
a client-sent Balance is only the opening balance on create, ignored on update."""
from datetime import datetime, timezone

from .test_payments_batch_cdc import invoice, pay


def cdc_customers(qbo, since) -> dict:
    r = qbo.get("cdc", entities="Customer", changedSince=since)
    assert r.status_code == 200, r.text
    responses = r.json()["CDCResponse"][0]["QueryResponse"]
    return {c["Id"]: c for resp in responses for c in resp.get("Customer", [])}


def test_sent_balance_on_update_is_ignored_in_answers_queries_and_cdc(qbo):
    since = datetime.now(timezone.utc).isoformat()
    qbo.control("POST", "clock/advance", json={"seconds": 5})
    customer = qbo.create("Customer", {"DisplayName": "Balance Probe"})
    inv = invoice(qbo, 120, customer=customer["Id"])
    pay(qbo, inv, 20)
    updated = qbo.create("Customer", {"Id": customer["Id"], "SyncToken": customer["SyncToken"],
                                      "sparse": True, "Balance": 9999, "BalanceWithJobs": 9999})
    assert updated["Balance"] == 100 and updated["BalanceWithJobs"] == 100
    assert qbo.get(f"customer/{customer['Id']}").json()["Customer"]["Balance"] == 100
    assert [c["Id"] for c in qbo.rows("SELECT * FROM Customer WHERE Balance = '100'")] == [customer["Id"]]
    assert qbo.rows("SELECT * FROM Customer WHERE Balance = '9999'") == []
    assert cdc_customers(qbo, since)[customer["Id"]]["Balance"] == 100
    full = dict(updated, Balance=5, DisplayName="Balance Probe Renamed")
    assert qbo.create("Customer", full)["Balance"] == 100


def test_query_filters_and_orders_on_the_computed_balance(qbo):
    owing = qbo.create("Customer", {"DisplayName": "Owes Money"})
    invoice(qbo, 75, customer=owing["Id"])
    rows = qbo.rows("SELECT * FROM Customer WHERE Balance > '0' ORDERBY Balance DESC")
    assert [(c["Id"], c["Balance"]) for c in rows] == [(owing["Id"], 75)]


def test_balance_on_create_is_the_opening_balance(qbo):
    customer = qbo.create("Customer", {"DisplayName": "Opening Balance Ltd", "Balance": 250,
                                       "OpenBalanceDate": "2026-01-01"})
    assert customer["Balance"] == 250
    invoice(qbo, 50, customer=customer["Id"])
    assert qbo.get(f"customer/{customer['Id']}").json()["Customer"]["Balance"] == 300
    assert "Balance" not in qbo.stored("Customer", customer["Id"])  # never stored, always computed
