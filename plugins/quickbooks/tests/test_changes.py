"""Payments and invoice states coming back from QuickBooks, and payments going there, against
the sandbox over real HTTP.

Money is received the way a bookkeeper does it: on the sandbox's invoice page ("Receive
payment") or with the Accounting API (a payment covering two invoices, a void, a delete). The
webhook deliveries are the sandbox's own, signed bodies (captured from its sender), parsed and
fetched through the plugin's hooks; reconciliation runs the plugin's CDC pass.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import httpx
import pytest

from hookspecs import (
    ClientData,
    CreditNoteData,
    ExternalRef,
    LineData,
    NotFoundError,
    PaymentAllocation,
    PaymentData,
    PaymentRecord,
    ProviderDown,
    ValidationError,
)
from psa_quickbooks import changes
from psa_quickbooks.sandbox import US_REALM
from qbo_books import Books
from qbo_testkit import CONSULTING, make_invoice

@pytest.fixture
def books(qbo):
    b = Books(qbo)
    yield b
    b.close()


@pytest.fixture
def conn(qbo_connection):
    return qbo_connection("us")


def push(hook, conn, id=1, number="INV-0001", **kw):
    return hook(conn, "on_invoice_sent", invoice=make_invoice(id=id, number=number, **kw),
                idempotency_key=f"push-{id}").external_id


def deliver(app, hook, conn, books):
    """Verify, parse and fetch every new delivery as the host's worker does; returns the
    change sets."""
    from host.integrations.dispatch import call_provider

    sets = []
    for headers, body in books.deliveries():
        assert call_provider("quickbooks", "verify_webhook", headers=headers, body=body,
                             config=app.config) is True
        events = call_provider("quickbooks", "parse_webhook", headers=headers, body=body)
        assert events and all(e.tenant_id == US_REALM for e in events)
        sets.append(hook(conn, "fetch_changes", events=events))
    return sets


def payments_of(sets):
    return [p for s in sets for p in s.payments]


def states_of(sets):
    return {s.external_id: s for cs in sets for s in cs.invoices}


# -- webhooks -> fetch_changes -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["legacy", "cloudevents"])
def test_hook_fetch_changes_partial_then_full_payment_received_in_quickbooks(
        app, qbo, books, conn, hook, fmt):
    books.webhooks(fmt)
    invoice_id = push(hook, conn)  # 1,500 + 80 = 1,580
    books.deliveries()  # the push's own Create event

    first = books.receive_payment(invoice_id, "500.00")
    sets = deliver(app, hook, conn, books)
    assert payments_of(sets) == [PaymentRecord(
        external_id=first, date=payments_of(sets)[0].date, currency="USD",
        allocations=(PaymentAllocation(invoice_id, Decimal("500.00")),))]
    state = states_of(sets)[invoice_id]
    assert (state.status, state.amount_due, state.total, state.differs) == (
        "open", Decimal("1080.00"), Decimal("1580.00"), False)

    second = books.receive_payment(invoice_id, "1080.00")
    sets = deliver(app, hook, conn, books)
    assert [(p.external_id, p.allocations) for p in payments_of(sets)] == [
        (second, (PaymentAllocation(invoice_id, Decimal("1080.00")),))]
    assert states_of(sets)[invoice_id].status == "paid"
    assert states_of(sets)[invoice_id].amount_due == Decimal("0.00")
    assert states_of(sets)[invoice_id].version == books.current("Invoice", invoice_id)["SyncToken"]


def test_hook_fetch_changes_one_payment_for_two_invoices_updates_each(app, qbo, books, conn, hook):
    books.webhooks("cloudevents")
    a = push(hook, conn, id=1, number="INV-0001")
    b = push(hook, conn, id=2, number="INV-0002")
    customer = books.current("Invoice", a)["CustomerRef"]["value"]
    assert books.current("Invoice", b)["CustomerRef"]["value"] == customer
    books.deliveries()

    payment = books.pay_several(customer, {a: 1580.0, b: 300.0})
    payment_sets = deliver(app, hook, conn, books)
    (record,) = payments_of(payment_sets)
    assert record.external_id == payment["Id"] and record.kind == "payment"
    assert record.allocations == (PaymentAllocation(a, Decimal("1580.00")),
                                  PaymentAllocation(b, Decimal("300.00")))
    states = states_of(payment_sets)
    assert (states[a].status, states[b].status) == ("paid", "open")
    assert states[b].amount_due == Decimal("1280.00")


def test_hook_fetch_changes_payment_voided_then_deleted_in_quickbooks(app, qbo, books, conn, hook):
    books.webhooks("legacy")
    invoice_id = push(hook, conn)
    paid = books.receive_payment(invoice_id, "200")
    gone = books.receive_payment(invoice_id, "100")
    books.deliveries()

    books.void("Payment", paid)
    books.delete("Payment", gone)
    records = {p.external_id: p for p in payments_of(deliver(app, hook, conn, books))}
    assert records[paid].voided is True and records[paid].allocations == ()
    assert records[gone].voided is True
    assert set(records) == {paid, gone}


def test_hook_fetch_changes_invoice_voided_and_deleted_in_quickbooks(app, qbo, books, conn, hook):
    books.webhooks("legacy")
    voided = push(hook, conn, id=1, number="INV-0001")
    deleted = push(hook, conn, id=2, number="INV-0002")
    books.deliveries()

    books.void("Invoice", voided)
    books.delete("Invoice", deleted)
    states = states_of(deliver(app, hook, conn, books))
    assert states[voided].status == "voided" and states[voided].total == Decimal("0.00")
    assert states[deleted].status == "deleted"


def test_hook_fetch_changes_events_for_objects_gone_since(app, hook, conn, books):
    from hookspecs import WebhookEvent

    events = [WebhookEvent(US_REALM, "payment", "9999", "create"),
              WebhookEvent(US_REALM, "invoice", "9998", "update")]
    changes_ = hook(conn, "fetch_changes", events=events)
    assert [(p.external_id, p.voided) for p in changes_.payments] == [("9999", True)]
    assert [(s.external_id, s.status) for s in changes_.invoices] == [("9998", "deleted")]


def test_hook_fetch_changes_reads_many_events_in_few_requests(app, qbo, books, conn, hook):
    from hookspecs import WebhookEvent

    invoice_id = push(hook, conn)
    ids = [books.receive_payment(invoice_id, "10") for _ in range(5)]
    qbo.control("DELETE", "requests")
    events = [WebhookEvent(US_REALM, "payment", i, "create") for i in ids] * 2
    events.append(WebhookEvent(US_REALM, "invoice", invoice_id, "update"))
    result = hook(conn, "fetch_changes", events=events)
    assert sorted(p.external_id for p in result.payments) == sorted(ids)
    api_calls = qbo.requests("/v3/")
    assert len(api_calls) == 2  # one query per entity, however many events


def test_hook_fetch_changes_invoice_edited_in_quickbooks_differs(app, qbo, books, conn, hook):
    """on_invoice_sent remembers what it booked; a payment or an email in QuickBooks changes
    the invoice's balance and SyncToken, not what was booked; an edited line does."""
    from hookspecs import WebhookEvent

    invoice_id = push(hook, conn)
    event = WebhookEvent(US_REALM, "invoice", invoice_id, "update")
    assert hook(conn, "fetch_changes", events=[event]).invoices[0].differs is False

    books.receive_payment(invoice_id, "80")
    books.api("POST", f"invoice/{invoice_id}/send", sendTo="ap@acme.example")
    state = hook(conn, "fetch_changes", events=[event]).invoices[0]
    assert (state.differs, state.amount_due) == (False, Decimal("1500.00"))

    current = books.current("Invoice", invoice_id)
    lines = [ln for ln in current["Line"] if ln.get("DetailType") == "SalesItemLineDetail"]
    lines[0]["Amount"] = 1400
    lines[0]["SalesItemLineDetail"].update(Qty=1, UnitPrice=1400)
    books.api("POST", "invoice", {"Id": invoice_id, "SyncToken": current["SyncToken"],
                                  "sparse": True, "Line": lines})
    state = hook(conn, "fetch_changes", events=[event]).invoices[0]
    assert state.differs is True and state.total == Decimal("1480.00")
    assert state.version == books.current("Invoice", invoice_id)["SyncToken"]


