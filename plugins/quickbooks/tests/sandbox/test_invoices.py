"""Points 3-4: invoices and credit memos: numbering, tax and totals, references, closed books,
send, PDF, delete/void, requestid idempotency."""
import pytest

from psa_quickbooks.sandbox import DEFAULT_REALMS


def code(r):
    return r.json()["Fault"]["Error"][0]["code"]


def line(amount, item="2", qty=None, price=None, tax=None, **extra):
    detail = {"ItemRef": {"value": item}}
    if qty is not None:
        detail["Qty"] = qty
    if price is not None:
        detail["UnitPrice"] = price
    if tax is not None:
        detail["TaxCodeRef"] = {"value": tax}
    detail.update(extra)
    return {"DetailType": "SalesItemLineDetail", "Amount": amount, "SalesItemLineDetail": detail}


def us_invoice(**extra):
    return {"CustomerRef": {"value": "1"}, "SalesTermRef": {"value": "3"}, "TxnDate": "2026-03-02",
            "Line": [line(1500, qty=10, price=150, tax="TAX"), line(250, item="3", qty=1, price=250, tax="NON"),
                     {"DetailType": "DiscountLineDetail", "Amount": 100,
                      "DiscountLineDetail": {"PercentBased": False}}],
            "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}}, **extra}


def test_us_invoice_totals_tax_and_defaults(qbo):
    inv = qbo.create("Invoice", us_invoice())
    assert inv["TotalAmt"] == 1770 and inv["Balance"] == 1770
    assert inv["TxnTaxDetail"]["TotalTax"] == 120
    assert inv["TxnTaxDetail"]["TaxLine"][0]["TaxLineDetail"]["NetAmountTaxable"] == 1500
    assert inv["DueDate"] == "2026-04-01" and inv["SalesTermRef"]["name"] == "Net 30"
    assert inv["DocNumber"] == "1001"
    assert [l["DetailType"] for l in inv["Line"]] == ["SalesItemLineDetail", "SalesItemLineDetail",
                                                       "SubTotalLineDetail", "DiscountLineDetail"]
    assert inv["Line"][2]["Amount"] == 1750
    assert inv["EmailStatus"] == "NotSet" and inv["PrintStatus"] == "NotSet" and inv["LinkedTxn"] == []
    assert inv["BillAddr"]["City"] == "Springfield" and inv["CustomerRef"]["name"] == "Acme Ltd"
    assert qbo.create("Invoice", us_invoice())["DocNumber"] == "1002"


def test_tax_after_discount_and_explicit_total_tax(qbo):
    inv = qbo.create("Invoice", us_invoice(ApplyTaxAfterDiscount=True))
    # taxable 1500 reduced by 100/1750 of the discount -> 1414.29 * 8 % = 113.14
    assert inv["TxnTaxDetail"]["TotalTax"] == pytest.approx(113.14)
    body = us_invoice()
    body["TxnTaxDetail"]["TotalTax"] = 99
    assert qbo.create("Invoice", body)["TotalAmt"] == 1750 - 100 + 99


def test_us_total_tax_override_is_remembered_across_updates(qbo):
    """A TotalTax the client set stays when the same value is sent again (or a sparse update
    leaves TxnTaxDetail out); an echoed computed value, or TxnTaxDetail without TotalTax,
    recomputes. The marker is never shown by the API."""
    body = us_invoice()
    body["TxnTaxDetail"]["TotalTax"] = 133.13  # 8.875 % of 1500, the code says 8 %
    inv = qbo.create("Invoice", body)
    assert inv["TxnTaxDetail"]["TotalTax"] == 133.13 and inv["TotalAmt"] == 1650 + 133.13
    assert "_tax_override" not in inv and "_tax_override" not in qbo.stored("Invoice", inv["Id"])
    tax_sent = {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": 133.13}
    resent = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "0", "sparse": True,
                                    "PrivateNote": "edited", "TxnTaxDetail": tax_sent})
    assert resent["TxnTaxDetail"]["TotalTax"] == 133.13 and resent["TotalAmt"] == 1783.13
    note_only = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "1", "sparse": True,
                                       "PrivateNote": "memo only"})
    assert note_only["TxnTaxDetail"]["TotalTax"] == 133.13
    dropped = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "2", "sparse": True,
                                     "TxnTaxDetail": {"TxnTaxCodeRef": {"value": "2"}}})
    assert dropped["TxnTaxDetail"]["TotalTax"] == 120 and dropped["TotalAmt"] == 1770
    echoed = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "3", "sparse": True,
                                    "PrivateNote": "echo", "TxnTaxDetail": {"TotalTax": 120}})
    lines = [l for l in echoed["Line"] if l["DetailType"] == "SalesItemLineDetail"][:1]
    lines[0]["Amount"], lines[0]["SalesItemLineDetail"]["Qty"] = 300, 2
    # a computed 120 echoed back with changed lines is recomputed (8 % of 300 = 24)
    recomputed = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "4", "sparse": True,
                                        "Line": lines, "TxnTaxDetail": {"TotalTax": 120}})
    assert recomputed["TxnTaxDetail"]["TotalTax"] == 24


