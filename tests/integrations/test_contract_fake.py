"""The fake provider runs the shared provider contract suite, like every real provider."""

from datetime import date
from decimal import Decimal

import pytest

import fakeledger
from hookspecs import ClientData, InvoiceData, LineData
from host.integrations.testing import ProviderContractSuite


@pytest.fixture
def provider_key():
    return "fakeprovider"


@pytest.fixture
def connected_connection(connection_factory):
    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    return connection_factory(tokens=tokens, settings={"default_item": "1"})


@pytest.fixture
def sample_invoice():
    line = LineData(id=1, description="Consulting, November", quantity=Decimal("10"),
                    unit_price=Decimal("150.00"), amount=Decimal("1500.00"))
    return InvoiceData(id=1, number="INV-0001", status="sent", currency="USD",
                       issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1),
                       client=ClientData(id=1, name="Globex"), lines=(line,),
                       subtotal=Decimal("1500.00"), tax_total=Decimal("0"),
                       total=Decimal("1500.00"))


@pytest.fixture
def signed_webhook():
    body, headers = fakeledger.LEDGER.record_payment("101", Decimal("10.00"))
    return headers, body


@pytest.fixture
def inject_fault():
    return fakeledger.LEDGER.fail_next


class TestFakeProviderContract(ProviderContractSuite):
    pass
