"""3. Credit notes (ACCRECCREDIT) with allocations; payments full and partial; deleting one."""

from __future__ import annotations

from psa_xero.sandbox import UK_TENANT_ID
from psa_xero.sandbox.seed import sid

ACME = sid(UK_TENANT_ID, "contact:acme")


def _credit_note(xero, amount=195.65, status="AUTHORISED", **extra):
    body = {"Type": "ACCRECCREDIT", "Contact": {"ContactID": ACME}, "Date": "2026-03-20",
            "Status": status, "LineAmountTypes": "Exclusive", "Reference": "Credit",
            "LineItems": [{"Description": "Goodwill", "Quantity": 1, "UnitAmount": amount,
                           "AccountCode": "210", "TaxType": "OUTPUT2"}]}
    body.update(extra)
    resp = xero.put("CreditNotes", {"CreditNotes": [body]})
    assert resp.status_code == 200, resp.text
    return resp.json()["CreditNotes"][0]


def _pay(xero, invoice_id, amount, **extra):
    payment = {"Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"},
               "Date": "2026-03-25", "Amount": amount, "Reference": "Bank transfer"}
    payment.update(extra)
    return xero.put("Payments", {"Payments": [payment]})


def test_credit_note_created_with_number_and_remaining_credit(xero):
    note = _credit_note(xero, 187.5)
    assert note["CreditNoteNumber"].startswith("CN-")
    assert (note["SubTotal"], note["TotalTax"], note["Total"]) == (187.5, 37.5, 225.0)
    assert note["RemainingCredit"] == 225.0 and note["Type"] == "ACCRECCREDIT"
    listed = xero.get("CreditNotes").json()["CreditNotes"]
    assert [n["CreditNoteID"] for n in listed] == [note["CreditNoteID"]]


def test_allocation_reduces_amount_due_and_pays_the_note(xero):
    inv = xero.invoice()  # total 1800.00
    note = _credit_note(xero, 187.5)
    resp = xero.put(f"CreditNotes/{note['CreditNoteID']}/Allocations", {"Allocations": [
        {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 225.0, "Date": "2026-03-20"}]})
    assert resp.status_code == 200, resp.text
    allocation = resp.json()["Allocations"][0]
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert got["AmountCredited"] == 225.0 and got["AmountDue"] == 1575.0
    assert got["CreditNotes"][0]["AppliedAmount"] == 225.0
    note = xero.get(f"CreditNotes/{note['CreditNoteID']}").json()["CreditNotes"][0]
    assert note["Status"] == "PAID" and note["RemainingCredit"] == 0.0
    assert note["Allocations"][0]["AllocationID"] == allocation["AllocationID"]
    removed = xero.call("DELETE", f"CreditNotes/{note['CreditNoteID']}/Allocations/"
                        f"{allocation['AllocationID']}")
    assert removed.status_code == 200 and removed.json()["IsDeleted"] is True
    assert xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]["AmountDue"] == 1800.0


def test_allocation_rules(xero):
    inv = xero.invoice()
    draft_note = _credit_note(xero, 10, status="DRAFT")
    resp = xero.put(f"CreditNotes/{draft_note['CreditNoteID']}/Allocations", {"Allocations": [
        {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 5, "Date": "2026-03-20"}]})
    assert resp.status_code == 400
    note = _credit_note(xero, 10)
    too_much = xero.put(f"CreditNotes/{note['CreditNoteID']}/Allocations", {"Allocations": [
        {"Invoice": {"InvoiceID": inv["InvoiceID"]}, "Amount": 50, "Date": "2026-03-20"}]})
    assert too_much.status_code == 400
    other = xero.invoice(Contact={"ContactID": sid(UK_TENANT_ID, "contact:bluebird")})
    wrong_contact = xero.put(f"CreditNotes/{note['CreditNoteID']}/Allocations", {"Allocations": [
        {"Invoice": {"InvoiceID": other["InvoiceID"]}, "Amount": 5, "Date": "2026-03-20"}]})
    assert wrong_contact.status_code == 400
    missing = xero.put("CreditNotes/00000000-0000-0000-0000-000000000000/Allocations",
                       {"Allocations": [{"Invoice": {"InvoiceID": inv["InvoiceID"]},
                                         "Amount": 5, "Date": "2026-03-20"}]})
    assert missing.status_code == 400
    assert missing.json()["Elements"][0]["ValidationErrors"][0]["Message"] == (
        "An existing Credit Note with the specified CreditNoteID could not be found")


