"""Domain services: invoice creation, due dates, numbering, status rules, payments, credits."""

from datetime import date
from decimal import Decimal

import pytest

from host import events
from host.extensions import db
from host.models import Invoice, Organization, Project
from host.services import credit_notes, invoicing, payments
from host.services.errors import DomainError, InvalidTransition
from host.services.snapshots import credit_note_data, invoice_data


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def _project(catalog):
    return db.session.get(Project, catalog.project_id)


def _invoice(catalog, consulting="10", support="2", **kw):
    return invoicing.create_invoice_from_project(
        _project(catalog), {catalog.cl_consulting: consulting, catalog.cl_support: support},
        issue_date=date(2026, 3, 1), **kw)


def test_invoice_from_contract_lines_has_rates_tax_and_totals(catalog, ctx):
    invoice = _invoice(catalog)
    assert invoice.number == "INV-0001"
    assert invoice.status == "draft"
    assert [line.amount for line in invoice.lines] == [Decimal("1500.00"), Decimal("160.00")]
    assert invoice.subtotal == Decimal("1660.00")
    assert invoice.tax_total == Decimal("133.13")  # 1500 * 8.875 % = 133.125 -> 133.13
    assert invoice.total == Decimal("1793.13")
    assert invoice.balance == Decimal("1793.13")


def test_lines_without_quantity_are_left_out_and_numbers_are_sequential(catalog, ctx):
    first = _invoice(catalog)
    second = _invoice(catalog, support="0")
    assert second.number == "INV-0002"
    assert len(second.lines) == 1
    with pytest.raises(DomainError):
        _invoice(catalog, consulting="", support="0")
    assert first.number == "INV-0001"


def test_due_date_uses_project_days_else_organization_default(catalog, ctx):
    org = db.session.get(Organization, catalog.org_id)
    org.default_due_days = 45
    project = _project(catalog)
    project.due_days = None
    db.session.commit()
    assert _invoice(catalog).due_date == date(2026, 4, 15)
    project.due_days = 14
    db.session.commit()
    assert _invoice(catalog).due_date == date(2026, 3, 15)


def test_status_rules_draft_approved_sent_paid(catalog, ctx):
    invoice = _invoice(catalog)
    with pytest.raises(InvalidTransition):
        invoicing.void_invoice(invoice)
    invoicing.approve(invoice)
    assert invoice.status == "approved"
    with pytest.raises(InvalidTransition):
        invoicing.approve(invoice)
    invoicing.send_invoice(invoice)
    assert invoice.status == "sent"
    payments.record_payment(invoice, Decimal("793.13"), date(2026, 3, 5))
    assert invoice.status == "partially_paid"
    with pytest.raises(InvalidTransition):
        invoicing.void_invoice(invoice)
    with pytest.raises(InvalidTransition):
        invoicing.update_invoice(invoice, [{"contract_line_id": catalog.cl_support, "quantity": 1}])
    with pytest.raises(DomainError):
        payments.record_payment(invoice, Decimal("1000.01"))  # more than the balance
    payments.record_payment(invoice, Decimal("1000.00"))
    assert invoice.status == "paid"
    assert invoice.balance == Decimal("0.00")


def test_send_emits_invoice_sent_inside_the_transaction(catalog, ctx):
    """The receiver sees the invoice as sent before commit and its rows commit with it."""
    import sqlalchemy as sa

    from host.models import GLAccount

    invoice = _invoice(catalog)
    seen = []

    def receiver(sender, **kw):
        with db.engine.connect() as other:  # another connection: nothing committed yet
            committed = other.execute(
                sa.text("SELECT status FROM invoices WHERE id = :id"), {"id": sender.id}).scalar()
        seen.append((sender.number, sender.status, committed))
        db.session.add(GLAccount(organization_id=sender.organization_id, code="OUTBOX", name="x"))

    events.invoice_sent.connect(receiver)
    try:
        invoicing.send_invoice(invoice)  # a draft is approved on the way
    finally:
        events.invoice_sent.disconnect(receiver)
    assert seen == [("INV-0001", "sent", "draft")]
    assert invoice.approved_at is not None
    db.session.expire_all()
    assert db.session.query(GLAccount).filter_by(code="OUTBOX").count() == 1


def test_edit_sent_invoice_then_resend_signals_again(catalog, ctx):
    invoice = _invoice(catalog)
    invoicing.send_invoice(invoice)
    invoicing.update_invoice(invoice, [{"contract_line_id": catalog.cl_support, "quantity": "3"}])
    assert invoice.status == "sent" and invoice.changed_since_sent
    assert invoice.total == Decimal("240.00")
    sent = []

    def receiver(sender, **kw):
        sent.append(sender.id)

    events.invoice_sent.connect(receiver)
    try:
        invoicing.send_invoice(invoice)
    finally:
        events.invoice_sent.disconnect(receiver)
    assert sent == [invoice.id] and not invoice.changed_since_sent


def test_void_from_sent_emits_invoice_voided(catalog, ctx):
    invoice = _invoice(catalog)
    invoicing.send_invoice(invoice)
    voided = []

    def receiver(sender, **kw):
        voided.append(sender.status)

    events.invoice_voided.connect(receiver)
    try:
        invoicing.void_invoice(invoice)
    finally:
        events.invoice_voided.disconnect(receiver)
    assert voided == ["void"]
    with pytest.raises(InvalidTransition):
        invoicing.send_invoice(invoice)


