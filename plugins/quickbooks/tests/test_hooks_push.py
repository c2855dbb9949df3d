"""on_invoice_sent / on_invoice_voided / on_credit_note against the sandbox over real HTTP.

Each test reads the invoice back from the sandbox's store and checks what an accountant would
check in QuickBooks: the customer, the lines (item, quantity, price, amount), tax, class, due
date, the number, and that it exists exactly once.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest

from hookspecs import (
    ClientData,
    CreditNoteData,
    ExternalRef,
    LineData,
    MappingError,
    NotFoundError,
    ProviderDown,
    ValidationError,
)
from psa_quickbooks.sandbox import CLASSES_REALM, CUSTOM_NUMBERS_REALM, UK_REALM, US_REALM
from qbo_testkit import BOOKKEEPER_CLIENT_ID, CONSULTING, SALES_TAX, VAT, make_invoice


def sales_lines(invoice: dict) -> list[dict]:
    return [ln for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]


def invoices(qbo, realm) -> list[dict]:
    return qbo.entities(realm, "Invoice")


def code_id(qbo, realm, name) -> str:
    return next(c["Id"] for c in qbo.entities(realm, "TaxCode") if c["Name"] == name)


# -- US ----------------------------------------------------------------------------------------


def test_hook_on_invoice_sent_us_books_customer_lines_tax_and_due_date(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=SALES_TAX),
                  idempotency_key="us-1")

    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert inv["CustomerRef"] == {"value": "1", "name": "Acme Ltd"}  # matched by billing email
    lines = sales_lines(inv)
    assert [(ln["SalesItemLineDetail"]["ItemRef"]["name"], ln["SalesItemLineDetail"]["Qty"],
             ln["SalesItemLineDetail"]["UnitPrice"], ln["Amount"],
             ln["SalesItemLineDetail"]["TaxCodeRef"]["value"]) for ln in lines] == [
        ("Consulting", 10, 150, 1500, "TAX"), ("Travel", 1, 80, 80, "NON")]
    assert lines[0]["SalesItemLineDetail"]["ServiceDate"] == "2026-10-31"
    assert inv["TxnTaxDetail"]["TotalTax"] == 120  # 8 % of the taxable 1,500
    assert inv["TotalAmt"] == 1700
    assert (inv["TxnDate"], inv["DueDate"]) == ("2026-11-02", "2026-12-02")
    assert inv["BillEmail"] == {"Address": "ap@acme.example"}
    assert inv["CustomerMemo"] == {"value": "Thank you for your business."}
    assert inv["PrivateNote"].startswith("PSA invoice INV-0001")
    # QuickBooks numbers it (Custom transaction numbers off); the host shows that number
    assert result.number == inv["DocNumber"] == "1001"
    assert result.version == inv["SyncToken"]
    assert result.deep_link == (f"{qbo.url}/app/invoice?txnId={result.external_id}"
                                f"&realmId={US_REALM}")
    page = httpx.get(result.deep_link, follow_redirects=True)
    assert page.status_code == 200 and "1001" in page.text
    assert result.note is None and result.emailed is False
    assert len(invoices(qbo, US_REALM)) == 1


def test_hook_on_invoice_sent_retry_with_same_key_makes_one_invoice(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    invoice = make_invoice()
    first = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="same-key")
    again = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="same-key")
    assert first.external_id == again.external_id
    assert len(invoices(qbo, US_REALM)) == 1


def test_hook_on_invoice_sent_lost_response_then_retry_makes_one_invoice(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    invoice = make_invoice()
    qbo.fault(kind="drop_after_commit", method="POST", path="/invoice$", count=1)
    with pytest.raises(ProviderDown) as err:
        hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="lost-1")
    assert err.value.retryable and err.value.fix
    assert len(invoices(qbo, US_REALM)) == 1  # the write landed; its answer was lost
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="lost-1")
    assert [i["Id"] for i in invoices(qbo, US_REALM)] == [result.external_id]


def test_hook_on_invoice_sent_lost_response_then_edited_retry_updates_it(qbo, qbo_connection,
                                                                         hook):
    """The write landed, its answer was lost, then the invoice changed before the retry: the
    earlier request id is replayed, so the invoice is updated, not made twice."""
    conn = qbo_connection("us")
    qbo.fault(kind="drop_after_commit", method="POST", path="/invoice$", count=1)
    with pytest.raises(ProviderDown):
        hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="lost-2")
    edited = make_invoice(memo="Edited before the retry")
    result = hook(conn, "on_invoice_sent", invoice=edited, idempotency_key="lost-2")
    stored = invoices(qbo, US_REALM)
    assert [i["Id"] for i in stored] == [result.external_id]
    assert stored[0]["CustomerMemo"] == {"value": "Edited before the retry"}


def test_hook_on_invoice_sent_refusal_fixed_in_quickbooks_then_retry_succeeds(qbo, qbo_connection,
                                                                               hook):
    """A refused write is not replayed as refused after the cause is fixed in QuickBooks."""
    conn = qbo_connection("us")
    qbo.preferences(US_REALM, {"AccountingInfoPrefs": {"BookCloseDate": "2026-11-30"}})
    with pytest.raises(ValidationError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="closed-1")
    assert err.value.code == "6200"
    assert "closed" in err.value.message and "reopen" in err.value.fix
    qbo.preferences(US_REALM, {"AccountingInfoPrefs": {"BookCloseDate": "2026-01-31"}})
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="closed-1")
    assert [i["Id"] for i in invoices(qbo, US_REALM)] == [result.external_id]


def test_hook_on_invoice_sent_edit_updates_the_same_invoice(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    first = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="edit-1")
    lines = (LineData(id=1, description="Consulting, October (corrected)", quantity=Decimal("12"),
                      unit_price=Decimal("150"), amount=Decimal("1800.00"),
                      service_type=CONSULTING),)
    edited = make_invoice(lines=lines, external=ExternalRef(first.external_id, first.number,
                                                            first.version, first.deep_link))
    second = hook(conn, "on_invoice_sent", invoice=edited, idempotency_key="edit-2")

    assert second.external_id == first.external_id and second.number == first.number
    assert int(second.version) > int(first.version)
    stored = invoices(qbo, US_REALM)
    assert len(stored) == 1
    assert [(ln["Description"], ln["Amount"]) for ln in sales_lines(stored[0])] == [
        ("Consulting, October (corrected)", 1800)]
    assert stored[0]["TotalAmt"] == 1800


def test_hook_on_invoice_sent_edit_over_a_copy_edited_in_quickbooks_says_so(qbo, qbo_connection,
                                                                           hook):
    conn = qbo_connection("us")
    first = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="ed-1")
    current = qbo.entity(US_REALM, "Invoice", first.external_id)
    lines = sales_lines(current)
    lines[0]["Amount"] = 900
    lines[0]["SalesItemLineDetail"].update(Qty=6, UnitPrice=150)
    QboRaw(qbo, US_REALM).post("invoice", {"Id": first.external_id, "SyncToken":
                                           current["SyncToken"], "sparse": True, "Line": lines})
    ref = ExternalRef(first.external_id, first.number, first.version)
    second = hook(conn, "on_invoice_sent", invoice=make_invoice(external=ref, memo="v2"),
                  idempotency_key="ed-2")
    assert "had been edited in QuickBooks" in second.note
    assert qbo.entity(US_REALM, "Invoice", first.external_id)["TotalAmt"] == 1580  # PSA's again
    third = hook(conn, "on_invoice_sent", invoice=make_invoice(external=ref, memo="v3"),
                 idempotency_key="ed-3")
    assert "edited in QuickBooks" not in (third.note or "")


def test_hook_on_invoice_sent_edit_of_invoice_deleted_in_quickbooks_is_not_recreated(
        qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    first = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="del-1")
    api = QboRaw(qbo, US_REALM)
    api.post("invoice", {"Id": first.external_id, "SyncToken": first.version},
             operation="delete")
    edited = make_invoice(external=ExternalRef(first.external_id, first.number, first.version))
    with pytest.raises(NotFoundError) as err:
        hook(conn, "on_invoice_sent", invoice=edited, idempotency_key="del-2")
    assert "deleted in QuickBooks" in err.value.message and err.value.fix
    assert invoices(qbo, US_REALM) == []  # still gone: not re-created behind the admin's back


def test_hook_on_invoice_sent_creates_a_new_customer_with_the_billing_contact(qbo, qbo_connection,
                                                                              hook):
    conn = qbo_connection("us")
    client = ClientData(id=7, name="Soylent Corp", billing_contact_name="Sol Roth",
                        billing_email="ap@soylent.example")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(client=client),
                  idempotency_key="new-cust")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    customer = qbo.entity(US_REALM, "Customer", inv["CustomerRef"]["value"])
    assert customer["DisplayName"] == "Soylent Corp"
    assert (customer["GivenName"], customer["FamilyName"]) == ("Sol", "Roth")
    assert customer["PrimaryEmailAddr"] == {"Address": "ap@soylent.example"}
    # the second invoice for the client reuses the customer (remembered, not matched again)
    hook(conn, "on_invoice_sent", invoice=make_invoice(id=2, number="INV-0002", client=client),
         idempotency_key="new-cust-2")
    assert [c["DisplayName"] for c in qbo.entities(US_REALM, "Customer")].count("Soylent Corp") == 1


def test_hook_on_invoice_sent_name_taken_by_a_vendor_gets_a_numbered_customer_and_a_note(
        qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    client = ClientData(id=8, name="Northwind Supplies", billing_email="ar@northwind.example")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(client=client),
                  idempotency_key="vendor-name")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert inv["CustomerRef"]["name"] == "Northwind Supplies (2)"
    assert "Northwind Supplies (2)" in result.note and "already used" in result.note


def test_hook_on_invoice_sent_ambiguous_customer_stops_with_a_mapping_error(qbo, qbo_connection,
                                                                            hook):
    conn = qbo_connection("us")
    raw = QboRaw(qbo, US_REALM)
    raw.post("customer", {"DisplayName": "Acme Ltd East",
                          "PrimaryEmailAddr": {"Address": "ap@acme.example"}})
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="ambiguous")
    assert "Acme Ltd" in err.value.message and "reconciliation page" in err.value.fix
    assert invoices(qbo, US_REALM) == []


def test_hook_on_invoice_sent_service_type_mapping_and_sku_and_default(qbo, qbo_connection, hook,
                                                                       db):
    from host.models.external_ref import ConnectionMapping

    conn = qbo_connection("us", settings={"default_item": "4"})  # Hardware
    db.session.add(ConnectionMapping(connection_id=conn.id, kind="item", host_id="1",
                                     external_id="3"))  # Consulting -> Travel (admin's choice)
    db.session.commit()
    from hookspecs import ServiceTypeData

    lines = (
        LineData(id=1, description="mapped", quantity=Decimal("1"), unit_price=Decimal("10"),
                 amount=Decimal("10"), service_type=CONSULTING),
        LineData(id=2, description="by name", quantity=Decimal("1"), unit_price=Decimal("10"),
                 amount=Decimal("10"), service_type=ServiceTypeData(5, "Travel")),
        LineData(id=3, description="default", quantity=Decimal("1"), unit_price=Decimal("10"),
                 amount=Decimal("10"), service_type=ServiceTypeData(6, "Gardening")),
        LineData(id=4, description="no service type", quantity=Decimal("1"),
                 unit_price=Decimal("10"), amount=Decimal("10")),
    )
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(lines=lines),
                  idempotency_key="items")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert [ln["SalesItemLineDetail"]["ItemRef"]["name"] for ln in sales_lines(inv)] == [
        "Travel", "Travel", "Hardware", "Hardware"]


def test_hook_on_invoice_sent_inactive_default_item_is_a_mapping_error(qbo, qbo_connection, hook):
    conn = qbo_connection("us", settings={"default_item": "5"})  # Legacy Support (inactive)
    from hookspecs import ServiceTypeData

    lines = (LineData(id=1, description="x", quantity=Decimal("1"), unit_price=Decimal("10"),
                      amount=Decimal("10"), service_type=ServiceTypeData(9, "Gardening")),)
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(lines=lines), idempotency_key="inact")
    assert "Legacy Support" in err.value.message and "inactive" in err.value.message
    assert "Reactivate" in err.value.fix


def test_hook_on_invoice_sent_auto_send_emails_through_quickbooks(qbo, qbo_connection, hook):
    conn = qbo_connection("us", settings={"auto_send": True})
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="send-1")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert result.emailed is True and inv["EmailStatus"] == "EmailSent"
    assert inv["BillEmail"]["Address"] == "ap@acme.example"
    assert not result.note  # reported as Xero reports it: through ``emailed``, shown by the host


def test_hook_on_invoice_sent_auto_send_without_billing_email_says_why(qbo, qbo_connection, hook):
    conn = qbo_connection("us", settings={"auto_send": True})
    client = ClientData(id=1, name="Acme Ltd")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(client=client),
                  idempotency_key="send-2")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert result.emailed is False and inv["EmailStatus"] != "EmailSent"
    assert "not emailed" in result.note and "billing email" in result.note


# -- UK (non-US) -------------------------------------------------------------------------------


def test_hook_on_invoice_sent_uk_puts_a_tax_code_on_every_line(qbo, qbo_connection, hook):
    zero = code_id(qbo, UK_REALM, "0.0% Z")
    conn = qbo_connection("uk", settings={"untaxed_tax_code": zero})
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=VAT, currency="GBP"),
                  idempotency_key="uk-1")
    inv = qbo.entity(UK_REALM, "Invoice", result.external_id)
    codes = [ln["SalesItemLineDetail"]["TaxCodeRef"]["value"] for ln in sales_lines(inv)]
    assert codes == [code_id(qbo, UK_REALM, "20.0% S"), zero]  # by rate; the setting
    assert inv["GlobalTaxCalculation"] == "TaxExcluded"
    assert inv["TxnTaxDetail"]["TotalTax"] == 300  # 20 % of 1,500
    assert inv["TotalAmt"] == 1880
    assert inv["CustomerRef"]["name"] == "Acme Ltd"


def test_hook_on_invoice_sent_uk_unmapped_untaxed_line_is_a_mapping_error(qbo, qbo_connection,
                                                                          hook):
    conn = qbo_connection("uk")
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=VAT, currency="GBP"),
             idempotency_key="uk-2")
    assert "tax code" in err.value.message and "Map the tax rate" in err.value.fix
    assert invoices(qbo, UK_REALM) == []


def test_hook_on_invoice_sent_uk_admin_tax_mapping_wins(qbo, qbo_connection, hook, db):
    from host.models.external_ref import ConnectionMapping

    reduced = code_id(qbo, UK_REALM, "5.0% R")
    conn = qbo_connection("uk", settings={"untaxed_tax_code": code_id(qbo, UK_REALM, "Exempt")})
    db.session.add(ConnectionMapping(connection_id=conn.id, kind="tax_code", host_id=str(VAT.id),
                                     external_id=reduced))
    db.session.commit()
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(tax_rate=VAT, currency="GBP"),
                  idempotency_key="uk-3")
    inv = qbo.entity(UK_REALM, "Invoice", result.external_id)
    assert sales_lines(inv)[0]["SalesItemLineDetail"]["TaxCodeRef"]["value"] == reduced
    assert inv["TxnTaxDetail"]["TotalTax"] == 75  # 5 % of 1,500


# -- custom numbers, classes ---------------------------------------------------------------------


def test_hook_on_invoice_sent_custom_numbers_uses_the_host_number(qbo, qbo_connection, hook):
    conn = qbo_connection("custom_numbers")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(number="PSA-2026-0042"),
                  idempotency_key="cn-1")
    inv = qbo.entity(CUSTOM_NUMBERS_REALM, "Invoice", result.external_id)
    assert inv["DocNumber"] == result.number == "PSA-2026-0042"


def test_hook_on_invoice_sent_classes_realm_books_line_classes(qbo, qbo_connection, hook):
    conn = qbo_connection("classes")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="cls-1")
    inv = qbo.entity(CLASSES_REALM, "Invoice", result.external_id)
    assert [ln["SalesItemLineDetail"]["ClassRef"]["name"] for ln in sales_lines(inv)] == [
        "East", "West"]


def test_hook_on_invoice_sent_unknown_class_is_a_mapping_error(qbo, qbo_connection, hook):
    conn = qbo_connection("classes")
    lines = (LineData(id=1, description="x", quantity=Decimal("1"), unit_price=Decimal("10"),
                      amount=Decimal("10"), service_type=CONSULTING, class_label="North"),)
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(lines=lines), idempotency_key="cls-2")
    assert "'North'" in err.value.message and "Classes" in err.value.fix


# -- void, credit memo -------------------------------------------------------------------------


def test_hook_on_invoice_voided_voids_it_in_quickbooks(qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    pushed = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="v-1")
    invoice = make_invoice(external=ExternalRef(pushed.external_id, pushed.number, pushed.version))
    result = hook(conn, "on_invoice_voided", invoice=replace(invoice, status="void"),
                  idempotency_key="v-2")
    inv = qbo.entity(US_REALM, "Invoice", pushed.external_id)
    assert result.external_id == pushed.external_id
    assert inv["PrivateNote"].startswith("Voided") and inv["TotalAmt"] == 0
    again = hook(conn, "on_invoice_voided", invoice=invoice, idempotency_key="v-3")
    assert again.note == "Already voided in QuickBooks."


def test_hook_on_invoice_voided_of_invoice_deleted_in_quickbooks_is_done(qbo, qbo_connection,
                                                                         hook):
    """Deleted in QuickBooks, then voided in the PSA (what the deletion's fix says to do): the
    void succeeds with a note instead of failing on the missing invoice; nothing is created."""
    conn = qbo_connection("us")
    pushed = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="vd-1")
    QboRaw(qbo, US_REALM).post("invoice", {"Id": pushed.external_id, "SyncToken": pushed.version},
                               operation="delete")
    invoice = make_invoice(external=ExternalRef(pushed.external_id, pushed.number, pushed.version))
    with pytest.raises(NotFoundError) as err:
        hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="vd-2")
    assert "void this invoice in the PSA" in err.value.fix
    result = hook(conn, "on_invoice_voided", invoice=replace(invoice, status="void"),
                  idempotency_key="vd-3")
    assert result.external_id == pushed.external_id and result.number == pushed.number
    assert "deleted in QuickBooks" in result.note
    assert invoices(qbo, US_REALM) == []


def test_hook_on_credit_note_creates_a_credit_memo_applied_to_the_invoice(qbo, qbo_connection,
                                                                          hook):
    conn = qbo_connection("us", settings={"auto_send": True})
    pushed = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="cm-0")
    line = LineData(id=21, description="Goodwill credit", quantity=Decimal("1"),
                    unit_price=Decimal("100"), amount=Decimal("100.00"), service_type=CONSULTING)
    credit = CreditNoteData(
        id=3, number="CN-0003", currency="USD", issue_date=date(2026, 11, 10),
        client=ClientData(id=1, name="Acme Ltd", billing_email="ap@acme.example"), lines=(line,),
        subtotal=Decimal("100"), tax_total=Decimal("0"), total=Decimal("100"), invoice_id=1,
        invoice_number="INV-0001",
        invoice_external=ExternalRef(pushed.external_id, pushed.number, pushed.version),
        reason="Goodwill")
    result = hook(conn, "on_credit_note", credit_note=credit, idempotency_key="cm-1")
    memo = qbo.entity(US_REALM, "CreditMemo", result.external_id)
    assert memo["CustomerRef"]["value"] == "1" and memo["TotalAmt"] == 100
    assert memo["EmailStatus"] != "EmailSent" and result.emailed is False  # never emailed
    assert qbo.entity(US_REALM, "Invoice", pushed.external_id)["Balance"] == 1480
    assert "Applied" in result.note
    again = hook(conn, "on_credit_note", credit_note=credit, idempotency_key="cm-1")
    assert again.external_id == result.external_id
    assert len(qbo.entities(US_REALM, "CreditMemo")) == 1
    assert len(qbo.entities(US_REALM, "Payment")) == 1


class QboRaw:
    """Direct API calls as another QuickBooks user would make them (setting up a scenario)."""

    def __init__(self, qbo, realm) -> None:
        self.qbo, self.realm = qbo, realm
        self.token = qbo.tokens(realm, BOOKKEEPER_CLIENT_ID)["access_token"]

    def post(self, resource: str, body: dict, **params) -> dict:
        r = self.qbo.http.post(f"/v3/company/{self.realm}/{resource}",
                               params={"minorversion": 75, **params}, json=body,
                               headers={"Authorization": f"Bearer {self.token}",
                                        "Accept": "application/json"})
        assert r.status_code == 200, r.text
        return r.json()


def test_hook_on_invoice_sent_gl_account_mapping_books_to_that_income_account(qbo, qbo_connection,
                                                                              hook, db):
    from hookspecs import GLAccountData
    from host.models.external_ref import ConnectionMapping

    conn = qbo_connection("us")
    product = GLAccountData(id=40, code="4100", name="Product sales")
    services = GLAccountData(id=41, code="4000", name="Services")
    db.session.add_all([
        ConnectionMapping(connection_id=conn.id, kind="account", host_id="40", external_id="3"),
        ConnectionMapping(connection_id=conn.id, kind="account", host_id="41", external_id="2")])
    db.session.commit()
    lines = (
        LineData(id=1, description="licence resale", quantity=Decimal("1"),
                 unit_price=Decimal("100"), amount=Decimal("100"), service_type=CONSULTING,
                 gl_account=product),
        LineData(id=2, description="advice", quantity=Decimal("1"), unit_price=Decimal("100"),
                 amount=Decimal("100"), service_type=CONSULTING, gl_account=services),
    )
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(lines=lines),
                  idempotency_key="gl-1")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    item_ids = [ln["SalesItemLineDetail"]["ItemRef"]["value"] for ln in sales_lines(inv)]
    variant = qbo.entity(US_REALM, "Item", item_ids[0])
    assert variant["Name"] == "Consulting (Sales of Product Income)"
    assert variant["IncomeAccountRef"]["value"] == "3" and variant["Type"] == "Service"
    assert item_ids[1] == "2"  # Consulting already books to Services
    assert "Consulting (Sales of Product Income)" in result.note
    assert result.differences == ()  # each line booked to the income account its GL maps to
    again = hook(conn, "on_invoice_sent", invoice=make_invoice(id=2, number="INV-2", lines=lines),
                 idempotency_key="gl-2")
    assert again.note is None  # the variant is found, not created twice
    assert [i["Name"] for i in qbo.entities(US_REALM, "Item")].count(variant["Name"]) == 1


def test_hook_on_invoice_sent_uses_the_customer_chosen_on_the_reconciliation_page(
        qbo, qbo_connection, hook, db):
    from host.models.external_ref import ConnectionMapping

    conn = qbo_connection("us")
    QboRaw(qbo, US_REALM).post("customer", {"DisplayName": "Acme Ltd East",
                                            "PrimaryEmailAddr": {"Address": "ap@acme.example"}})
    [preview] = hook(conn, "preview_matches", kind="client",
                     records=[make_invoice().client])
    assert preview.outcome == "ambiguous" and {c.label for c in preview.candidates} == {
        "Acme Ltd", "Acme Ltd East"}
    chosen = next(c.external_id for c in preview.candidates if c.label == "Acme Ltd East")
    db.session.add(ConnectionMapping(connection_id=conn.id, kind="client", host_id="1",
                                     external_id=chosen))
    db.session.commit()
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="picked")
    assert qbo.entity(US_REALM, "Invoice", result.external_id)["CustomerRef"] == {
        "value": chosen, "name": "Acme Ltd East"}
    [again] = hook(conn, "preview_matches", kind="client", records=[make_invoice().client])
    assert (again.outcome, again.external_id) == ("match", chosen)
