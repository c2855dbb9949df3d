"""Points 3-4: payments reduce balances (partial too); batch; change data capture."""
from datetime import datetime, timedelta, timezone


def code(r):
    return r.json()["Fault"]["Error"][0]["code"]


def invoice(qbo, amount=100, customer="1"):
    return qbo.create("Invoice", {"CustomerRef": {"value": customer}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": amount,
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "TaxCodeRef": {"value": "NON"}}}]})


def pay(qbo, inv, amount, total=None, **extra):
    return qbo.post("payment", {"CustomerRef": {"value": inv["CustomerRef"]["value"]},
                                "TotalAmt": total if total is not None else amount,
                                "Line": [{"Amount": amount, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}],
                                **extra})


def test_transactions_share_one_id_sequence(qbo):
    """An Id names one transaction whatever its type (name lists count per type)."""
    inv = invoice(qbo, 100)
    payment = pay(qbo, inv, 40).json()["Payment"]
    memo = qbo.create("CreditMemo", {"CustomerRef": {"value": "1"}, "Line": [
        {"DetailType": "SalesItemLineDetail", "Amount": 10,
         "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "TaxCodeRef": {"value": "NON"}}}]})
    assert [inv["Id"], payment["Id"], memo["Id"]] == ["1", "2", "3"]


def test_partial_then_full_payment(qbo):
    inv = invoice(qbo, 1000)
    p1 = pay(qbo, inv, 400).json()["Payment"]
    assert p1["UnappliedAmt"] == 0
    after = qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]
    assert after["Balance"] == 600 and after["LinkedTxn"] == [{"TxnId": p1["Id"], "TxnType": "Payment"}]
    assert after["SyncToken"] == "1"
    p2 = pay(qbo, inv, 600, total=650).json()["Payment"]
    assert p2["UnappliedAmt"] == 50
    assert qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 0
    over = pay(qbo, inv, 1)
    assert code(over) == "6000"
    deleted = qbo.post("payment", {"Id": p1["Id"], "SyncToken": "0"}, operation="delete")
    assert deleted.json()["Payment"]["status"] == "Deleted"
    assert qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 400
    # the customer's open balance: 400 on the invoice minus 50 unapplied on the remaining payment
    assert qbo.get("customer/1").json()["Customer"]["Balance"] == 350


def test_payment_void_and_update(qbo):
    inv = invoice(qbo, 300)
    p = pay(qbo, inv, 300).json()["Payment"]
    upd = qbo.post("payment", {"Id": p["Id"], "SyncToken": "0", "sparse": True,
                               "Line": [{"Amount": 100, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})
    assert upd.json()["Payment"]["UnappliedAmt"] == 200
    assert qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 200
    voided = qbo.post("payment", {"Id": p["Id"], "SyncToken": "1", "sparse": True},
                      operation="update", include="void").json()["Payment"]
    assert voided["TotalAmt"] == 0
    assert qbo.get(f"invoice/{inv['Id']}").json()["Invoice"]["Balance"] == 300


def test_payment_rules(qbo):
    inv = invoice(qbo, 100)
    assert code(qbo.post("payment", {"CustomerRef": {"value": "1"}})) == "2020"
    wrong_customer = qbo.post("payment", {"CustomerRef": {"value": "2"}, "TotalAmt": 10, "Line": [
        {"Amount": 10, "LinkedTxn": [{"TxnId": inv["Id"], "TxnType": "Invoice"}]}]})
    assert code(wrong_customer) == "620"
    assert code(pay(qbo, dict(inv, Id="999"), 10)) == "2500"
    unapplied = qbo.create("Payment", {"CustomerRef": {"value": "1"}, "TotalAmt": 25})
    assert unapplied["UnappliedAmt"] == 25


def test_batch(qbo):
    stale_target = qbo.create("Customer", {"DisplayName": "Batch Target"})
    qbo.create("Customer", {"Id": stale_target["Id"], "SyncToken": "0", "sparse": True, "Notes": "v1"})
    r = qbo.post("batch", {"BatchItemRequest": [
        {"bId": "c1", "operation": "create", "Customer": {"DisplayName": "Batch New"}},
        {"bId": "c2", "operation": "create", "Customer": {"DisplayName": "Acme Ltd"}},
        {"bId": "u1", "operation": "update", "Customer": {"Id": stale_target["Id"], "SyncToken": "0",
                                                          "sparse": True, "Notes": "v2"}},
        {"bId": "q1", "Query": "SELECT * FROM Term WHERE Name = 'Net 30'"},
    ]})
    assert r.status_code == 200
    items = {i["bId"]: i for i in r.json()["BatchItemResponse"]}
    assert items["c1"]["Customer"]["DisplayName"] == "Batch New"
    assert items["c2"]["Fault"]["Error"][0]["code"] == "6240"
    assert items["u1"]["Fault"]["Error"][0]["code"] == "5010"
    assert items["q1"]["QueryResponse"]["Term"][0]["Id"] == "3"
    inv = invoice(qbo, 10)
    r = qbo.post("batch", {"BatchItemRequest": [
        {"bId": "d1", "operation": "delete", "Invoice": {"Id": inv["Id"], "SyncToken": "0"}}]})
    assert r.json()["BatchItemResponse"][0]["Invoice"]["status"] == "Deleted"
    too_many = qbo.post("batch", {"BatchItemRequest": [{"bId": str(i), "Query": "SELECT * FROM Term"} for i in range(31)]})
    assert too_many.status_code == 400 and code(too_many) == "1040"


def test_cdc(qbo):
    since = datetime.now(timezone.utc).isoformat()
    qbo.control("POST", "clock/advance", json={"seconds": 5})
    c = qbo.create("Customer", {"DisplayName": "Changed Recently"})
    inv = invoice(qbo, 50)
    doomed = invoice(qbo, 5)
    qbo.post("invoice", {"Id": doomed["Id"], "SyncToken": "0"}, operation="delete")
    r = qbo.get("cdc", entities="Customer,Invoice,Payment", changedSince=since)
    assert r.status_code == 200
    responses = r.json()["CDCResponse"][0]["QueryResponse"]
    by_name = {k: v for resp in responses for k, v in resp.items() if isinstance(v, list)}
    assert [x["Id"] for x in by_name["Customer"]] == [c["Id"]]
    invoices = {x["Id"]: x for x in by_name["Invoice"]}
    assert invoices[inv["Id"]]["TotalAmt"] == 50
    assert invoices[doomed["Id"]]["status"] == "Deleted"
    assert "Payment" not in by_name
    later = (datetime.now(timezone.utc) + timedelta(days=1)).isoformat()
    assert qbo.get("cdc", entities="Customer", changedSince=later).json()["CDCResponse"] == [{"QueryResponse": [{}]}]
    old = (datetime.now(timezone.utc) - timedelta(days=31)).isoformat()
    assert code(qbo.get("cdc", entities="Customer", changedSince=old)) == "4001"
    assert code(qbo.get("cdc", entities="TaxCode", changedSince=since)) == "4001"
    assert code(qbo.get("cdc", entities="Customer")) == "2020"
