"""Inbound filters (host.sync.twoway.filters) and the kept payloads (host.sync.twoway.payload)."""

from datetime import date, datetime, timezone
from decimal import Decimal

from hypothesis import given, strategies as st

from host.contract.records import InboundCustomer, InboundInvoice, InboundItem, InboundLine
from host.contract.types import PaymentAllocation, PaymentRecord
from host.sync.twoway.filters import excluded
from host.sync.twoway.payload import PAYLOAD_MAX, from_payload, to_payload


def _invoice(**kw):
    values = dict(external_id="I1", number="7", customer_external_id="C1", currency="EUR",
                  issue_date=date(2026, 3, 1), due_date=None, status="open",
                  lines=(InboundLine("x", Decimal("1.5"), Decimal("10"), Decimal("15"),
                                     tax_percent=Decimal("20"), service_date=date(2026, 2, 1)),),
                  subtotal=Decimal("15"), tax_total=Decimal("3"), total=Decimal("18"),
                  payments=(PaymentRecord("P1", date(2026, 3, 2),
                                          (PaymentAllocation("I1", Decimal("18")),)),))
    values.update(kw)
    return InboundInvoice(**values)


def test_created_after_uses_the_creation_time_else_the_issue_date():
    flt = {"created_after": "2026-06-01"}
    assert excluded(flt, InboundCustomer("C", "A", created_at=datetime(2026, 5, 31)))
    assert excluded(flt, InboundCustomer("C", "A", created_at=datetime(2026, 6, 1))) is None
    assert excluded(flt, InboundCustomer("C", "A")) is None
    assert "before 2026-06-01" in excluded(flt, _invoice())
    assert excluded({"created_after": "not a date"}, _invoice()) is None


def test_statuses_customers_and_skus():
    assert excluded({"statuses": ["paid"]}, _invoice())
    assert excluded({"statuses": ["voided"]}, _invoice(status="deleted")) is None
    assert excluded({"customers": ["C2"]}, _invoice())
    assert excluded({"customers": ["C1"]}, _invoice()) is None
    assert excluded({}, InboundItem("P", "Misc"))
    assert excluded({"include_without_sku": True}, InboundItem("P", "Misc")) is None
    assert excluded({}, InboundItem("P", "Misc", sku="M1")) is None


def test_an_invoice_payload_comes_back_as_the_same_record():
    record = _invoice(created_at=datetime(2026, 3, 1, 9, tzinfo=timezone.utc),
                      extra={"po_number": "PO-1"})
    assert from_payload("invoice", to_payload(record)) == record


@given(name=st.text(max_size=20000), extra=st.dictionaries(st.text(max_size=50),
                                                            st.text(max_size=50), max_size=20))
def test_customer_payloads_are_bounded_and_json_safe(name, extra):
    import json

    data = to_payload(InboundCustomer("C1", name, extra=extra))
    if data is not None:
        assert len(json.dumps(data)) <= PAYLOAD_MAX
        back = from_payload("customer", data)
        assert back.external_id == "C1" and name.startswith(back.name)
