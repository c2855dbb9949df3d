"""on_credit_note against the Xero sandbox: an ACCRECCREDIT allocated to its invoice, once."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from xero_testkit import invoice_data, line

from hookspecs import CreditNoteData, ExternalRef, MappingError, ValidationError
from psa_xero.sandbox import UK_TENANT_ID

D = Decimal


def credit_for(invoice, pushed, amount="300.00", number=None, cid=None):
    lines = (line("Goodwill credit", "1", amount),)
    total = D(amount)
    return CreditNoteData(id=cid or invoice.id + 100000, number=number or f"CN-{invoice.id}",
                          currency=invoice.currency, issue_date=invoice.issue_date,
                          client=invoice.client, lines=lines, subtotal=total,
                          tax_total=D("0"), total=total, invoice_id=invoice.id,
                          invoice_number=invoice.number,
                          invoice_external=ExternalRef(pushed.external_id, pushed.number),
                          reason="Late delivery")


def by_id(sandbox_api, kind, ident, tenant=UK_TENANT_ID):
    return sandbox_api(tenant, kind, ident)


def test_hook_on_credit_note_allocates_it_to_the_invoice(connected_connection, hook,
                                                         sandbox_api):
    invoice = invoice_data()
    pushed = hook(connected_connection, "on_invoice_sent", invoice=invoice,
                  idempotency_key="cn-inv")
    note = credit_for(invoice, pushed)

    result = hook(connected_connection, "on_credit_note", credit_note=note,
                  idempotency_key="cn-1")

    doc = by_id(sandbox_api, "credit_notes", result.external_id)
    assert doc["Type"] == "ACCRECCREDIT" and doc["CreditNoteNumber"] == note.number
    assert doc["Reference"] == f"Credit for {invoice.number}: Late delivery"
    assert D(str(doc["Total"])) == D("300.00") and D(str(doc["RemainingCredit"])) == D("0")
    assert result.number == note.number and result.emailed is False
    assert "creditNoteID=" in result.deep_link
    inv = by_id(sandbox_api, "invoices", pushed.external_id)
    assert D(str(inv["AmountCredited"])) == D("300.00")
    assert D(str(inv["AmountDue"])) == D("1200.00")
    assert sandbox_api(UK_TENANT_ID, "emails") == [] or all(
        e.get("InvoiceID") != result.external_id for e in sandbox_api(UK_TENANT_ID, "emails"))


def test_hook_on_credit_note_retry_makes_one_note_and_one_allocation(connected_connection,
                                                                     hook, sandbox_api, faults):
    from hookspecs import ProviderDown

    invoice = invoice_data()
    pushed = hook(connected_connection, "on_invoice_sent", invoice=invoice,
                  idempotency_key="cn-inv-2")
    note = credit_for(invoice, pushed, amount="100.00")
    faults("drop_after_commit", path="/Allocations$", method="PUT")
    with pytest.raises(ProviderDown):
        hook(connected_connection, "on_credit_note", credit_note=note, idempotency_key="cn-2")
    result = hook(connected_connection, "on_credit_note", credit_note=note,
                  idempotency_key="cn-2")
    again = hook(connected_connection, "on_credit_note", credit_note=note,
                 idempotency_key="cn-2")
    assert result.external_id == again.external_id
    notes = [n for n in sandbox_api(UK_TENANT_ID, "credit_notes").values()
             if n["CreditNoteNumber"] == note.number]
    assert len(notes) == 1
    inv = by_id(sandbox_api, "invoices", pushed.external_id)
    assert D(str(inv["AmountCredited"])) == D("100.00")


def test_hook_on_credit_note_larger_than_due_allocates_what_is_due(connected_connection, hook,
                                                                   sandbox_api, handle):
    from psa_xero.api import XeroClient

    invoice = invoice_data()
    pushed = hook(connected_connection, "on_invoice_sent", invoice=invoice,
                  idempotency_key="cn-inv-3")
    XeroClient(handle(connected_connection)).write("PUT", "Payments", "Payments", {"Payments": [{
        "Invoice": {"InvoiceID": pushed.external_id}, "Account": {"Code": "090"},
        "Date": "2026-11-25", "Amount": D("1400.00")}]}, key=None, action="paying")
    note = credit_for(invoice, pushed, amount="300.00")
    result = hook(connected_connection, "on_credit_note", credit_note=note,
                  idempotency_key="cn-3")
    assert "Allocated 100.00" in result.note and "stays as credit" in result.note
    inv = by_id(sandbox_api, "invoices", pushed.external_id)
    assert inv["Status"] == "PAID"


def test_hook_on_credit_note_for_a_voided_invoice_says_why(connected_connection, hook):
    invoice = invoice_data()
    pushed = hook(connected_connection, "on_invoice_sent", invoice=invoice,
                  idempotency_key="cn-inv-4")
    hook(connected_connection, "on_invoice_voided",
         invoice=replace(invoice, external=ExternalRef(pushed.external_id)),
         idempotency_key="cn-void")
    with pytest.raises(ValidationError) as err:
        hook(connected_connection, "on_credit_note", credit_note=credit_for(invoice, pushed),
             idempotency_key="cn-4")
    assert "voided in Xero" in err.value.message


def test_hook_on_credit_note_with_a_discount_is_a_mapping_error(connected_connection, hook,
                                                                sandbox_api):
    invoice = invoice_data()
    pushed = hook(connected_connection, "on_invoice_sent", invoice=invoice,
                  idempotency_key="cn-inv-5")
    note = replace(credit_for(invoice, pushed), lines=(line("Credit", "1", "100.00",
                                                            discount="10"),))
    with pytest.raises(MappingError) as err:
        hook(connected_connection, "on_credit_note", credit_note=note, idempotency_key="cn-5")
    assert "do not support discounts" in err.value.message
    assert not [n for n in sandbox_api(UK_TENANT_ID, "credit_notes").values()
                if n["CreditNoteNumber"] == note.number]