def test_custom_transaction_numbers(qbo):
    custom = qbo.for_realm(DEFAULT_REALMS["custom_numbers"])
    body = {"CustomerRef": {"value": "1"}, "Line": [line(100, tax="NON")]}
    assert "DocNumber" not in custom.create("Invoice", body)
    assert custom.create("Invoice", dict(body, DocNumber="PSA-1"))["DocNumber"] == "PSA-1"
    dup = custom.post("invoice", dict(body, DocNumber="PSA-1"))
    assert dup.status_code == 400 and code(dup) == "6140"
    assert custom.create("Invoice", dict(body, DocNumber="PSA-1"), include="allowduplicatedocnum")
    assert custom.create("Invoice", dict(body, DocNumber="AUTO_GENERATE"))["DocNumber"] == "1001"
    assert code(custom.post("invoice", dict(body, DocNumber="X" * 22))) == "2050"
    # turning the preference off through the control API makes QBO number again
    custom.control("POST", f"companies/{custom.realm}/preferences",
                   json={"SalesFormsPrefs": {"CustomTxnNumbers": False}})
    assert custom.create("Invoice", body)["DocNumber"] == "1002"


def test_uk_vat_required_on_every_line_and_computed(uk):
    s20 = uk.rows("SELECT * FROM TaxCode WHERE Name = '20.0% S'")[0]["Id"]
    s5 = uk.rows("SELECT * FROM TaxCode WHERE Name = '5.0% R'")[0]["Id"]
    r = uk.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100)]})
    assert r.status_code == 400 and code(r) == "6000"
    assert "VAT" in r.json()["Fault"]["Error"][0]["Detail"]
    inv = uk.create("Invoice", {"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "TaxExcluded",
                                "Line": [line(4000, qty=1, price=4000, tax=s20), line(100, tax=s5)]})
    assert inv["TxnTaxDetail"]["TotalTax"] == 805 and inv["TotalAmt"] == 4905
    inclusive = uk.create("Invoice", {"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "TaxInclusive",
                                      "Line": [line(120, tax=s20)]})
    assert inclusive["TotalAmt"] == 120 and inclusive["TxnTaxDetail"]["TotalTax"] == 20
    assert code(uk.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1, tax="999")]})) == "2500"
    na = uk.post("invoice", {"CustomerRef": {"value": "1"}, "GlobalTaxCalculation": "NotApplicable",
                             "TxnTaxDetail": {"TotalTax": 5}, "Line": [line(1, tax=s20)]})
    assert code(na) == "6170"


def test_reference_and_required_field_faults(qbo):
    assert code(qbo.post("invoice", {"Line": [line(1)]})) == "2020"
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}})) == "2020"
    r = qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1, item="999")]})
    assert code(r) == "2500" and r.json()["Fault"]["Error"][0]["element"] == "Line.SalesItemLineDetail.ItemRef"
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "999"}, "Line": [line(1)]})) == "2500"
    inactive_item = qbo.rows("SELECT * FROM Item WHERE Active = false")[0]["Id"]
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1, item=inactive_item)]})) == "610"
    category = qbo.rows("SELECT * FROM Item WHERE Type = 'Category'")[0]["Id"]
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1, item=category)]})) == "6000"
    inactive_customer = qbo.rows("SELECT * FROM Customer WHERE Active = false")[0]["Id"]
    assert code(qbo.post("invoice", {"CustomerRef": {"value": inactive_customer}, "Line": [line(1)]})) == "6250"
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(100, qty=2, price=10)]})) == "6070"
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1, tax="GST")]})) == "6100"
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1)], "Colour": "x"})) == "2010"
    assert code(qbo.post("invoice", {"CustomerRef": {"value": "1"}, "Line": [line(1)], "SalesTermRef": {"value": "77"}})) == "2500"


def test_closed_books(qbo):
    qbo.control("POST", f"companies/{qbo.realm}/preferences",
                json={"AccountingInfoPrefs": {"BookCloseDate": "2026-01-31"}})
    r = qbo.post("invoice", {"CustomerRef": {"value": "1"}, "TxnDate": "2026-01-15", "Line": [line(10)]})
    assert r.status_code == 400 and code(r) == "6200"
    ok = qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "TxnDate": "2026-02-01", "Line": [line(10)]})
    back = qbo.post("invoice", {"Id": ok["Id"], "SyncToken": "0", "sparse": True, "TxnDate": "2026-01-01"})
    assert code(back) == "6200"


