"""Issue 10: after every Xero push, what Xero booked is compared with the PSA document (the
host's ``compare``), and a class with no Xero tracking is never pushed silently untracked.

What is asserted is what the organisation holds (the sandbox) and what the host shows (the
invoice's sync panel, through the host's own worker task run in-process).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from xero_testkit import invoice_data, line

from hookspecs import MappingError, TaxRateData
from psa_xero.sandbox import MC_TENANT_ID, UK_TENANT_ID

D = Decimal
VAT20 = TaxRateData(id=621, name="VAT 20%", rate=D("20"))


def _sid(key: str) -> str:
    from psa_xero.sandbox.seed import sid

    return sid(UK_TENANT_ID, key)


# -- tracking ------------------------------------------------------------------------------------


def test_hook_on_invoice_sent_unmapped_class_without_default_category_is_a_mapping_error(
        xero_connection, hook, sandbox_api):
    conn = xero_connection("uk", settings={"tracking_category": ""})
    invoice = invoice_data(lines=(line("Consulting", class_label="Delivery"),))

    with pytest.raises(MappingError) as caught:
        hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="trk-none-1")

    assert "Class 'Delivery' has no Xero tracking" in caught.value.message
    assert "no default tracking category" in caught.value.message
    assert "Map the class on the Xero integration's Manage page" in caught.value.fix
    two = invoice_data(lines=(line("A", class_label="Delivery"), line("B", class_label="Ops")))
    with pytest.raises(MappingError) as caught:
        hook(conn, "on_invoice_sent", invoice=two, idempotency_key="trk-none-3")
    assert caught.value.message.startswith("Classes 'Delivery', 'Ops' have no Xero tracking")
    assert sandbox_api(UK_TENANT_ID, "invoices") == {}


def test_hook_on_invoice_sent_class_mapped_to_not_tracked_is_booked_untracked_without_a_note(
        xero_connection, hook, sandbox_api, set_mapping):
    conn = xero_connection("uk", settings={"tracking_category": ""})
    set_mapping(conn, "tracking", "Delivery", "none")  # the admin's "Not tracked in Xero"
    invoice = invoice_data(lines=(line("Consulting", class_label="Delivery"),))

    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="trk-none-2")

    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert doc["LineItems"][0]["Tracking"] == []
    assert result.differences == ()


def test_hook_list_mapping_choices_offers_not_tracked_for_classes(connected_connection, hook):
    choices = hook(connected_connection, "list_mapping_choices", kind="tracking")
    assert (choices[0].external_id, choices[0].label) == ("none", "Not tracked in Xero")
    assert "Region: North" in [c.label for c in choices]


def test_hook_test_connection_says_up_front_that_unmapped_classes_stop_the_push(
        connected_connection, hook):
    result = hook(connected_connection, "test_connection", write_check=False)
    (tracking,) = [c for c in result.checks if c.name == "Tracking category"]
    assert tracking.status == "warn"
    assert "an invoice with a class that is not mapped is not pushed" in tracking.message
    assert "Manage page" in tracking.fix


@pytest.mark.parametrize("which, says", [
    ("uk", "Invoices are booked in GBP; an invoice in any other currency is not pushed"),
    ("mc", "Invoices are booked in GBP or EUR, USD (at Xero's own rate")])
def test_hook_test_connection_names_the_currencies_invoices_can_be_booked_in(
        xero_connection, hook, which, says):
    result = hook(xero_connection(which), "test_connection", write_check=False)
    (check,) = [c for c in result.checks if c.name == "Currencies"]
    assert check.status == "pass" and check.message.startswith(says), check.message


# -- booked vs sent ------------------------------------------------------------------------------


def test_hook_on_invoice_sent_reports_what_xero_booked_differently(xero_connection, hook,
                                                                   sandbox_api, set_mapping):
    """The PSA's 20 % VAT is mapped to a Xero rate of 5 %: Xero books 75.00 of tax where the
    PSA invoice says 300.00, and the record says so line by line."""
    conn = xero_connection("uk")
    set_mapping(conn, "tax_type", VAT20.id, "RROUTPUT")  # Xero's 5 % rate
    region = _sid("tracking:Region")
    set_mapping(conn, "tracking", "North", f"{region}:{_sid('tracking:Region:North')}")
    invoice = invoice_data(lines=(line("Consulting", "10", "150.00", tax_rate=VAT20,
                                       class_label="North"),), tax_total="300.00")

    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="diff-1")

    doc = sandbox_api(UK_TENANT_ID, "invoices", result.external_id)
    assert D(str(doc["TotalTax"])) == D("75.00") and D(str(doc["Total"])) == D("1575.00")
    assert [(t["Name"], t["Option"]) for t in doc["LineItems"][0]["Tracking"]] == [
        ("Region", "North")]
    assert result.differences == (
        "Xero booked a total of 1,575.00; the PSA invoice says 1,800.00.",
        "Xero booked tax of 75.00; the PSA invoice says 300.00.",
        "Line 1 (Consulting): Xero booked tax of 75.00; the PSA's VAT 20% gives 300.00.")


def test_hook_on_invoice_sent_that_books_what_was_sent_reports_no_difference(
        xero_connection, hook, set_mapping):
    conn = xero_connection("uk")
    set_mapping(conn, "tax_type", VAT20.id, "OUTPUT2")
    invoice = invoice_data(lines=(line("Consulting", "10", "150.00", tax_rate=VAT20,
                                       discount="10"),), tax_total="270.00")
    result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="diff-2")
    assert result.differences == ()


def test_sync_panel_shows_the_difference_and_the_rate(app, admin_client, org, db,
                                                      xero_connection, sandbox_api):
    """Through the host: a EUR invoice sent to the multicurrency organisation with its VAT
    mapped to Xero's 5 % rate. The organisation holds it in EUR at its rate; the invoice's sync
    panel shows Synced, the rate Xero used, and the tax Xero booked differently."""
    from host.models import Client, Invoice, Project, SyncRecord, TaxRate
    from host.services.invoicing import create_invoice, send_invoice
    from host.sync.queue import drain

    conn = xero_connection("mc")
    client = Client(organization_id=org.id, name="Euro Client GmbH", currency="EUR",
                    billing_email="ap@euro-client.test")
    vat = TaxRate(organization_id=org.id, name="VAT 20%", rate=D("20"))
    project = Project(organization_id=org.id, client=client,
                      business_unit_id=org.business_unit_ids[0], name="Rollout")
    db.session.add_all([client, vat, project])
    db.session.commit()
    from host.models.external_ref import ConnectionMapping

    db.session.add(ConnectionMapping(connection_id=conn.id, kind="tax_type", host_id=str(vat.id),
                                     external_id="RROUTPUT"))
    db.session.commit()
    invoice = create_invoice(project, [{"quantity": 1, "unit_price": D("1580.00"),
                                        "description": "Workshop", "tax_rate_id": vat.id}])
    send_invoice(invoice)
    invoice_id = invoice.id
    db.session.remove()
    drain(app)

    record = db.session.scalars(db.select(SyncRecord).filter_by(object_id=invoice_id)).one()
    assert record.status == "synced", (record.error_message, record.error_fix)
    doc = sandbox_api(MC_TENANT_ID, "invoices", record.external_id)
    assert (doc["CurrencyCode"], doc["CurrencyRate"]) == ("EUR", 1.164557)
    assert D(str(doc["TotalTax"])) == D("79.00")
    assert db.session.get(Invoice, invoice_id).tax_total == D("316.00")
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert 'data-status="synced"' in panel
    assert "Booked in EUR at 1 EUR = 0.858696 GBP (Xero&#39;s rate: 1 GBP = 1.164557 EUR)." \
        in panel
    assert 'class="sync-differences" role="status"' in panel
    assert "Xero booked tax of 79.00; the PSA invoice says 316.00." in panel