# -- credit memos applied in QuickBooks ---------------------------------------------------------


def test_hook_fetch_changes_credit_memo_applied_in_quickbooks_is_a_credit(app, qbo, books, conn,
                                                                         hook):
    from hookspecs import WebhookEvent

    invoice_id = push(hook, conn)
    customer = books.current("Invoice", invoice_id)["CustomerRef"]["value"]
    memo = books.api("POST", "creditmemo", {
        "CustomerRef": {"value": customer},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 100,
                  "SalesItemLineDetail": {"ItemRef": {"value": "2"}, "Qty": 1,
                                          "UnitPrice": 100, "TaxCodeRef": {"value": "NON"}}}],
    })["CreditMemo"]
    # 100 of credit and 400 of cash settle 500 of the invoice
    payment = books.pay_several(customer, {invoice_id: 500.0}, total=400.0,
                                credits={memo["Id"]: 100.0})
    result = hook(conn, "fetch_changes",
                  events=[WebhookEvent(US_REALM, "payment", payment["Id"], "create")])
    by_kind = {p.kind: p for p in result.payments}
    assert by_kind["payment"].external_id == payment["Id"]
    assert by_kind["payment"].allocations == (PaymentAllocation(invoice_id, Decimal("400.00")),)
    assert by_kind["credit"].external_id == f"{payment['Id']}:cm{memo['Id']}"
    assert by_kind["credit"].allocations == (PaymentAllocation(invoice_id, Decimal("100.00")),)