def test_provider_payment_is_idempotent_and_reversible(app, catalog, ctx):
    from host.integrations.testing import make_connection

    invoice = _invoice(catalog)
    invoicing.send_invoice(invoice)
    conn_id = make_connection(app, catalog.business_unit_id, "fakeprovider")
    first = payments.record_payment(invoice, "500", date(2026, 3, 9), source="provider",
                                    external_id="PMT-1", connection_id=conn_id)
    again = payments.record_payment(invoice, "500", date(2026, 3, 9), source="provider",
                                    external_id="PMT-1", connection_id=conn_id)
    assert again.id == first.id
    assert len(invoice.payments) == 1
    assert invoice.status == "partially_paid"
    payments.reverse_provider_payment(conn_id, "PMT-1")
    assert first.status == "reversed"
    assert invoice.status == "sent"
    assert invoice.balance == invoice.total


def test_credit_note_reduces_balance_and_can_settle(catalog, ctx):
    invoice = _invoice(catalog)
    with pytest.raises(InvalidTransition):
        credit_notes.issue_credit_note(invoice, amount="10")
    invoicing.send_invoice(invoice)
    support_line = invoice.lines[1]
    note = credit_notes.issue_credit_note(
        invoice, [{"invoice_line_id": support_line.id, "quantity": "1"}], reason="goodwill")
    assert note.number == "CN-0001"
    assert note.total == Decimal("80.00")
    assert invoice.balance == Decimal("1713.13")
    assert invoice.status == "partially_credited"  # nobody paid anything
    with pytest.raises(DomainError):
        credit_notes.issue_credit_note(invoice, amount="5000")
    credit_notes.issue_credit_note(invoice, amount=invoice.balance)
    assert invoice.status == "credited"
    data = credit_note_data(note)
    assert data.invoice_number == invoice.number and data.lines[0].gl_account.code == "4100"


def test_invoice_snapshot_has_effective_gl_and_class(catalog, ctx):
    invoice = _invoice(catalog)
    data = invoice_data(invoice)
    consulting, support = data.lines
    assert consulting.gl_account.code == "4050"  # contract line override
    assert consulting.class_label == "Advisory"
    assert consulting.tax_rate.rate == Decimal("8.875")
    assert support.gl_account.code == "4100"  # service type default
    assert support.service_type.sku == "SUPP"
    assert data.client.billing_email == "ap@globex.test"
    assert data.total == Decimal("1793.13") and data.due_date == invoice.due_date
    with pytest.raises(Exception):
        data.number = "X"  # frozen


def test_invoice_numbers_are_per_organization(app, catalog, ctx):
    from host.integrations.testing import create_org

    from factories import make_catalog

    other = create_org(app, name="Other Co", admin_email="admin@other.test",
                       member_email="member@other.test")
    other_catalog = make_catalog(app, other)
    _invoice(catalog)
    assert _invoice(other_catalog).number == "INV-0001"
    assert db.session.query(Invoice).count() == 2


def test_a_number_taken_concurrently_is_retried_with_the_next(catalog, ctx, monkeypatch):
    from host.services import numbering

    _invoice(catalog)  # INV-0001 exists
    calls = []
    real = numbering.next_number

    def stale_then_real(model, org_id, prefix):
        calls.append(prefix)
        if len(calls) == 1:
            return 1, f"{prefix}0001"  # what a concurrent request that lost the race would read
        return real(model, org_id, prefix)

    monkeypatch.setattr(invoicing, "next_number", stale_then_real)
    second = _invoice(catalog)
    assert second.number == "INV-0002" and len(calls) == 2
    invoicing.send_invoice(second)
    calls.clear()
    monkeypatch.setattr(credit_notes, "next_number", stale_then_real)
    credit_notes.issue_credit_note(second, amount="10")
    calls.clear()
    note = credit_notes.issue_credit_note(second, amount="10")
    assert note.number == "CN-0002" and len(calls) == 2
    assert second.amount_credited == Decimal("20.00")


def test_paid_and_credited_mixes_are_labelled_by_whether_money_came_in(app, catalog, ctx):
    """Credits alone: (partially) credited. Any money received: (partially) paid, the credit
    only lowering the balance. A credit applied at the provider counts as a credit."""
    from host.integrations.testing import make_connection

    invoice = _invoice(catalog)  # 1793.13
    invoicing.send_invoice(invoice)
    credit_notes.issue_credit_note(invoice, amount="93.13")
    payments.record_payment(invoice, "700", date(2026, 3, 9))
    assert invoice.status == "partially_paid"
    payments.record_payment(invoice, "1000", date(2026, 3, 10))
    assert invoice.balance == 0 and invoice.status == "paid"

    other = _invoice(catalog)
    invoicing.send_invoice(other)
    conn_id = make_connection(app, catalog.business_unit_id, "fakeprovider")
    payments.record_payment(other, "500", date(2026, 3, 9), source="provider",
                            external_id="CN-9:INV", connection_id=conn_id, kind="credit")
    assert other.status == "partially_credited"
    credit_notes.issue_credit_note(other, amount=other.balance)
    assert other.balance == 0 and other.status == "credited"
