"""Issue 6, point 4 ("edits re-sent update the same invoice where Xero allows it, and otherwise
the record says why") end to end, over real HTTP with the worker process.

* An invoice edited in the host after it was sent (the invoice's Edit page: a changed line, a
  new discount, an added line and a later issue date) and then sent again ("Send again" on the
  invoice page) updates the SAME Xero invoice: one invoice with that number, the new lines,
  discount, amounts, and the due date from the project's payment terms.
* When money was applied to the invoice in Xero (a payment or a credit note the host has not
  heard of yet: the session sandbox's webhooks are off), Xero does not allow the change: the
  re-send fails with a conflict whose message says why and what to do, the Xero invoice stays
  as it was, and no second invoice is made.

Every exchange with the sandbox during a test (here: the worker's) is checked against Xero's
OpenAPI documents by the autouse fixture of ``plugins/xero/tests/conftest.py``; each test also
checks that the worker's update really was among the recorded exchanges.
"""

from __future__ import annotations

import html as html_lib
import itertools
from datetime import timedelta
from decimal import Decimal

import pytest
from xero_e2ekit import connect, xero_invoices

from host.integrations.e2e import provider_link, sync_error, sync_status
from psa_xero.sandbox import UK_TENANT_ID, US_TENANT_ID

pytestmark = pytest.mark.e2e
_n = itertools.count(1)


@pytest.fixture
def tenant(env):
    return connect(env, US_TENANT_ID, tenants=(UK_TENANT_ID, US_TENANT_ID))


# -- helpers ---------------------------------------------------------------------------------------


def new_invoice(env, tenant, lines, project=None) -> int:
    n = next(_n)
    return env.draft_invoice(tenant, lines=lines, project=project, client={
        "name": f"Edit Resend Client {n}", "billing_email": f"ap{n}@edit-e2e.test"})


def lines_of(doc: dict) -> list[tuple]:
    return [(ln["Description"], Decimal(str(ln["Quantity"])), Decimal(str(ln["UnitAmount"])),
             Decimal(str(ln.get("DiscountRate") or 0)), Decimal(str(ln["LineAmount"])),
             ln["AccountCode"]) for ln in doc["LineItems"]]


def worker_updates(xero_server, invoice_id: str) -> list[dict]:
    """The recorded POST /Invoices/{id} exchanges (sent by the worker process; the autouse
    fixture validates each against the OpenAPI documents after the test)."""
    return [ex for ex in list(xero_server.sandbox.exchanges)
            if ex["method"] == "POST" and ex["path"] == f"/api.xro/2.0/Invoices/{invoice_id}"]


# -- tests -----------------------------------------------------------------------------------------


def test_e2e_an_invoice_edited_in_the_host_and_sent_again_updates_the_same_xero_invoice(
        env, tenant, xero_server):
    invoice_id = new_invoice(env, tenant, project={"due_days": 45}, lines=[
        {"quantity": Decimal("10"), "unit_price": Decimal("150"), "description": "Consulting"},
        {"quantity": Decimal("1"), "unit_price": Decimal("80"), "description": "Travel"}])
    first = env.send_and_wait(tenant, invoice_id)
    facts = env.invoice_facts(invoice_id)
    number, issued = facts["number"], facts["issue_date"]
    (booked,) = xero_invoices(xero_server.url, number)
    assert booked["InvoiceID"] == first["external_id"]
    assert Decimal(str(booked["Total"])) == Decimal("1580.00")
    assert booked["DueDate"][:10] == (issued + timedelta(days=45)).isoformat()

    later = (issued + timedelta(days=3)).isoformat()
    env.edit_invoice(
        tenant, invoice_id,
        {0: {"quantity": "12", "description": "Consulting (12 h)", "discount": "10"}},
        new_line={"description": "Workshop", "quantity": "1", "unit_price": "400.00"},
        issue_date=later)
    assert "Send again" in tenant.user.page(f"/invoices/{invoice_id}")
    second = env.send_and_wait(tenant, invoice_id)
    assert second["operation"] == "update" and second["external_id"] == booked["InvoiceID"]

    facts = env.invoice_facts(invoice_id)
    issued2, due2, total2 = facts["issue_date"], facts["due_date"], facts["total"]
    assert issued2.isoformat() == later and due2 == issued2 + timedelta(days=45)
    (updated,) = xero_invoices(xero_server.url, number)  # still exactly one with that number
    assert updated["InvoiceID"] == booked["InvoiceID"] and updated["Status"] == "AUTHORISED"
    assert lines_of(updated) == [
        ("Consulting (12 h)", Decimal("12"), Decimal("150"), Decimal("10"), Decimal("1620"),
         "4000"),
        ("Travel", Decimal("1"), Decimal("80"), Decimal("0"), Decimal("80"), "4000"),
        ("Workshop", Decimal("1"), Decimal("400"), Decimal("0"), Decimal("400"), "4000")]
    assert Decimal(str(updated["Total"])) == total2 == Decimal("2100.00")
    assert updated["Date"][:10] == later
    assert updated["DueDate"][:10] == due2.isoformat()
    assert worker_updates(xero_server, booked["InvoiceID"])  # the worker's update was checked
    page = tenant.user.page(f"/invoices/{invoice_id}")
    assert sync_status(page) == "synced" and provider_link(page)[2].strip() == number


@pytest.mark.parametrize("applied", ["payment", "credit note"])
def test_e2e_an_edit_sent_again_after_money_was_applied_in_xero_says_why_and_changes_nothing(
        env, tenant, xero_server, applied):
    from xero_books import Xero

    invoice_id = new_invoice(env, tenant, lines=[
        {"quantity": Decimal("1"), "unit_price": Decimal("200"), "description": "Audit"}])
    env.send_and_wait(tenant, invoice_id)
    number = env.invoice_facts(invoice_id)["number"]
    (booked,) = xero_invoices(xero_server.url, number)
    with Xero(xero_server.url, US_TENANT_ID) as accountant:
        if applied == "payment":
            accountant.pay_on_page(booked["InvoiceID"], "50.00")
        else:
            accountant.credit(accountant.invoice(booked["InvoiceID"]), "50.00")

    env.edit_invoice(tenant, invoice_id, {0: {"unit_price": "260.00"}})
    second = env.send_and_wait(tenant, invoice_id, status=("failed",))
    assert second["error_category"] == "conflict", second

    panel = tenant.user.page(f"/invoices/{invoice_id}/sync")
    error = sync_error(panel)
    assert error["category"] == "conflict"
    message, fix = html_lib.unescape(error["message"]), html_lib.unescape(error["fix"])
    what = "50.00 paid" if applied == "payment" else "50.00 credited"
    assert f"Invoice {number} already has money applied in Xero ({what})" in message
    assert "the edit was not pushed" in message
    assert "credit note in the PSA for the difference" in fix
    (unchanged,) = xero_invoices(xero_server.url, number)  # still one, Xero's copy untouched
    assert unchanged["InvoiceID"] == booked["InvoiceID"]
    assert Decimal(str(unchanged["Total"])) == Decimal("200.00")
    assert [ln[:3] for ln in lines_of(unchanged)] == [("Audit", Decimal("1"), Decimal("200"))]
    assert not worker_updates(xero_server, booked["InvoiceID"])