def test_hook_fetch_changes_credit_note_pushed_by_the_host_is_not_reported(app, qbo, books, conn,
                                                                          hook):
    """on_credit_note applies the memo with a Payment of 0: that Payment is not money received,
    and the credit is already in the host."""
    books.webhooks("legacy")
    invoice_id = push(hook, conn)
    books.deliveries()
    invoice = make_invoice()
    line = LineData(id=9, description="Goodwill", quantity=Decimal("1"),
                    unit_price=Decimal("80"), amount=Decimal("80.00"), service_type=CONSULTING)
    credit = CreditNoteData(
        id=1, number="CN-0001", currency="USD", issue_date=date(2026, 11, 3),
        client=invoice.client, lines=(line,), subtotal=Decimal("80"), tax_total=Decimal("0"),
        total=Decimal("80"), invoice_id=1, invoice_number="INV-0001",
        invoice_external=ExternalRef(external_id=invoice_id, number="1001"))
    hook(conn, "on_credit_note", credit_note=credit, idempotency_key="cn-1")
    assert books.current("Invoice", invoice_id)["Balance"] == 1500  # the memo was applied
    sets = deliver(app, hook, conn, books)
    assert payments_of(sets) == []
    result = hook(conn, "reconcile", cursor=None)
    assert result.payments == ()


# -- reconcile (CDC) ------------------------------------------------------------------------------


def test_hook_reconcile_first_pass_finds_what_webhooks_missed(app, qbo, books, conn, hook):
    """No webhook configured at all: the first pass (no cursor) looks back and finds the
    payment, the voided and the deleted invoice."""
    paid = push(hook, conn, id=1, number="INV-0001")
    voided = push(hook, conn, id=2, number="INV-0002")
    deleted = push(hook, conn, id=3, number="INV-0003")
    payment = books.receive_payment(paid, "1580")
    books.void("Invoice", voided)
    books.delete("Invoice", deleted)

    result = hook(conn, "reconcile", cursor=None)
    assert [(p.external_id, p.allocations) for p in result.payments] == [
        (payment, (PaymentAllocation(paid, Decimal("1580.00")),))]
    states = {s.external_id: s.status for s in result.invoices}
    assert states == {paid: "paid", voided: "voided", deleted: "deleted"}
    assert result.cursor
    cdc = qbo.requests("/cdc")
    since = datetime.fromisoformat(httpx.QueryParams(cdc[0]["query"])["changedSince"])
    assert timedelta(days=29) < datetime.now(timezone.utc) - since <= timedelta(days=30)


def test_hook_reconcile_cursor_advances_and_next_pass_sees_only_new_changes(app, qbo, books, conn,
                                                                           hook):
    """Each pass starts a minute before the previous cursor (clock skew between Intuit's
    servers; recording is idempotent), so the passes below are minutes apart."""
    invoice_id = push(hook, conn)
    first_payment = books.receive_payment(invoice_id, "100")
    qbo.control("POST", "clock/advance", json={"seconds": 300})  # five minutes later
    first = hook(conn, "reconcile", cursor=None)
    assert [p.external_id for p in first.payments] == [first_payment]

    second_payment = books.receive_payment(invoice_id, "200")
    qbo.control("POST", "clock/advance", json={"seconds": 300})
    second = hook(conn, "reconcile", cursor=first.cursor)
    assert [p.external_id for p in second.payments] == [second_payment]
    assert changes.parse_time(second.cursor) > changes.parse_time(first.cursor)

    third = hook(conn, "reconcile", cursor=second.cursor)
    assert third.payments == () and third.invoices == ()
    assert changes.parse_time(third.cursor) > changes.parse_time(second.cursor)