def test_credit_notes_reject_discounts(xero):
    resp = xero.put("CreditNotes", {"CreditNotes": [{
        "Type": "ACCRECCREDIT", "Contact": {"ContactID": ACME}, "LineItems": [
            {"Description": "x", "Quantity": 1, "UnitAmount": 10, "DiscountRate": 5,
             "AccountCode": "210", "TaxType": "OUTPUT2"}]}]})
    assert resp.status_code == 400


def test_partial_then_full_payment(xero):
    inv = xero.invoice()  # 1800.00
    first = _pay(xero, inv["InvoiceID"], 1000)
    assert first.status_code == 200, first.text
    payment = first.json()["Payments"][0]
    assert payment["PaymentType"] == "ACCRECPAYMENT" and payment["Status"] == "AUTHORISED"
    assert payment["Invoice"]["InvoiceID"] == inv["InvoiceID"]
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert (got["Status"], got["AmountPaid"], got["AmountDue"]) == ("AUTHORISED", 1000.0, 800.0)
    assert got["Payments"][0]["PaymentID"] == payment["PaymentID"]
    assert _pay(xero, inv["InvoiceID"], 800).status_code == 200
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert (got["Status"], got["AmountDue"]) == ("PAID", 0.0)
    assert got["FullyPaidOnDate"].startswith("/Date(")
    listed = xero.get("Payments", params={"where": 'Status=="AUTHORISED"'}).json()["Payments"]
    assert len(listed) == 2


def test_payment_rules(xero):
    inv = xero.invoice()
    over = _pay(xero, inv["InvoiceID"], 5000)
    assert over.status_code == 400
    assert over.json()["Elements"][0]["ValidationErrors"][0]["Message"] == \
        "Payment amount exceeds the amount outstanding on this document"
    assert _pay(xero, inv["InvoiceID"], 10, Account={"Code": "210"}).status_code == 400
    draft = xero.invoice(Status="DRAFT")
    assert _pay(xero, draft["InvoiceID"], 10).status_code == 400
    unknown = _pay(xero, "00000000-0000-0000-0000-000000000000", 10)
    assert unknown.json()["Elements"][0]["ValidationErrors"][0]["Message"] == \
        "The document with the supplied id was not found for this endpoint."


def test_deleting_a_payment_reopens_the_invoice(xero):
    inv = xero.invoice()
    payment = _pay(xero, inv["InvoiceID"], 1800).json()["Payments"][0]
    assert xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]["Status"] == "PAID"
    resp = xero.post(f"Payments/{payment['PaymentID']}", {"Status": "DELETED"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["Payments"][0]["Status"] == "DELETED"
    got = xero.get(f"Invoices/{inv['InvoiceID']}").json()["Invoices"][0]
    assert (got["Status"], got["AmountPaid"], got["AmountDue"]) == ("AUTHORISED", 0.0, 1800.0)
    assert got["Payments"] == []
    assert xero.post(f"Payments/{payment['PaymentID']}", {"Status": "DELETED"}).status_code == 400


def test_paid_invoice_cannot_be_edited_or_voided(xero):
    inv = xero.invoice()
    _pay(xero, inv["InvoiceID"], 100)
    for change in ({"Status": "VOIDED"}, {"LineItems": []}):
        resp = xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [change]})
        assert resp.status_code == 400
        assert resp.json()["Elements"][0]["ValidationErrors"][0]["Message"] == (
            "This document cannot be edited as it has a payment or credit note allocated to it.")
    ok = xero.post(f"Invoices/{inv['InvoiceID']}", {"Invoices": [{"Reference": "still ok"}]})
    assert ok.status_code == 200
