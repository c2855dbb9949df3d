"""Tax on pushed documents against the sandbox over real HTTP: the invoice in QuickBooks equals
the invoice the customer got.

US companies compute sales tax themselves from the transaction's tax code (or the company
default); the PSA's rate can differ (New York 8.875 % in the PSA, QuickBooks' "Springfield"
code at 8 %). With sales tax on, the push sends the PSA's tax amount as
``TxnTaxDetail.TotalTax`` (QuickBooks' tax override), on create and on every update, for
invoices and credit memos. Non-US companies compute tax per line from the mapped tax codes; a
total that still differs is said on the sync record.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal

from hookspecs import ClientData, CreditNoteData, ExternalRef, LineData, TaxRateData
from psa_quickbooks.sandbox import UK_REALM, US_REALM
from qbo_testkit import CONSULTING, TRAVEL, VAT, make_invoice

NEW_YORK = TaxRateData(id=4, name="US Sales Tax (NY)", rate=Decimal("8.875"))
SPRINGFIELD = "2"  # the US company's 8 % code, also its default (TaxPrefs.TaxGroupCodeRef)


def sales_lines(doc: dict) -> list[dict]:
    return [ln for ln in doc["Line"] if ln["DetailType"] == "SalesItemLineDetail"]


def sent_bodies(qbo, resource: str) -> list[dict]:
    """The JSON bodies the plugin POSTed to ``/<resource>`` (creates and updates)."""
    return [json.loads(r["body"]) for r in qbo.requests(f"/{resource}", "POST")
            if r["path"].endswith(f"/{resource}")]


def map_tax_rate(db, conn, rate: TaxRateData, code: str) -> None:
    from host.models.external_ref import ConnectionMapping

    db.session.add(ConnectionMapping(connection_id=conn.id, kind="tax_code",
                                     host_id=str(rate.id), external_id=code))
    db.session.commit()


def pushed(result) -> ExternalRef:
    return ExternalRef(result.external_id, result.number, result.version, result.deep_link)


def test_hook_on_invoice_sent_us_books_the_psa_tax_when_quickbooks_rate_differs(
        qbo, qbo_connection, hook, db):
    conn = qbo_connection("us")
    map_tax_rate(db, conn, NEW_YORK, SPRINGFIELD)
    invoice = make_invoice(tax_rate=NEW_YORK)
    assert (invoice.tax_total, invoice.total) == (Decimal("133.12"), Decimal("1713.12"))

    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="ny-1")

    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert inv["TotalAmt"] == 1713.12 and inv["Balance"] == 1713.12  # what the customer owes
    assert inv["TxnTaxDetail"]["TotalTax"] == 133.12  # not QuickBooks' 8 % (120.00)
    assert inv["TxnTaxDetail"]["TxnTaxCodeRef"]["value"] == SPRINGFIELD  # the mapped code
    assert [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in sales_lines(inv)] == [
        "TAX", "NON"]
    [body] = sent_bodies(qbo, "invoice")
    assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": SPRINGFIELD}, "TotalTax": 133.12}
    assert result.note is None  # nothing differs


def test_hook_on_invoice_sent_us_edits_keep_or_update_the_psa_tax(qbo, qbo_connection, hook):
    """No mapping: QuickBooks' default code (8 %) is used, the PSA's amount still wins. An edit
    re-sent with the same tax keeps it; one that changes the lines updates it; one that
    removes the tax leaves none."""
    conn = qbo_connection("us")
    first = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=NEW_YORK),
                 idempotency_key="ny-edit-1")
    assert "TxnTaxCodeRef" not in sent_bodies(qbo, "invoice")[0]["TxnTaxDetail"]

    memo_only = make_invoice(tax_rate=NEW_YORK, memo="Now with a new memo",
                             external=pushed(first))
    second = hook(conn, "on_invoice_sent", invoice=memo_only, idempotency_key="ny-edit-2")
    inv = qbo.entity(US_REALM, "Invoice", first.external_id)
    assert int(second.version) > int(first.version)
    assert inv["CustomerMemo"] == {"value": "Now with a new memo"}
    assert (inv["TxnTaxDetail"]["TotalTax"], inv["TotalAmt"]) == (133.12, 1713.12)
    assert second.note is None

    more = (LineData(id=1, description="Consulting, October (corrected)", quantity=Decimal("12"),
                     unit_price=Decimal("150"), amount=Decimal("1800.00"),
                     service_type=CONSULTING, tax_rate=NEW_YORK),
            LineData(id=2, description="Travel", quantity=Decimal("1"), unit_price=Decimal("80"),
                     amount=Decimal("80.00"), service_type=TRAVEL))
    changed = make_invoice(lines=more, external=pushed(second))
    assert (changed.tax_total, changed.total) == (Decimal("159.75"), Decimal("2039.75"))
    third = hook(conn, "on_invoice_sent", invoice=changed, idempotency_key="ny-edit-3")
    inv = qbo.entity(US_REALM, "Invoice", first.external_id)
    assert (inv["TxnTaxDetail"]["TotalTax"], inv["TotalAmt"]) == (159.75, 2039.75)
    assert third.note is None

    untaxed = make_invoice(lines=tuple(replace(ln, tax_rate=None) for ln in more),
                           external=pushed(third))
    hook(conn, "on_invoice_sent", invoice=untaxed, idempotency_key="ny-edit-4")
    inv = qbo.entity(US_REALM, "Invoice", first.external_id)
    assert (inv["TxnTaxDetail"]["TotalTax"], inv["TotalAmt"]) == (0, 1880)
    assert len(qbo.entities(US_REALM, "Invoice")) == 1


def credit_note(invoice_external, lines, *, id=7, reason="Two hours not worked"):
    subtotal = sum((ln.amount for ln in lines), Decimal("0"))
    tax = sum(((ln.amount * ln.tax_rate.rate / 100).quantize(Decimal("0.01"))
               for ln in lines if ln.tax_rate), Decimal("0"))
    return CreditNoteData(
        id=id, number=f"CN-{id:04d}", currency="USD", issue_date=date(2026, 11, 10),
        client=ClientData(id=1, name="Acme Ltd", billing_email="ap@acme.example"), lines=lines,
        subtotal=subtotal, tax_total=tax, total=subtotal + tax, invoice_id=1,
        invoice_number="INV-0001", invoice_external=invoice_external, reason=reason)


def test_hook_on_credit_note_us_books_the_psa_tax_on_create_and_update(qbo, qbo_connection,
                                                                       hook):
    conn = qbo_connection("us")
    invoice = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=NEW_YORK),
                   idempotency_key="ny-cm-0")
    two_hours = (LineData(id=31, description="Two hours not worked", quantity=Decimal("2"),
                          unit_price=Decimal("150"), amount=Decimal("300.00"),
                          service_type=CONSULTING, tax_rate=NEW_YORK),)
    credit = credit_note(pushed(invoice), two_hours)
    assert (credit.tax_total, credit.total) == (Decimal("26.62"), Decimal("326.62"))

    result = hook(conn, "on_credit_note", credit_note=credit, idempotency_key="ny-cm-1")
    memo = qbo.entity(US_REALM, "CreditMemo", result.external_id)
    assert (memo["TxnTaxDetail"]["TotalTax"], memo["TotalAmt"]) == (26.62, 326.62)
    # applied in full: the invoice's balance is what the customer still owes in the PSA
    assert qbo.entity(US_REALM, "Invoice", invoice.external_id)["Balance"] == 1386.5
    assert result.note == "Applied to invoice INV-0001 in QuickBooks."

    same_tax = replace(credit, reason="Two hours not worked (agreed by phone)",
                       external=pushed(result))
    hook(conn, "on_credit_note", credit_note=same_tax, idempotency_key="ny-cm-2")
    memo = qbo.entity(US_REALM, "CreditMemo", result.external_id)
    assert memo["CustomerMemo"]["value"].endswith("(agreed by phone)")
    assert (memo["TxnTaxDetail"]["TotalTax"], memo["TotalAmt"]) == (26.62, 326.62)

    one_hour = (replace(two_hours[0], quantity=Decimal("1"), amount=Decimal("150.00")),)
    smaller = replace(credit_note(pushed(invoice), one_hour), external=pushed(result))
    hook(conn, "on_credit_note", credit_note=smaller, idempotency_key="ny-cm-3")
    memo = qbo.entity(US_REALM, "CreditMemo", result.external_id)
    assert (memo["TxnTaxDetail"]["TotalTax"], memo["TotalAmt"]) == (13.31, 163.31)
    bodies = sent_bodies(qbo, "creditmemo")
    assert [b["TxnTaxDetail"]["TotalTax"] for b in bodies] == [26.62, 26.62, 13.31]
    assert len(qbo.entities(US_REALM, "CreditMemo")) == 1


def test_hook_on_invoice_sent_us_sales_tax_off_sends_no_tax_and_says_so(qbo, qbo_connection,
                                                                        hook, db):
    conn = qbo_connection("us")
    map_tax_rate(db, conn, NEW_YORK, SPRINGFIELD)
    qbo.preferences(US_REALM, {"TaxPrefs": {"UsingSalesTax": False}})

    result = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=NEW_YORK),
                  idempotency_key="ny-off-1")

    [body] = sent_bodies(qbo, "invoice")
    assert "TxnTaxDetail" not in body
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert inv["TotalAmt"] == 1580 and "TxnTaxDetail" not in inv
    said = result.differences
    assert "QuickBooks booked a total of 1,580.00; the PSA invoice says 1,713.12." in said
    assert "QuickBooks booked tax of 0.00; the PSA invoice says 133.12." in said
    assert any("Sales tax is off" in d and "Taxes > Sales tax" in d for d in said)


def test_hook_on_invoice_sent_us_untaxed_invoice_sends_no_tax_detail(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="plain-1")
    [body] = sent_bodies(qbo, "invoice")
    assert "TxnTaxDetail" not in body
    assert qbo.entity(US_REALM, "Invoice", result.external_id)["TotalAmt"] == 1580
    assert result.note is None


def test_hook_on_invoice_sent_non_us_says_when_quickbooks_computes_another_total(
        qbo, qbo_connection, hook, db):
    """Non-US companies compute tax per line from the tax code; a code mapped at another rate
    than the PSA's (here 5 % for a 20 % rate) is booked as mapped, and the record says so."""
    reduced = next(c["Id"] for c in qbo.entities(UK_REALM, "TaxCode") if c["Name"] == "5.0% R")
    exempt = next(c["Id"] for c in qbo.entities(UK_REALM, "TaxCode") if c["Name"] == "Exempt")
    conn = qbo_connection("uk", settings={"untaxed_tax_code": exempt})
    map_tax_rate(db, conn, VAT, reduced)
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=VAT, currency="GBP"),
                  idempotency_key="uk-total-1")
    assert "TxnTaxDetail" not in sent_bodies(qbo, "invoice")[0]
    said = result.differences
    assert "QuickBooks booked a total of 1,655.00; the PSA invoice says 1,880.00." in said
    assert "QuickBooks booked tax of 75.00; the PSA invoice says 300.00." in said
    assert any("same rate" in d for d in said)