def test_hook_reconcile_cursor_older_than_cdc_reaches_uses_queries(app, qbo, books, conn, hook):
    """A connection that waited weeks for reconnection: CDC refuses more than 30 days, so the
    pass queries what changed since the cursor instead of failing."""
    invoice_id = push(hook, conn)
    payment = books.receive_payment(invoice_id, "250")
    old = (datetime.now(timezone.utc) - timedelta(days=45)).isoformat()
    result = hook(conn, "reconcile", cursor=old)
    assert [p.external_id for p in result.payments] == [payment]
    assert changes.parse_time(result.cursor) > changes.parse_time(old)
    queries = [r for r in qbo.requests("/query") if "LastUpdatedTime" in r["query"]]
    assert queries, "expected a LastUpdatedTime query"


def test_hook_reconcile_reports_a_payment_once_despite_the_overlap(app, qbo, books, conn, hook):
    """Each pass re-reads the minute before its cursor; what the pass that returned the cursor
    reported there is not reported again -- unless the host repeats a pass from an older
    cursor (it did not keep the newer one)."""
    invoice_id = push(hook, conn)
    payment = books.receive_payment(invoice_id, "250")
    first = hook(conn, "reconcile", cursor=None)
    assert [p.external_id for p in first.payments] == [payment]

    second = hook(conn, "reconcile", cursor=first.cursor)
    assert not second.payments and not second.invoices

    third = hook(conn, "reconcile", cursor=second.cursor)
    assert not third.payments
    assert [p.external_id for p in hook(conn, "reconcile", cursor=None).payments] == [payment]


def test_hook_reconcile_voided_payment_is_reported_voided(app, qbo, books, conn, hook):
    invoice_id = push(hook, conn)
    payment = books.receive_payment(invoice_id, "250")
    start = hook(conn, "reconcile", cursor=None)
    assert [p.voided for p in start.payments] == [False]
    books.void("Payment", payment)
    after = hook(conn, "reconcile", cursor=start.cursor)
    assert [(p.external_id, p.voided) for p in after.payments] == [(payment, True)]
    assert {s.external_id: s.amount_due for s in after.invoices}[invoice_id] == Decimal("1580.00")


def test_reconcile_follows_a_capped_cdc_answer(monkeypatch):
    """CDC answers at most 1,000 objects: a full answer is followed from its last change."""

    def row(i, minute):
        return {"Id": str(i), "TxnDate": "2026-11-02", "TotalAmt": 1,
                "Line": [{"Amount": 1, "LinkedTxn": [{"TxnId": "7", "TxnType": "Invoice"}]}],
                "MetaData": {"LastUpdatedTime": f"2026-11-02T10:{minute:02d}:00-08:00"}}

    pages = {"Payment": [[row(1, 1), row(2, 2)], [row(2, 2), row(3, 3)], [row(3, 3)]],
             "Invoice": [[]]}
    calls = []

    class FakeQbo:
        def __init__(self, connection):
            pass

        def cdc(self, entities, since):
            calls.append((entities[0], since))
            return {entities[0]: pages[entities[0]].pop(0)}, "2026-11-02T10:30:00.000-08:00"

    class Refs:
        def get(self, kind, host_id):
            return None

        def host_id_for(self, kind, external_id):
            return None

    class Conn:
        refs = Refs()

    monkeypatch.setattr(changes, "CDC_CAP", 2)
    monkeypatch.setattr(changes, "QboClient", FakeQbo)
    monkeypatch.setattr(changes, "datetime", type("D", (datetime,), {
        "now": classmethod(lambda cls, tz=None: datetime(2026, 11, 2, 19, tzinfo=timezone.utc))}))
    result = changes.reconcile(Conn(), "2026-11-02T10:00:00-08:00")
    assert sorted(p.external_id for p in result.payments) == ["1", "2", "3"]
    assert [c[1] for c in calls if c[0] == "Payment"] == [
        "2026-11-02T17:59:00+00:00", "2026-11-02T18:02:00+00:00", "2026-11-02T18:03:00+00:00"]
    assert result.cursor == "2026-11-02T18:30:00+00:00"


# -- on_payment ----------------------------------------------------------------------------------


def host_payment(invoice_external: str, amount="500.00", id=1, currency="USD", reference=""):
    return PaymentData(
        id=id, amount=Decimal(amount), date=date(2026, 11, 20), currency=currency,
        invoice_id=1, invoice_number="INV-0001",
        invoice_external=ExternalRef(external_id=invoice_external, number="1001"),
        client=ClientData(id=1, name="Acme Ltd", billing_email="ap@acme.example"),
        reference=reference)


def payments_in(qbo):
    return qbo.entities(US_REALM, "Payment")