def test_class_tracking_per_line(qbo):
    classes = qbo.for_realm(DEFAULT_REALMS["classes"])
    east = classes.rows("SELECT * FROM Class WHERE Name = 'East'")[0]["Id"]
    inv = classes.create("Invoice", {"CustomerRef": {"value": "1"},
                                     "Line": [line(10, ClassRef={"value": east})]})
    assert inv["Line"][0]["SalesItemLineDetail"]["ClassRef"] == {"value": east, "name": "East"}
    assert code(classes.post("invoice", {"CustomerRef": {"value": "1"},
                                         "Line": [line(10, ClassRef={"value": "999"})]})) == "2500"
    plain = qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(10, ClassRef={"value": east})]})
    assert "ClassRef" not in plain["Line"][0]["SalesItemLineDetail"]


def test_sparse_and_full_update_of_invoice(qbo):
    inv = qbo.create("Invoice", us_invoice())
    sparse = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "0", "sparse": True, "PrivateNote": "hi"})
    assert sparse["SyncToken"] == "1" and sparse["TotalAmt"] == 1770 and sparse["DocNumber"] == inv["DocNumber"]
    lines = [l for l in sparse["Line"] if l["DetailType"] == "SalesItemLineDetail"][:1]
    lines[0]["Amount"], lines[0]["SalesItemLineDetail"]["Qty"] = 300, 2
    changed = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "1", "sparse": True, "Line": lines})
    assert changed["Line"][0]["Id"] == "1" and changed["TotalAmt"] == 324
    full = qbo.create("Invoice", {"Id": inv["Id"], "SyncToken": "2", "CustomerRef": {"value": "2"},
                                  "Line": [line(50, tax="NON")]})
    assert full["CustomerRef"]["name"] == "Globex Corporation" and "PrivateNote" not in full
    assert code(qbo.post("invoice", {"Id": inv["Id"], "SyncToken": "2", "sparse": True})) == "5010"


def test_send_pdf_delete_void(qbo):
    inv = qbo.create("Invoice", us_invoice())
    sent = qbo.post(f"invoice/{inv['Id']}/send", sendTo="new@acme.example").json()["Invoice"]
    assert sent["EmailStatus"] == "EmailSent" and sent["BillEmail"]["Address"] == "new@acme.example"
    assert sent["DeliveryInfo"]["DeliveryType"] == "Email" and sent["SyncToken"] == "1"
    nomail = qbo.create("Invoice", {"CustomerRef": {"value": "1"}, "Line": [line(5)]})
    assert code(qbo.post(f"invoice/{nomail['Id']}/send")) == "6420"
    pdf = qbo.http.get(qbo.url(f"invoice/{inv['Id']}/pdf"), headers=qbo.headers({"Accept": "application/pdf"}))
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
    voided = qbo.post("invoice", {"Id": inv["Id"], "SyncToken": "1"}, operation="void").json()["Invoice"]
    assert voided["TotalAmt"] == 0 and voided["Balance"] == 0 and voided["PrivateNote"].startswith("Voided")
    deleted = qbo.post("invoice", {"Id": nomail["Id"], "SyncToken": "0"}, operation="delete").json()
    assert deleted["Invoice"] == {"status": "Deleted", "domain": "QBO", "Id": nomail["Id"]}
    assert code(qbo.get(f"invoice/{nomail['Id']}")) == "610"


def test_credit_memo(qbo):
    cm = qbo.create("CreditMemo", {"CustomerRef": {"value": "1"}, "Line": [line(200, tax="NON")]})
    assert cm["TotalAmt"] == 200 and cm["RemainingCredit"] == 200 and cm["Balance"] == 200
    assert qbo.get(f"creditmemo/{cm['Id']}").json()["CreditMemo"]["Id"] == cm["Id"]


def test_requestid_replays_first_response(qbo):
    body = {"CustomerRef": {"value": "1"}, "Line": [line(42)]}
    first = qbo.post("invoice", body, requestid="rid-0001")
    second = qbo.post("invoice", dict(body, PrivateNote="different"), requestid="rid-0001")
    assert first.json() == second.json()
    assert len(qbo.rows("SELECT * FROM Invoice")) == 1
    failed = qbo.post("customer", {"DisplayName": "Acme Ltd"}, requestid="rid-0002")
    assert code(failed) == "6240"
    assert qbo.post("customer", {"DisplayName": "Acme Ltd"}, requestid="rid-0002").json() == failed.json()
    assert code(qbo.post("invoice", body, requestid="x" * 51)) == "2130"
