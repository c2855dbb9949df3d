"""Payments back from Xero (fetch_changes, reconcile) and payments to Xero (on_payment), over
real HTTP against the Xero sandbox. Every request the plugin sends is checked against Xero's
OpenAPI documents by the conftest.

"In Xero" means what an accountant does there: the sandbox's invoice page (its Record payment
form) or another app's API calls (credit notes, deleting a payment, voiding, editing), never
the plugin's own token.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import httpx
import pytest
from xero_books import Xero
from xero_testkit import invoice_data, line

from hookspecs import (
    ExternalRef,
    MappingError,
    NotFoundError,
    PaymentData,
    ProviderDown,
    ValidationError,
    WebhookEvent,
)
from psa_xero.sandbox import UK_TENANT_ID

D = Decimal


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def xero(xero_server):
    person = Xero(xero_server.url)
    yield person
    person.close()


@pytest.fixture
def conn(xero_connection):
    return xero_connection("uk")


@pytest.fixture
def push(conn, hook):
    """``push(**invoice_kw) -> (InvoiceData, SyncResult)``: an invoice pushed by the plugin."""
    def _push(**kw):
        kw.setdefault("lines", (line("Consulting, November (10 h)", "10", "150.00"),))
        invoice = invoice_data(**kw)
        result = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key=f"s-{invoice.id}")
        return invoice, result
    return _push


def event(invoice_id: str, entity: str = "invoice") -> WebhookEvent:
    return WebhookEvent(tenant_id=UK_TENANT_ID, entity=entity, entity_id=invoice_id,
                        operation="update", occurred_at=datetime.now(timezone.utc))


def by_id(changes) -> dict:
    return {(p.external_id, p.voided): p for p in changes.payments}


def state(changes, invoice_id):
    found = [s for s in changes.invoices if s.external_id == invoice_id]
    assert len(found) == 1, changes.invoices
    return found[0]


def payment_data(invoice, result, amount="300.00", pid=71, reference="Cheque 1001",
                 day=date(2026, 11, 24)) -> PaymentData:
    return PaymentData(id=pid, amount=D(amount), date=day, currency="GBP", invoice_id=invoice.id,
                       invoice_number=invoice.number,
                       invoice_external=ExternalRef(result.external_id, result.number),
                       client=invoice.client, reference=reference)


# -- fetch_changes -------------------------------------------------------------------------------


def test_hook_fetch_changes_partial_then_full_payment(conn, push, xero, hook):
    invoice, pushed = push()
    inv_id = pushed.external_id
    total = D(str(xero.invoice(inv_id)["Total"]))
    first = xero.pay_on_page(inv_id, "500.00", reference="BACS 1")

    changes = hook(conn, "fetch_changes", events=[event(inv_id)])

    (paid,) = changes.payments
    assert paid.external_id == first["PaymentID"] and paid.kind == "payment"
    assert not paid.voided and paid.reference == "BACS 1" and paid.currency == "GBP"
    assert paid.date == date(2026, 11, 25)
    assert [(a.invoice_external_id, a.amount) for a in paid.allocations] == [(inv_id, D("500.00"))]
    open_state = state(changes, inv_id)
    assert open_state.status == "open" and open_state.total == total
    assert open_state.amount_due == total - D("500.00") and not open_state.differs

    second = xero.pay_on_page(inv_id, str(total - D("500.00")), reference="BACS 2")
    again = hook(conn, "fetch_changes", events=[event(inv_id), event(inv_id)])  # duplicate event

    assert set(by_id(again)) == {(first["PaymentID"], False), (second["PaymentID"], False)}
    assert by_id(again)[(second["PaymentID"], False)].allocations[0].amount == total - D("500")
    paid_state = state(again, inv_id)
    assert paid_state.status == "paid" and paid_state.amount_due == D("0.00")


def test_hook_fetch_changes_credit_note_allocation_counts_as_settled(conn, push, xero, hook):
    _, pushed = push()
    inv_id = pushed.external_id
    note = xero.credit(xero.invoice(inv_id), "120.00")

    changes = hook(conn, "fetch_changes", events=[event(note["CreditNoteID"], "credit_note")])

    (credit,) = changes.payments
    assert credit.kind == "credit" and credit.external_id == note["CreditNoteID"]
    assert [(a.invoice_external_id, a.amount) for a in credit.allocations] == [
        (inv_id, D("120.00"))]
    assert state(changes, inv_id).amount_due == D(str(xero.invoice(inv_id)["AmountDue"]))


def test_hook_fetch_changes_removed_credit_allocation_comes_back_voided(conn, push, xero, hook):
    _, pushed = push()
    inv_id = pushed.external_id
    note = xero.credit(xero.invoice(inv_id), "120.00")
    seen = hook(conn, "fetch_changes", events=[event(inv_id)])
    assert [(p.kind, p.external_id, p.voided) for p in seen.payments] == [
        ("credit", note["CreditNoteID"], False)]

    xero.remove_allocation(note)
    changes = hook(conn, "fetch_changes", events=[event(inv_id)])

    assert [(p.kind, p.external_id, p.voided) for p in changes.payments] == [
        ("credit", note["CreditNoteID"], True)]
    total = D(str(xero.invoice(inv_id)["Total"]))
    assert state(changes, inv_id).amount_due == total
    # once reported, it is not reported again
    assert hook(conn, "fetch_changes", events=[event(inv_id)]).payments == ()


def test_hook_fetch_changes_a_pass_that_fails_half_way_loses_nothing(conn, push, xero, hook,
                                                                     faults):
    _, pushed = push()
    inv_id = pushed.external_id
    note = xero.credit(xero.invoice(inv_id), "50.00")
    paid = xero.pay_on_page(inv_id, "25.00")
    hook(conn, "fetch_changes", events=[event(inv_id)])
    xero.remove_allocation(note)
    xero.delete_payment(paid["PaymentID"])
    faults("status", path="/api.xro/2.0/Payments$", method="GET", status=503,
           body="Service Unavailable")

    with pytest.raises(ProviderDown):  # the host retries the delivery later
        hook(conn, "fetch_changes", events=[event(inv_id)])
    retried = hook(conn, "fetch_changes", events=[event(inv_id)])

    assert {(p.kind, p.external_id, p.voided) for p in retried.payments} == {
        ("credit", note["CreditNoteID"], True), ("payment", paid["PaymentID"], True)}


def test_hook_fetch_changes_deleted_payment_comes_back_voided(conn, push, xero, hook):
    _, pushed = push()
    inv_id = pushed.external_id
    kept = xero.pay_on_page(inv_id, "100.00", reference="kept")
    gone = xero.pay_on_page(inv_id, "200.00", reference="bounced cheque")
    seen = hook(conn, "fetch_changes", events=[event(inv_id)])  # the webhook of the payment
    assert set(by_id(seen)) == {(kept["PaymentID"], False), (gone["PaymentID"], False)}
    xero.delete_payment(gone["PaymentID"])

    changes = hook(conn, "fetch_changes", events=[event(inv_id)])

    records = by_id(changes)
    assert set(records) == {(kept["PaymentID"], False), (gone["PaymentID"], True)}
    voided = records[(gone["PaymentID"], True)]
    assert [(a.invoice_external_id, a.amount) for a in voided.allocations] == [
        (inv_id, D("200.00"))]
    total = D(str(xero.invoice(inv_id)["Total"]))
    assert state(changes, inv_id).amount_due == total - D("100.00")


def test_hook_fetch_changes_invoice_voided_in_xero(conn, push, xero, hook):
    _, pushed = push()
    xero.update(pushed.external_id, Status="VOIDED")

    changes = hook(conn, "fetch_changes", events=[event(pushed.external_id)])

    assert changes.payments == ()
    assert state(changes, pushed.external_id).status == "voided"


def test_hook_fetch_changes_invoice_deleted_in_xero(conn, push, xero, hook, handle):
    # Only drafts can be deleted in Xero: an invoice of ours that was still a draft there.
    invoice, pushed = push()
    contact_id = xero.invoice(pushed.external_id)["Contact"]["ContactID"]
    draft = xero.create_invoice(contact_id, status="DRAFT")
    handle(conn).refs.remember("invoice", 4242, draft["InvoiceID"])
    xero.update(draft["InvoiceID"], Status="DELETED")

    changes = hook(conn, "fetch_changes", events=[event(draft["InvoiceID"])])

    assert state(changes, draft["InvoiceID"]).status == "deleted"


def test_hook_fetch_changes_edit_made_in_xero_differs(conn, push, xero, hook):
    _, pushed = push()
    inv_id = pushed.external_id
    untouched = hook(conn, "fetch_changes", events=[event(inv_id)])
    assert state(untouched, inv_id).differs is False
    xero.update(inv_id, Reference="Changed in Xero")  # not an amount or a line
    assert state(hook(conn, "fetch_changes", events=[event(inv_id)]), inv_id).differs is False
    doc = xero.invoice(inv_id)
    (first,) = doc["LineItems"]
    xero.update(inv_id, LineItems=[{"LineItemID": first["LineItemID"],
                                    "Description": first["Description"], "Quantity": 12,
                                    "UnitAmount": 150, "AccountCode": first["AccountCode"],
                                    "TaxType": first["TaxType"]}])

    edited = state(hook(conn, "fetch_changes", events=[event(inv_id)]), inv_id)

    assert edited.differs is True and edited.status == "open"
    assert edited.total == D(str(xero.invoice(inv_id)["Total"])) != D(str(doc["Total"]))


def test_hook_fetch_changes_leaves_out_invoices_that_are_not_ours(conn, push, xero, hook,
                                                                  xero_server):
    _, pushed = push()
    contact_id = xero.invoice(pushed.external_id)["Contact"]["ContactID"]
    theirs = xero.create_invoice(contact_id)
    xero.pay_on_page(theirs["InvoiceID"], "80.00")
    bill = xero.create_invoice(contact_id, type_="ACCPAY")
    calls_before = len(xero_server.sandbox.exchanges)

    changes = hook(conn, "fetch_changes", events=[event(theirs["InvoiceID"]),
                                                  event(bill["InvoiceID"])])

    assert changes.payments == () and changes.invoices == ()
    assert len(xero_server.sandbox.exchanges) == calls_before  # not even read: no call spent


# -- the pieces, without Xero ---------------------------------------------------------------------


def _doc(**over):
    doc = {"InvoiceID": "AB12", "CurrencyCode": "GBP", "LineAmountTypes": "Exclusive",
           "Contact": {"ContactID": "C-1"}, "Total": 1800.0, "Status": "AUTHORISED",
           "Reference": "Apollo", "AmountPaid": 0.0, "Payments": [],
           "LineItems": [{"Description": "Consulting", "Quantity": 10.0, "UnitAmount": 150.0,
                          "LineAmount": 1500.0, "AccountCode": "200", "TaxType": "OUTPUT2",
                          "Tracking": [{"Name": "Region", "Option": "North"}]}]}
    doc.update(over)
    return doc


def test_fingerprint_ignores_how_numbers_are_written_and_what_payments_change():
    from psa_xero.changes import fingerprint

    same = _doc(Total=D("1800.00"), Status="PAID", AmountPaid=1800, Reference="Changed",
                Payments=[{"PaymentID": "P", "Amount": 1800}],
                LineItems=[{**_doc()["LineItems"][0], "Quantity": D("10.0000"),
                            "UnitAmount": D("150.00"), "DiscountRate": None}])
    assert fingerprint(same) == fingerprint(_doc())


@pytest.mark.parametrize("change", [
    {"Total": 2160.0},
    {"CurrencyCode": "EUR"},
    {"Contact": {"ContactID": "C-2"}},
    {"LineItems": []},
    {"LineItems": [{**_doc()["LineItems"][0], "Quantity": 12.0}]},
    {"LineItems": [{**_doc()["LineItems"][0], "AccountCode": "210"}]},
    {"LineItems": [{**_doc()["LineItems"][0], "TaxType": "NONE"}]},
    {"LineItems": [{**_doc()["LineItems"][0], "Description": "Other work"}]},
    {"LineItems": [{**_doc()["LineItems"][0], "Tracking": []}]},
])
def test_fingerprint_changes_with_amounts_and_lines(change):
    from psa_xero.changes import fingerprint

    assert fingerprint(_doc(**change)) != fingerprint(_doc())


def test_credit_note_ids_are_kept_compactly_per_invoice():
    import uuid

    from psa_xero.changes import CREDITS_KEPT, _pack_ids, _unpack_ids

    ids = sorted(str(uuid.uuid4()) for _ in range(CREDITS_KEPT))
    packed = _pack_ids(ids)
    assert len(packed) <= 200  # fits the refs value
    assert _unpack_ids(packed) == ids
    assert _unpack_ids(_pack_ids(ids + [str(uuid.uuid4())])) == ids  # the first 8 are kept
    assert _unpack_ids(None) == [] and _pack_ids(["not-an-id"]) == ""


def test_reconcile_cursor_round_trips_in_utc():
    from psa_xero.changes import format_cursor, parse_cursor

    moment = datetime(2026, 11, 23, 19, 5, 7, 123000, tzinfo=timezone.utc)
    assert format_cursor(moment) == "2026-11-23T19:05:07.123000Z"
    assert parse_cursor(format_cursor(moment)) == moment
    assert parse_cursor(None) is None


# -- reconcile -------------------------------------------------------------------------------------


def test_hook_reconcile_catches_missed_webhooks_and_advances_the_cursor(conn, push, xero, hook,
                                                                        xero_server):
    _, one = push()
    _, two = push()
    first = xero.pay_on_page(one.external_id, "250.00")  # no webhook reached the PSA
    httpx.post(f"{xero_server.url}/_sandbox/clock/advance", json={"seconds": 600})

    initial = hook(conn, "reconcile", cursor=None)

    assert set(by_id(initial)) == {(first["PaymentID"], False)}
    assert {s.external_id for s in initial.invoices} == {one.external_id, two.external_id}
    assert initial.cursor

    httpx.post(f"{xero_server.url}/_sandbox/clock/advance", json={"seconds": 60})
    quiet = hook(conn, "reconcile", cursor=initial.cursor)
    assert quiet.payments == () and quiet.invoices == ()
    assert quiet.cursor > initial.cursor

    second = xero.pay_on_page(two.external_id, "75.00")
    xero.delete_payment(first["PaymentID"])
    later = hook(conn, "reconcile", cursor=quiet.cursor)

    assert set(by_id(later)) == {(second["PaymentID"], False), (first["PaymentID"], True)}
    assert {s.external_id for s in later.invoices} == {one.external_id, two.external_id}
    assert later.cursor >= quiet.cursor


def test_hook_reconcile_reports_credit_notes_and_states(conn, push, xero, hook, xero_server):
    _, one = push()
    _, two = push()
    start = hook(conn, "reconcile", cursor=None)
    httpx.post(f"{xero_server.url}/_sandbox/clock/advance", json={"seconds": 600})
    note = xero.credit(xero.invoice(one.external_id), "60.00")
    xero.update(two.external_id, Status="VOIDED")

    changes = hook(conn, "reconcile", cursor=start.cursor)

    (credit,) = changes.payments
    assert credit.kind == "credit" and credit.external_id == note["CreditNoteID"]
    assert state(changes, two.external_id).status == "voided"
    assert state(changes, one.external_id).status == "open"


# -- on_payment ------------------------------------------------------------------------------------


def test_hook_on_payment_books_the_payment_once(conn, push, xero, hook, sandbox_api):
    invoice, pushed = push()
    payment = payment_data(invoice, pushed)

    result = hook(conn, "on_payment", payment=payment, idempotency_key="pay-1")
    again = hook(conn, "on_payment", payment=payment, idempotency_key="pay-1")

    assert again.external_id == result.external_id
    (booked,) = xero.invoice(pushed.external_id)["Payments"]
    assert booked["PaymentID"] == result.external_id and D(str(booked["Amount"])) == D("300.00")
    stored = sandbox_api(UK_TENANT_ID, "payments", result.external_id)
    assert stored["Account"]["Code"] == "090" and stored["Date"] == "2026-11-24"
    assert stored["Reference"] == "Cheque 1001 [PSA payment #71]"
    assert pushed.external_id in result.deep_link
    # the payment the PSA pushed is never reported back to it
    changes = hook(conn, "fetch_changes", events=[event(pushed.external_id)])
    assert changes.payments == ()
    assert state(changes, pushed.external_id).amount_due == \
        D(str(xero.invoice(pushed.external_id)["AmountDue"]))


def test_hook_on_payment_lost_answer_then_retry_books_it_once(conn, push, xero, hook, faults):
    invoice, pushed = push()
    payment = payment_data(invoice, pushed, reference="")
    faults("drop_after_commit", path="/api.xro/2.0/Payments$", method="PUT")

    with pytest.raises(ProviderDown) as lost:
        hook(conn, "on_payment", payment=payment, idempotency_key="pay-drop")
    assert lost.value.retryable
    assert len(xero.invoice(pushed.external_id)["Payments"]) == 1  # committed at Xero

    result = hook(conn, "on_payment", payment=payment, idempotency_key="pay-drop")

    (booked,) = xero.invoice(pushed.external_id)["Payments"]
    assert booked["PaymentID"] == result.external_id
    assert booked["Reference"] == "[PSA payment #71]"


def test_hook_on_payment_retry_after_the_idempotency_window_books_it_once(
        conn, push, xero, hook, faults, xero_server):
    invoice, pushed = push()
    payment = payment_data(invoice, pushed)
    faults("drop_after_commit", path="/api.xro/2.0/Payments$", method="PUT")
    with pytest.raises(ProviderDown):
        hook(conn, "on_payment", payment=payment, idempotency_key="pay-late")
    httpx.post(f"{xero_server.url}/_sandbox/clock/advance", json={"seconds": 900})

    result = hook(conn, "on_payment", payment=payment, idempotency_key="pay-late")

    (booked,) = xero.invoice(pushed.external_id)["Payments"]
    assert booked["PaymentID"] == result.external_id


def test_hook_on_payment_without_a_bank_account_is_a_mapping_error(xero_connection, hook,
                                                                   xero):
    conn = xero_connection("uk", settings={"bank_account_code": ""})
    invoice = invoice_data(lines=(line(),))
    pushed = hook(conn, "on_invoice_sent", invoice=invoice, idempotency_key="nb-1")

    with pytest.raises(MappingError) as err:
        hook(conn, "on_payment", payment=payment_data(invoice, pushed), idempotency_key="nb-2")

    assert "bank account" in err.value.message and "settings" in err.value.fix
    assert xero.invoice(pushed.external_id)["Payments"] == []


def test_hook_on_payment_on_an_invoice_voided_in_xero_says_so(conn, push, xero, hook):
    invoice, pushed = push()
    xero.update(pushed.external_id, Status="VOIDED")

    with pytest.raises(ValidationError) as err:
        hook(conn, "on_payment", payment=payment_data(invoice, pushed), idempotency_key="v-1")

    assert f"Invoice {invoice.number} is voided in Xero" in err.value.message
    assert "reverse it in the PSA" in err.value.fix


def test_hook_on_payment_already_paid_in_xero_is_not_booked_twice(conn, push, xero, hook):
    invoice, pushed = push()
    total = xero.invoice(pushed.external_id)["Total"]
    xero.pay_on_page(pushed.external_id, str(total))

    with pytest.raises(ValidationError) as err:
        hook(conn, "on_payment", payment=payment_data(invoice, pushed, amount=str(total)),
             idempotency_key="p-1")

    assert "already fully paid in Xero" in err.value.message
    assert len(xero.invoice(pushed.external_id)["Payments"]) == 1


def test_hook_on_payment_more_than_due_in_xero(conn, push, xero, hook):
    invoice, pushed = push()
    total = D(str(xero.invoice(pushed.external_id)["Total"]))
    xero.pay_on_page(pushed.external_id, "1000.00")

    with pytest.raises(ValidationError) as err:
        hook(conn, "on_payment", payment=payment_data(invoice, pushed, amount="1000.00"),
             idempotency_key="p-2")

    assert f"more than the {total - D('1000.00')} still due" in err.value.message


def test_hook_on_payment_invoice_gone_from_xero(conn, push, hook):
    invoice, pushed = push()
    missing = ExternalRef("00000000-0000-0000-0000-00000000dead", "X")
    payment = PaymentData(id=5, amount=D("10.00"), date=date(2026, 11, 24), currency="GBP",
                          invoice_id=invoice.id, invoice_number=invoice.number,
                          invoice_external=missing, client=invoice.client)

    with pytest.raises(NotFoundError) as err:
        hook(conn, "on_payment", payment=payment, idempotency_key="g-1")

    assert "no longer in Xero" in err.value.message


def test_hook_on_payment_deleted_in_xero_after_booking_is_a_conflict(conn, push, xero, hook):
    invoice, pushed = push()
    payment = payment_data(invoice, pushed)
    booked = hook(conn, "on_payment", payment=payment, idempotency_key="del-1")
    xero.delete_payment(booked.external_id)

    from hookspecs import ConflictError

    with pytest.raises(ConflictError) as err:  # "push again" from the host's sync panel
        hook(conn, "on_payment", payment=payment, idempotency_key="del-2")

    assert "deleted there" in err.value.message and "reverse it in the PSA" in err.value.fix
    assert xero.invoice(pushed.external_id)["Payments"] == []


def test_hook_on_payment_long_reference_keeps_the_marker(conn, push, xero, hook):
    invoice, pushed = push()
    payment = payment_data(invoice, pushed, reference="R" * 300, pid=88)

    hook(conn, "on_payment", payment=payment, idempotency_key="long-1")

    (booked,) = xero.invoice(pushed.external_id)["Payments"]
    assert len(booked["Reference"]) == 255
    assert booked["Reference"].endswith(" [PSA payment #88]")