def test_hook_on_payment_books_a_payment_linked_to_the_invoice(app, qbo, books, conn, hook):
    books.webhooks("legacy")
    invoice_id = push(hook, conn)
    books.deliveries()
    result = hook(conn, "on_payment", payment=host_payment(invoice_id, reference="CHK 7"),
                  idempotency_key="pay-1")
    (stored,) = payments_in(qbo)
    invoice = books.current("Invoice", invoice_id)
    assert stored["Id"] == result.external_id
    assert stored["CustomerRef"]["value"] == invoice["CustomerRef"]["value"]
    assert stored["TotalAmt"] == 500 and stored["TxnDate"] == "2026-11-20"
    assert stored["Line"] == [{"Amount": 500, "LinkedTxn": [{"TxnId": invoice_id,
                                                              "TxnType": "Invoice"}]}]
    assert stored["PaymentRefNum"] == "CHK 7" and result.number == "CHK 7"
    assert invoice["Balance"] == 1080
    assert result.deep_link == (f"{qbo.url}/app/recvpayment?txnId={result.external_id}"
                                f"&realmId={US_REALM}")
    assert result.version == stored["SyncToken"]
    # QuickBooks tells us about it (Payment Create, Invoice Update): not echoed back as new money
    sets = deliver(app, hook, conn, books)
    assert payments_of(sets) == []
    assert states_of(sets)[invoice_id].amount_due == Decimal("1080.00")
    assert hook(conn, "reconcile", cursor=None).payments == ()


def test_hook_on_payment_retry_with_the_same_key_books_it_once(app, qbo, conn, hook):
    invoice_id = push(hook, conn)
    first = hook(conn, "on_payment", payment=host_payment(invoice_id), idempotency_key="pay-2")
    again = hook(conn, "on_payment", payment=host_payment(invoice_id), idempotency_key="pay-2")
    assert first.external_id == again.external_id
    assert len(payments_in(qbo)) == 1


def test_hook_on_payment_lost_response_then_retry_books_it_once(app, qbo, books, conn, hook):
    invoice_id = push(hook, conn)
    qbo.fault(kind="drop_after_commit", method="POST", path="/payment$", count=1)
    with pytest.raises(ProviderDown) as err:
        hook(conn, "on_payment", payment=host_payment(invoice_id), idempotency_key="pay-3")
    assert err.value.retryable
    assert len(payments_in(qbo)) == 1  # it landed; the answer was lost
    # the webhook may come before the retry: the payment is still recognised as ours
    assert hook(conn, "reconcile", cursor=None).payments == ()
    result = hook(conn, "on_payment", payment=host_payment(invoice_id), idempotency_key="pay-3")
    assert [p["Id"] for p in payments_in(qbo)] == [result.external_id]
    assert books.current("Invoice", invoice_id)["Balance"] == 1080


def test_hook_on_payment_more_than_open_in_quickbooks_says_why(app, qbo, books, conn, hook):
    invoice_id = push(hook, conn)
    books.receive_payment(invoice_id, "1580")  # paid in QuickBooks already
    with pytest.raises(ValidationError) as err:
        hook(conn, "on_payment", payment=host_payment(invoice_id), idempotency_key="pay-4")
    assert "0.00 open in QuickBooks" in err.value.message
    assert "paid in QuickBooks already" in err.value.fix
    assert len(payments_in(qbo)) == 1


def test_hook_on_payment_invoice_deleted_or_voided_in_quickbooks(app, qbo, books, conn, hook):
    gone = push(hook, conn, id=1, number="INV-0001")
    voided = push(hook, conn, id=2, number="INV-0002")
    books.delete("Invoice", gone)
    books.void("Invoice", voided)
    with pytest.raises(NotFoundError) as err:
        hook(conn, "on_payment", payment=host_payment(gone), idempotency_key="pay-5")
    assert "no longer exists in QuickBooks" in err.value.message
    with pytest.raises(ValidationError) as err:
        hook(conn, "on_payment", payment=host_payment(voided, id=2), idempotency_key="pay-6")
    assert "voided in QuickBooks" in err.value.message
    assert payments_in(qbo) == []


def test_hook_on_payment_in_another_currency_is_refused(app, qbo, conn, hook):
    invoice_id = push(hook, conn)
    with pytest.raises(ValidationError) as err:
        hook(conn, "on_payment", payment=host_payment(invoice_id, currency="EUR"),
             idempotency_key="pay-7")
    assert "EUR" in err.value.message and "USD" in err.value.message
    assert payments_in(qbo) == []
