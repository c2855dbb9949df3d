"""The contract-suite fixtures and suite class for the fake provider, importable by name.

``tests/integrations/test_contract_fake.py`` runs the suite against ``fakeprovider`` with
them, and ``scripts/mutation_check.py`` against broken copies of it (another plugin name:
``provider_key`` and ``psa_provider_key`` say which). A plugin author's ``conftest.py``
provides the same fixtures for their own sandbox.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

import fakeledger
from fakeledger_state import FakeLedgerState
from hookspecs import ClientData, InvoiceData, LineData, ServiceTypeData, TaxRateData
from host.integrations.testing import ProviderContractSuite

TENANT = ("t-1", "Fake Books Inc")


@pytest.fixture
def connected_connection(connection_factory, provider_key):
    """A connection to the ledger's tenant ``t-1``, holding tokens the ledger issued, with
    automatic sending on (so the suite sees invoices emailed and credit notes not)."""
    with fakeledger.LEDGER.lock:
        tokens = fakeledger.LEDGER.issue_tokens()
    return connection_factory(provider_key=provider_key, tokens=tokens, tenant=TENANT,
                              settings={"default_item": "1", "auto_send": True})


@pytest.fixture
def callback_params():
    """The ledger's consent adds ``realmId`` (the tenant) to the OAuth callback."""
    return {"realmId": TENANT[0]}


@pytest.fixture
def sample_invoice():
    """Two lines, ten hours taxed at 20 % (the ledger's ``TAX`` code) and an untaxed expense."""
    vat = TaxRateData(id=1, name="Standard 20%", rate=Decimal("20"))
    consulting = LineData(id=1, description="Consulting, November", quantity=Decimal("10"),
                          unit_price=Decimal("150.00"), amount=Decimal("1500.00"),
                          service_type=ServiceTypeData(id=1, name="Consulting"), tax_rate=vat)
    travel = LineData(id=2, description="Travel", quantity=Decimal("1"),
                      unit_price=Decimal("245.50"), amount=Decimal("245.50"))
    return InvoiceData(id=1, number="INV-0001", status="sent", currency="USD",
                       issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1),
                       client=ClientData(id=1, name="Globex", billing_email="ap@globex.test"),
                       lines=(consulting, travel), subtotal=Decimal("1745.50"),
                       tax_total=Decimal("300.00"), total=Decimal("2045.50"))


@pytest.fixture
def provider_state():
    """The ledger's side of tenant ``t-1``, read directly (tests/fakeledger_state.py)."""
    return FakeLedgerState(TENANT[0])


class FakeProviderContract(ProviderContractSuite):
    """The suite as the fake provider runs it (subclassed as ``Test...`` where it runs)."""

    auto_send_setting = "auto_send"
