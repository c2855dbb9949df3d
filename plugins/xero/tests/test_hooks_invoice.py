"""on_invoice_sent / on_invoice_voided against the Xero sandbox over real HTTP (UK and US orgs).

What is asserted is what an accountant would check in Xero: the invoice exists once, for the
right contact, with the right lines, account codes, tax types, tracking, amounts and due date,
and the PSA record links to it with Xero's number.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import httpx
import pytest
from xero_testkit import client_data, invoice_data, line

from hookspecs import (
    ConflictError,
    ExternalRef,
    GLAccountData,
    MappingError,
    NotFoundError,
    ServiceTypeData,
    TaxRateData,
    ValidationError,
)
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

D = Decimal


def invoices_in_xero(sandbox_api, tenant=UK_TENANT_ID, number=None):
    rows = sandbox_api(tenant, "invoices")
    rows = list(rows.values()) if isinstance(rows, dict) else rows
    return [r for r in rows if number is None or r.get("InvoiceNumber") == number]


def one_invoice(sandbox_api, number, tenant=UK_TENANT_ID):
    found = invoices_in_xero(sandbox_api, tenant, number)
    assert len(found) == 1, f"expected exactly one {number} in Xero, found {len(found)}"
    return found[0]


CONSULTING = ServiceTypeData(id=501, name="Consulting", sku="CONS")
SUPPORT = ServiceTypeData(id=502, name="Support retainer", sku="")
VAT20 = TaxRateData(id=601, name="VAT 20%", rate=D("20"))
VAT5 = TaxRateData(id=602, name="VAT 5%", rate=D("5"))
FEES = GLAccountData(id=701, code="4100", name="Consulting fees")


def uk_invoice(**kw):
    lines = (
        line("Consulting, November (10 h)", "10", "150.00", service_type=CONSULTING,
             tax_rate=VAT20, gl_account=FEES, class_label="North"),
        line("Setup fee", "1", "250.00", discount="10", service_type=SUPPORT, tax_rate=VAT5,
             class_label="South"),
    )
    return invoice_data(lines=kw.pop("lines", lines), memo="November work", **kw)


@pytest.fixture
def uk(xero_connection, set_mapping):
    conn = xero_connection("uk", settings={"tracking_category": ""})
    set_mapping(conn, "item", CONSULTING.id, "CONSULT")
    set_mapping(conn, "tax_type", VAT20.id, "OUTPUT2")
    set_mapping(conn, "tax_type", VAT5.id, "RROUTPUT")
    set_mapping(conn, "account", FEES.id, "210")
    return conn


def test_hook_on_invoice_sent_books_the_invoice_in_the_uk_org(uk, hook, sandbox_api, db,
                                                              set_mapping):
    from psa_xero.sandbox.seed import sid

    region = sid(UK_TENANT_ID, "tracking:Region")
    set_mapping(uk, "tracking", "North", f"{region}:{sid(UK_TENANT_ID, 'tracking:Region:North')}")
    set_mapping(uk, "tracking", "South", f"{region}:{sid(UK_TENANT_ID, 'tracking:Region:South')}")
    invoice = uk_invoice()

    result = hook(uk, "on_invoice_sent", invoice=invoice, idempotency_key="sync-1")

    doc = one_invoice(sandbox_api, invoice.number)
    assert result.external_id == doc["InvoiceID"] and result.number == invoice.number
    assert doc["Type"] == "ACCREC" and doc["Status"] == "AUTHORISED"
    assert doc["CurrencyCode"] == "GBP" and doc["LineAmountTypes"] == "Exclusive"
    assert doc["DueDate"] == "2026-12-20"
    assert doc["Reference"] == "Apollo / November work"
    first, second = doc["LineItems"]
    assert (first["AccountCode"], first["ItemCode"], first["TaxType"]) == ("210", "CONSULT",
                                                                           "OUTPUT2")
    assert D(str(first["LineAmount"])) == D("1500.00")
    assert [(t["Name"], t["Option"]) for t in first["Tracking"]] == [("Region", "North")]
    # unmapped GL account -> default revenue account; SUPPORT matched by its item name? no:
    # "Support retainer" is the item's name, so the service type matches it automatically.
    assert (second["AccountCode"], second["TaxType"]) == ("200", "RROUTPUT")
    assert second.get("ItemCode") == "SUPPORT"
    assert D(str(second["DiscountRate"])) == D("10") and D(str(second["LineAmount"])) == D("225.00")
    assert [(t["Name"], t["Option"]) for t in second["Tracking"]] == [("Region", "South")]
    assert D(str(doc["SubTotal"])) == D("1725.00")
    assert D(str(doc["TotalTax"])) == D("311.25")  # 300.00 + 11.25
    contact = sandbox_api(UK_TENANT_ID, "contacts", doc["Contact"]["ContactID"])
    assert contact["Name"] == invoice.client.name
    assert contact["ContactNumber"] == f"PSA-{invoice.client.id}"
    assert contact["EmailAddress"] == invoice.client.billing_email
    assert "shortcode=!uK7dA" in result.deep_link and doc["InvoiceID"] in result.deep_link
    assert result.version and result.emailed is False
    page = httpx.get(result.deep_link, follow_redirects=True)
    assert page.status_code == 200 and invoice.number in page.text


def test_hook_on_invoice_sent_books_the_invoice_in_the_us_org(xero_connection, hook,
                                                              sandbox_api, set_mapping):
    conn = xero_connection("us", settings={"tracking_category": ""})
    from psa_xero.sandbox.seed import sid

    tracking = sid(US_TENANT_ID, "tracking:Class")
    conn_tax = TaxRateData(id=611, name="NY sales tax", rate=D("8.875"))
    advisory = ServiceTypeData(id=511, name="Advisory hour", sku="")
    set_mapping(conn, "tax_type", conn_tax.id, "TAX001")
    set_mapping(conn, "tracking", "Advisory",
                f"{tracking}:{sid(US_TENANT_ID, 'tracking:Class:Advisory')}")
    invoice = invoice_data(currency="USD", client=client_data("Umbrella Corp", "ap@umbrella.test"),
                           lines=(line("Advisory, November", "8", "200.00", service_type=advisory,
                                       tax_rate=conn_tax, class_label="Advisory"),))

    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="us-1")

    doc = one_invoice(sandbox_api, invoice.number, tenant=US_TENANT_ID)
    assert doc["CurrencyCode"] == "USD" and doc["Status"] == "AUTHORISED"
    (only,) = doc["LineItems"]
    assert (only["AccountCode"], only["ItemCode"], only["TaxType"]) == ("4000", "ADVISORY",
                                                                        "TAX001")
    assert [(t["Name"], t["Option"]) for t in only["Tracking"]] == [("Class", "Advisory")]
    assert D(str(doc["Total"])) == D("1742.00")  # 1600 + 8.875 %
    assert "shortcode=!uS4hX" in result.deep_link


def test_hook_on_invoice_sent_default_tracking_category_uses_the_class_name(
        xero_connection, hook, sandbox_api):
    from psa_xero.sandbox.seed import sid

    conn = xero_connection("uk", settings={"tracking_category": sid(UK_TENANT_ID,
                                                                    "tracking:Department")})
    invoice = invoice_data(lines=(line(class_label="Support"),))
    hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="trk-1")
    doc = one_invoice(sandbox_api, invoice.number)
    assert [(t["Name"], t["Option"]) for t in doc["LineItems"][0]["Tracking"]] == [
        ("Department", "Support")]


def test_hook_on_invoice_sent_class_not_in_the_tracking_category_is_a_mapping_error(
        xero_connection, hook, sandbox_api):
    from psa_xero.sandbox.seed import sid

    conn = xero_connection("uk", settings={"tracking_category": sid(UK_TENANT_ID,
                                                                    "tracking:Region")})
    invoice = invoice_data(lines=(line(class_label="West"),))  # archived option
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="trk-2")
    assert "'West' is not an active option" in err.value.message and "North" in err.value.message
    assert "Manage page" in err.value.fix
    assert invoices_in_xero(sandbox_api, number=invoice.number) == []


def test_hook_on_invoice_sent_same_key_retry_books_it_once(connected_connection, hook,
                                                           sandbox_api, sample_invoice):
    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="sync-retry")
    again = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="sync-retry")
    assert first.external_id == again.external_id
    doc = one_invoice(sandbox_api, sample_invoice.number)
    # the mapped 20 % line as OUTPUT2, the untaxed one with Xero's "no tax" rate: totals agree
    assert [ln["TaxType"] for ln in doc["LineItems"]] == ["OUTPUT2", "NONE"]
    assert D(str(doc["Total"])) == sample_invoice.total
    contacts = [c for c in sandbox_api(UK_TENANT_ID, "contacts").values()
                if c["Name"] == sample_invoice.client.name]
    assert len(contacts) == 1


def test_hook_on_invoice_sent_lost_answer_then_retry_books_it_once(connected_connection, hook,
                                                                   sandbox_api, faults,
                                                                   sample_invoice):
    from hookspecs import ProviderDown

    faults("drop_after_commit", path="/api.xro/2.0/Invoices$", method="PUT")
    with pytest.raises(ProviderDown) as err:
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="sync-drop")
    assert err.value.retryable
    created = one_invoice(sandbox_api, sample_invoice.number)  # committed at Xero

    result = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                  idempotency_key="sync-drop")
    assert result.external_id == created["InvoiceID"]
    one_invoice(sandbox_api, sample_invoice.number)


def test_hook_on_invoice_sent_retry_after_the_idempotency_window_adopts_our_invoice(
        connected_connection, hook, sandbox_api, faults, sample_invoice, xero_server):
    from hookspecs import ProviderDown

    faults("drop_after_commit", path="/api.xro/2.0/Invoices$", method="PUT")
    with pytest.raises(ProviderDown):
        hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
             idempotency_key="sync-late")
    httpx.post(f"{xero_server.url}/_sandbox/clock/advance", json={"seconds": 400})

    result = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                  idempotency_key="sync-late")
    doc = one_invoice(sandbox_api, sample_invoice.number)
    assert result.external_id == doc["InvoiceID"]


def test_hook_on_invoice_sent_number_taken_by_another_contact_is_a_conflict(
        connected_connection, hook, sandbox_api):
    first = invoice_data(number="PSA-DUP-1")
    hook(connected_connection, "on_invoice_sent", invoice=first, idempotency_key="dup-a")
    other = invoice_data(number="PSA-DUP-1", client=client_data("Someone Else Ltd",
                                                                "x@else.test"))
    with pytest.raises(ConflictError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=other, idempotency_key="dup-b")
    assert "Invoice # must be unique." in err.value.message
    assert "PSA-DUP-1" in err.value.fix
    one_invoice(sandbox_api, "PSA-DUP-1")


def test_hook_on_invoice_sent_edit_updates_the_same_invoice(connected_connection, hook,
                                                            sandbox_api, sample_invoice):
    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="edit-1")
    edited = replace(sample_invoice, lines=(line("Consulting, revised", "12", "150.00"),),
                     subtotal=D("1800.00"), total=D("1800.00"),
                     external=ExternalRef(first.external_id, first.number, first.version))
    again = hook(connected_connection, "on_invoice_sent", invoice=edited, idempotency_key="edit-2")
    assert again.external_id == first.external_id
    doc = one_invoice(sandbox_api, sample_invoice.number)
    assert [li["Description"] for li in doc["LineItems"]] == ["Consulting, revised"]
    assert D(str(doc["SubTotal"])) == D("1800.00")


def _pay(handle, invoice_id: str, amount: str) -> None:
    from psa_xero.api import XeroClient

    XeroClient(handle).write("PUT", "Payments", "Payments", {"Payments": [{
        "Invoice": {"InvoiceID": invoice_id}, "Account": {"Code": "090"},
        "Date": "2026-11-25", "Amount": D(amount)}]}, key=None, action="paying in the test")


def test_hook_on_invoice_sent_edit_of_a_part_paid_invoice_says_why(connected_connection, hook,
                                                                   handle, sandbox_api,
                                                                   sample_invoice):
    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="paid-1")
    _pay(handle(connected_connection), first.external_id, "100.00")
    pushed = replace(sample_invoice, external=ExternalRef(first.external_id, first.number))
    # re-sending what Xero already has is fine
    assert hook(connected_connection, "on_invoice_sent", invoice=pushed,
                idempotency_key="paid-2").external_id == first.external_id
    edited = replace(pushed, lines=(line("Consulting, revised", "12", "150.00"),),
                     subtotal=D("1800.00"), total=D("1800.00"))
    with pytest.raises(ConflictError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=edited, idempotency_key="paid-3")
    assert "100.00 paid" in err.value.message and "credit note" in err.value.fix
    doc = one_invoice(sandbox_api, sample_invoice.number)
    assert D(str(doc["SubTotal"])) == sample_invoice.subtotal  # as first pushed


def test_hook_on_invoice_sent_deleted_in_xero_is_not_recreated(connected_connection, hook,
                                                               sample_invoice):
    ghost = replace(sample_invoice, external=ExternalRef("0b7e3c1a-0000-4000-8000-00000000dead"))
    with pytest.raises(NotFoundError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=ghost, idempotency_key="ghost")
    assert "no longer has it" in err.value.message


# -- void --------------------------------------------------------------------------------------


def test_hook_on_invoice_voided_voids_it(connected_connection, hook, sandbox_api, sample_invoice):
    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="void-a")
    pushed = replace(sample_invoice, external=ExternalRef(first.external_id, first.number))
    result = hook(connected_connection, "on_invoice_voided", invoice=pushed,
                  idempotency_key="void-b")
    assert result.external_id == first.external_id
    assert one_invoice(sandbox_api, sample_invoice.number)["Status"] == "VOIDED"
    assert not result.note
    # voiding again (a retry, or voided in Xero meanwhile) is harmless and says so
    again = hook(connected_connection, "on_invoice_voided", invoice=pushed,
                 idempotency_key="void-b")
    assert again.external_id == first.external_id
    assert again.note == (f"Invoice {sample_invoice.number} was already voided in Xero; "
                          "nothing else was changed there.")


def test_hook_on_invoice_voided_with_a_payment_says_why(connected_connection, hook, handle,
                                                        sandbox_api, sample_invoice):
    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="void-p")
    _pay(handle(connected_connection), first.external_id, "50.00")
    pushed = replace(sample_invoice, external=ExternalRef(first.external_id, first.number))
    with pytest.raises(ValidationError) as err:
        hook(connected_connection, "on_invoice_voided", invoice=pushed, idempotency_key="void-q")
    assert "50.00 in payments" in err.value.message
    assert "Remove the payments" in err.value.fix
    assert one_invoice(sandbox_api, sample_invoice.number)["Status"] == "AUTHORISED"


# -- auto-send ---------------------------------------------------------------------------------


def test_hook_on_invoice_sent_auto_send_emails_the_contact(xero_connection, hook, sandbox_api):
    conn = xero_connection("uk", settings={"auto_send": True})
    invoice = invoice_data()
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="mail-1")
    assert result.emailed is True and not result.note
    emails = sandbox_api(UK_TENANT_ID, "emails")
    assert [e for e in emails if e.get("InvoiceID") == result.external_id]
    assert one_invoice(sandbox_api, invoice.number)["SentToContact"] is True
    again = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="mail-1")
    assert again.emailed is False  # already sent: never twice
    assert len([e for e in sandbox_api(UK_TENANT_ID, "emails")
                if e.get("InvoiceID") == result.external_id]) == 1


def test_hook_on_invoice_sent_auto_send_without_email_notes_it(xero_connection, hook,
                                                               sandbox_api):
    conn = xero_connection("uk", settings={"auto_send": True})
    invoice = invoice_data(client=client_data("No Mail Ltd", email=""))
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="mail-2")
    assert result.emailed is False and "not emailed" in result.note
    assert one_invoice(sandbox_api, invoice.number)["Status"] == "AUTHORISED"


def test_hook_on_invoice_sent_edit_over_a_copy_edited_in_xero_says_so(connected_connection,
                                                                      hook, handle, sandbox_api,
                                                                      sample_invoice):
    from psa_xero.api import XeroClient

    first = hook(connected_connection, "on_invoice_sent", invoice=sample_invoice,
                 idempotency_key="xedit-1")
    XeroClient(handle(connected_connection)).post(
        f"Invoices/{first.external_id}", "Invoices", {"Invoices": [{
            "InvoiceID": first.external_id, "LineItems": [{
                "Description": "Changed by the accountant in Xero", "Quantity": D("1"),
                "UnitAmount": D("99.00"), "AccountCode": "200", "TaxType": "NONE"}]}]},
        key=None, action="editing in Xero")
    edited = replace(sample_invoice, lines=(line("Consulting, revised", "12", "150.00"),),
                     subtotal=D("1800.00"), total=D("1800.00"),
                     external=ExternalRef(first.external_id, first.number, first.version))
    result = hook(connected_connection, "on_invoice_sent", invoice=edited,
                  idempotency_key="xedit-2")
    assert "had been edited in Xero" in result.note
    doc = one_invoice(sandbox_api, sample_invoice.number)
    assert [li["Description"] for li in doc["LineItems"]] == ["Consulting, revised"]


def test_hook_on_invoice_sent_resend_after_a_tracking_remap_updates_the_lines(
        xero_connection, hook, sandbox_api, set_mapping):
    from psa_xero.sandbox.seed import sid

    conn = xero_connection("uk", settings={"tracking_category": sid(UK_TENANT_ID,
                                                                    "tracking:Region")})
    invoice = invoice_data(lines=(line(class_label="North"),))
    first = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="remap-1")
    dept = sid(UK_TENANT_ID, "tracking:Department")
    set_mapping(conn, "tracking", "North", f"{dept}:{sid(UK_TENANT_ID, 'tracking:Department:Consulting')}")
    again = hook(conn, "on_invoice_sent",
                 invoice=replace(invoice, external=ExternalRef(first.external_id, first.number)),
                 idempotency_key="remap-2")
    assert again.external_id == first.external_id
    doc = one_invoice(sandbox_api, invoice.number)
    assert [(t["Name"], t["Option"]) for t in doc["LineItems"][0]["Tracking"]] == [
        ("Department", "Consulting")]


def test_hook_on_invoice_sent_never_adopts_an_invoice_linked_to_another_psa_invoice(
        connected_connection, hook, sandbox_api):
    client = client_data("Same Client Ltd", "ap@same.test")
    first = invoice_data(number="INV-0001", client=client)
    hook(connected_connection, "on_invoice_sent", invoice=first, idempotency_key="link-a")
    second = invoice_data(number="INV-0001", client=client)  # another PSA invoice, same number
    with pytest.raises(ConflictError) as err:
        hook(connected_connection, "on_invoice_sent", invoice=second, idempotency_key="link-b")
    assert "already linked to another PSA invoice" in err.value.message
    one_invoice(sandbox_api, "INV-0001")
