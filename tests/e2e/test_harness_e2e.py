"""The e2e harness's user actions and readers (host.integrations.e2e), which the provider
plugins' end-to-end tests build on, exercised against the fake ledger."""

from decimal import Decimal

import fakeledger
import pytest

pytestmark = pytest.mark.e2e
LEDGER = fakeledger.LEDGER


def test_edit_send_again_reconcile_and_the_readers(e2e, tenant):
    invoice_id = e2e.draft_invoice(tenant, amount="100.00")
    first = e2e.send_and_wait(tenant, invoice_id)
    assert first["operation"] == "create" and first["number"]
    assert e2e.invoice_facts(invoice_id)["status"] == "sent"

    e2e.edit_invoice(tenant, invoice_id, {0: {"unit_price": "120.00"}},
                     new_line={"description": "Travel", "quantity": "1", "unit_price": "30"})
    facts = e2e.invoice_facts(invoice_id)
    assert facts["total"] == Decimal("150.00")
    again = e2e.send_and_wait(tenant, invoice_id)
    assert again["key"] != first["key"] and again["operation"] == "update"

    LEDGER.record_payment(again["external_id"], Decimal("150.00"))  # webhook never delivered
    e2e.reconcile(tenant.connection_id)
    assert e2e.invoice_facts(invoice_id)["status"] == "paid"
    (payment,) = e2e.host_payments(invoice_id)
    assert payment[0] == "provider" and payment[1] == Decimal("150.00")
    assert e2e.deliveries() == [] and e2e.all_deliveries_processed(0)


def test_a_failed_reconciliation_pass_raises_with_its_reason(e2e, tenant):
    LEDGER.fail_next_read()
    with pytest.raises(AssertionError, match="The Fake Ledger answered 503"):
        e2e.reconcile(tenant.connection_id)
