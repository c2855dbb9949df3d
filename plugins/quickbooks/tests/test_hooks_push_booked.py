"""Issue 10: what QuickBooks books is what the PSA sent, or the record says so.

* Currency: a company without multicurrency refuses a foreign invoice with a mapping error
  naming both currencies; a multicurrency company books it in its currency at QuickBooks' own
  rate (``/exchangerate``), and the note names the rate.
* Classes: with class tracking off, the lines' classes cannot be booked; the invoice goes
  through and its differences say so (with the fix). Class tracking per transaction books the
  lines' one class on the invoice; lines of several classes are a mapping error.
* After every push the booked invoice is compared with the PSA invoice (``differences``), and
  the host's invoice page shows them.

Each test reads the invoice back from the sandbox's store.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from hookspecs import ClientData, CreditNoteData, ExternalRef, LineData, MappingError
from psa_quickbooks.classes import OFF_NOTE
from psa_quickbooks.sandbox import CLASSES_REALM, MULTICURRENCY_REALM, US_REALM
from qbo_testkit import CONSULTING, make_invoice

EURO = ClientData(id=21, name="Euro GmbH", billing_email="ap@euro.example")


def sales_lines(invoice: dict) -> list[dict]:
    return [ln for ln in invoice["Line"] if ln["DetailType"] == "SalesItemLineDetail"]


# -- currency ----------------------------------------------------------------------------------


def test_a_foreign_invoice_without_multicurrency_is_refused_naming_both_currencies(
        qbo, qbo_connection, hook):
    conn = qbo_connection("us")
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(client=EURO, currency="EUR"),
             idempotency_key="fx-off")
    assert "is in EUR" in err.value.message and "in USD only" in err.value.message
    assert "multicurrency" in err.value.fix and "in USD in the PSA" in err.value.fix
    assert qbo.entities(US_REALM, "Invoice") == []
    assert "Euro GmbH" not in {c["DisplayName"] for c in qbo.entities(US_REALM, "Customer")}


def test_a_foreign_invoice_is_booked_in_its_currency_at_quickbooks_rate(qbo, qbo_connection,
                                                                        hook):
    conn = qbo_connection("multicurrency")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(client=EURO, currency="eur"),
                  idempotency_key="fx-eur")
    inv = qbo.entity(MULTICURRENCY_REALM, "Invoice", result.external_id)
    assert inv["CurrencyRef"]["value"] == "EUR" and inv["TotalAmt"] == 1580
    assert inv["ExchangeRate"] == 1.085 and inv["HomeTotalAmt"] == 1714.3
    customer = qbo.entity(MULTICURRENCY_REALM, "Customer", inv["CustomerRef"]["value"])
    assert customer["CurrencyRef"]["value"] == "EUR"
    [rate_call] = qbo.requests(path="/exchangerate")
    assert "sourcecurrencycode=EUR" in rate_call["query"] and "2026-11-02" in rate_call["query"]
    assert result.note == ("Booked in EUR at 1 EUR = 1.085 USD (QuickBooks' rate for "
                           "2026-01-01).")
    assert result.differences == ()

    edited = make_invoice(client=EURO, currency="EUR", memo="Edited",
                          external=ExternalRef(result.external_id, result.number, result.version))
    again = hook(conn, "on_invoice_sent", invoice=edited, idempotency_key="fx-eur-edit")
    inv = qbo.entity(MULTICURRENCY_REALM, "Invoice", again.external_id)
    assert again.external_id == result.external_id and inv["CustomerMemo"]["value"] == "Edited"
    assert inv["CurrencyRef"]["value"] == "EUR" and inv["ExchangeRate"] == 1.085
    assert again.note == result.note and again.differences == ()


def test_a_currency_missing_from_the_company_list_is_a_mapping_error(qbo, qbo_connection, hook):
    conn = qbo_connection("multicurrency")
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(client=EURO, currency="CAD"),
             idempotency_key="fx-cad")
    assert "CAD" in err.value.message and "currency list" in err.value.message
    assert "Settings > Currencies" in err.value.fix
    assert qbo.entities(MULTICURRENCY_REALM, "Invoice") == []


def test_a_home_currency_invoice_in_a_multicurrency_company_has_no_rate_note(
        qbo, qbo_connection, hook):
    conn = qbo_connection("multicurrency")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="fx-usd")
    inv = qbo.entity(MULTICURRENCY_REALM, "Invoice", result.external_id)
    assert inv["CurrencyRef"]["value"] == "USD" and inv["ExchangeRate"] == 1
    assert result.note is None and result.differences == ()
    assert qbo.requests(path="/exchangerate") == []


def test_hook_on_invoice_sent_multicurrency_sends_the_currency(qbo, qbo_connection, hook):
    conn = qbo_connection("multicurrency")
    client = ClientData(id=12, name="Euro GmbH", billing_email="ap@euro.example")
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(client=client, currency="eur"),
                  idempotency_key="fx-1")
    inv = qbo.entity(MULTICURRENCY_REALM, "Invoice", result.external_id)
    assert inv["CurrencyRef"]["value"] == "EUR"
    assert qbo.entity(MULTICURRENCY_REALM, "Customer", inv["CustomerRef"]["value"])["CurrencyRef"][
        "value"] == "EUR"


def test_hook_on_invoice_sent_multicurrency_never_books_to_a_customer_in_another_currency(
        qbo, qbo_connection, hook, org):
    conn = qbo_connection("multicurrency")
    client = ClientData(id=13, name="Euro GmbH", billing_email="ap@euro.example")
    dollars = hook(conn, "on_invoice_sent", invoice=make_invoice(client=client, currency="usd"),
                   idempotency_key="fx-usd")
    usd_customer = qbo.entity(MULTICURRENCY_REALM, "Invoice",
                              dollars.external_id)["CustomerRef"]["value"]

    # the same client later invoiced in EUR from another business unit (nothing remembered)
    other = qbo_connection("multicurrency", business_unit_id=org.business_unit_ids[1])
    euros = hook(other, "on_invoice_sent", invoice=make_invoice(id=2, number="INV-2",
                                                                client=client, currency="eur"),
                 idempotency_key="fx-eur")
    inv = qbo.entity(MULTICURRENCY_REALM, "Invoice", euros.external_id)
    customer = qbo.entity(MULTICURRENCY_REALM, "Customer", inv["CustomerRef"]["value"])
    assert customer["Id"] != usd_customer and customer["CurrencyRef"]["value"] == "EUR"
    assert customer["DisplayName"] == "Euro GmbH (2)"
    assert "billed in USD" in euros.note or "cannot be used" in euros.note

    # remembered link to the USD customer + a EUR invoice: a clear mapping error, not a fault
    with pytest.raises(MappingError) as err:
        hook(conn, "on_invoice_sent", invoice=make_invoice(id=3, number="INV-3", client=client,
                                                           currency="eur"),
             idempotency_key="fx-eur-linked")
    assert "billed in USD" in err.value.message and "EUR" in err.value.fix


def test_a_foreign_credit_note_is_booked_in_its_currency_and_applied(qbo, qbo_connection, hook):
    conn = qbo_connection("multicurrency")
    pushed = hook(conn, "on_invoice_sent", invoice=make_invoice(client=EURO, currency="EUR"),
                  idempotency_key="fx-cn-0")
    line = LineData(id=21, description="Goodwill credit", quantity=Decimal("1"),
                    unit_price=Decimal("100"), amount=Decimal("100.00"), service_type=CONSULTING)
    credit = CreditNoteData(
        id=3, number="CN-0003", currency="EUR", issue_date=date(2026, 11, 10), client=EURO,
        lines=(line,), subtotal=Decimal("100"), tax_total=Decimal("0"), total=Decimal("100"),
        invoice_id=1, invoice_number="INV-0001",
        invoice_external=ExternalRef(pushed.external_id, pushed.number, pushed.version))
    result = hook(conn, "on_credit_note", credit_note=credit, idempotency_key="fx-cn-1")
    memo = qbo.entity(MULTICURRENCY_REALM, "CreditMemo", result.external_id)
    assert memo["CurrencyRef"]["value"] == "EUR" and memo["ExchangeRate"] == 1.085
    assert memo["TotalAmt"] == 100 and memo["HomeTotalAmt"] == 108.5
    assert "Booked in EUR at 1 EUR = 1.085 USD" in result.note
    assert qbo.entity(MULTICURRENCY_REALM, "Invoice", pushed.external_id)["Balance"] == 1480
    assert result.differences == ()


# -- classes -----------------------------------------------------------------------------------


def test_classes_with_tracking_off_are_booked_without_and_the_record_says_so(
        qbo, qbo_connection, hook):
    conn = qbo_connection("us")  # "Use class mapping" on; QuickBooks tracks no classes
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="cls-off")
    inv = qbo.entity(US_REALM, "Invoice", result.external_id)
    assert all("ClassRef" not in ln["SalesItemLineDetail"] for ln in sales_lines(inv))
    assert result.differences == (
        "Line 1 (Consulting, October): QuickBooks booked class (none); the PSA line has class "
        "East.",
        "Line 2 (Travel): QuickBooks booked class (none); the PSA line has class West.",
        OFF_NOTE)


def test_classes_unticked_by_the_admin_are_not_a_difference(qbo, qbo_connection, hook):
    conn = qbo_connection("us", settings={"use_classes": False})
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(), idempotency_key="cls-no")
    assert result.differences == ()


def test_class_tracking_per_transaction_books_the_lines_one_class(qbo, qbo_connection, hook):
    qbo.preferences(CLASSES_REALM, {"AccountingInfoPrefs": {
        "ClassTrackingPerTxn": True, "ClassTrackingPerTxnLine": False}})
    conn = qbo_connection("classes")
    east = tuple(LineData(id=i, description=f"Line {i}", quantity=Decimal("1"),
                          unit_price=Decimal("100"), amount=Decimal("100.00"),
                          service_type=CONSULTING, class_label="East") for i in (1, 2))
    result = hook(conn, "on_invoice_sent", invoice=make_invoice(lines=east),
                  idempotency_key="cls-txn")
    inv = qbo.entity(CLASSES_REALM, "Invoice", result.external_id)
    assert inv["ClassRef"]["name"] == "East"
    assert result.differences == ()

    with pytest.raises(MappingError) as err:  # East and West: QuickBooks keeps one
        hook(conn, "on_invoice_sent", invoice=make_invoice(id=2, number="INV-2"),
             idempotency_key="cls-txn-2")
    assert "East, West" in err.value.message and "One to each row" in err.value.fix
    assert len(qbo.entities(CLASSES_REALM, "Invoice")) == 1


# -- Test says so up front ----------------------------------------------------------------------


def _checks(result) -> dict:
    return {c.name: c for c in result.checks}


def test_test_warns_when_classes_cannot_be_booked_and_explains_currencies(qbo, qbo_connection,
                                                                          hook):
    us = _checks(hook(qbo_connection("us"), "test_connection", write_check=False))
    assert us["Classes"].status == "warn"
    assert "cannot be booked" in us["Classes"].message and "Track classes" in us["Classes"].fix
    assert "in USD only" in us["Currencies"].message
    assert "mapping error" in us["Currencies"].message


def test_test_warns_about_class_tracking_per_transaction(qbo, qbo_connection, hook):
    qbo.preferences(CLASSES_REALM, {"AccountingInfoPrefs": {
        "ClassTrackingPerTxn": True, "ClassTrackingPerTxnLine": False}})
    per_txn = _checks(hook(qbo_connection("classes"), "test_connection", write_check=False))
    assert per_txn["Classes"].status == "warn"
    assert "one class per transaction" in per_txn["Classes"].message


def test_test_lists_the_multicurrency_company_currencies(qbo, qbo_connection, hook):
    mc = _checks(hook(qbo_connection("multicurrency"), "test_connection", write_check=False))
    assert "home currency USD; also EUR, GBP" in mc["Currencies"].message
    assert "QuickBooks' exchange rate" in mc["Currencies"].message


# -- the host's invoice page -------------------------------------------------------------------


def test_the_invoice_panel_shows_what_quickbooks_booked_differently(
        app, qbo, qbo_connection, admin_client, db, org):
    """Sent from the host, pushed by the worker: the class QuickBooks could not book is a
    visible warning on the invoice's sync panel, next to QuickBooks' number."""
    from host.models import Client, Project
    from host.services.invoicing import create_invoice, send_invoice
    from host.sync.queue import drain

    qbo_connection("us")
    client = Client(organization_id=org.id, name="Acme Ltd", billing_email="ap@acme.example")
    project = Project(organization_id=org.id, client=client, name="Website",
                      business_unit_id=org.business_unit_ids[0])
    db.session.add_all([client, project])
    db.session.flush()
    invoice = create_invoice(project, [{"quantity": 2, "unit_price": Decimal("150"),
                                        "description": "Consulting", "class_label": "East"}])
    send_invoice(invoice)
    invoice_id = invoice.id
    drain(app)

    [booked] = qbo.entities(US_REALM, "Invoice")
    assert booked["TotalAmt"] == 300
    assert "ClassRef" not in sales_lines(booked)[0]["SalesItemLineDetail"]
    panel = admin_client.get(f"/invoices/{invoice_id}/sync").get_data(as_text=True)
    assert 'data-status="synced"' in panel and booked["DocNumber"] in panel
    assert 'class="sync-differences" role="status"' in panel
    assert ("Line 1 (Consulting): QuickBooks booked class (none); the PSA line has class East."
            in panel)
    assert "Class tracking is off in this QuickBooks company" in panel
