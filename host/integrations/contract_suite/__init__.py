"""The shared provider contract suite (Odoo's ``PaymentCommon`` idea, for pytest).

Every provider plugin runs it against itself::

    # plugins/myledger/tests/test_contract.py
    from host.integrations.testing import ProviderContractSuite

    class TestMyLedgerContract(ProviderContractSuite):
        auto_send_setting = "auto_send"   # your auto-send settings field, if you have one

It exercises every hook your plugin implements through scenarios, and reads the result back
from the provider's side through your ``provider_state`` fixture (the protocol in
:mod:`host.integrations.provider_state`) rather than trusting your plugin's own answer: push an
invoice and read back its lines, quantities, unit prices, tax, total, currency and due date;
push it again with the same key, after a lost response, and after an edit (one invoice, the
same record updated); void it; credit it (allocated, never emailed); pay it from the host (held
on the invoice, never reported back as new); pay it at the provider (the signed webhook
verifies, parses into events for your tenant, and ``fetch_changes`` reports the payment that the
host then records once); miss that webhook (``reconcile`` finds it, once); test, connect and
disconnect (checks with fixes, the write check cleans up, nothing raises with the provider
down); and every fault your sandbox can inject becomes the documented typed error.

Hooks in :data:`REQUIRED_HOOKS` must be implemented (their absence fails); the scenarios of
an optional hook you leave out are skipped, naming the hook.

Fixtures your ``tests/conftest.py`` provides (function scope):

``psa_plugins``            the plugin names the ``app`` loads, e.g. ``("myledger",)``.
``provider_key``           the provider key, e.g. ``"myledger"`` (= entry-point name).
``connected_connection``   a ``host.models.Connection`` connected to your sandbox, with a tenant
                           chosen and settings that let an invoice push succeed.
``sample_invoice``         an ``InvoiceData`` that pushes cleanly through that connection: at
                           least two lines, a quantity other than 1, tax on a line (mapped so
                           the provider books the same tax), due after its issue date, a client
                           with a billing email.
``provider_state``         a :class:`~host.integrations.provider_state.ProviderState` for the
                           tenant ``connected_connection`` is connected to, reading and
                           steering your sandbox directly (not through your plugin).
``callback_params``        optional (default ``{}``): the OAuth callback parameters
                           ``on_connect`` receives for that tenant (QuickBooks:
                           ``{"realmId": ...}``).

The host's fixtures (``app``, ``db``, ``org``, ``connection_factory`` ...) come from the ``psa``
pytest plugin (:mod:`host.integrations.testing`). Themes, one module each: registration and
settings (:mod:`.registration`), connection (:mod:`.connection`), outbound
(:mod:`.outbound`), inbound (:mod:`.inbound`), typed errors (:mod:`.errors`), two-way sync
(:mod:`.twoway`: records created in the ledger listed back, customers and items pushed;
:mod:`.twoway_host`: import, edits on each side, conflicts and echo through the host's engine;
they skip unless your ``provider_state`` implements
:data:`~host.integrations.provider_state.TWO_WAY_METHODS`).
"""

from __future__ import annotations

from host.integrations.contract_suite.connection import ConnectionScenarios
from host.integrations.contract_suite.errors import ErrorScenarios
from host.integrations.contract_suite.hooks import OPTIONAL_HOOKS, REQUIRED_HOOKS
from host.integrations.contract_suite.inbound import InboundScenarios
from host.integrations.contract_suite.outbound import OutboundScenarios
from host.integrations.contract_suite.registration import RegistrationScenarios
from host.integrations.contract_suite.twoway import TwoWayScenarios
from host.integrations.contract_suite.twoway_host import TwoWayHostScenarios

__all__ = ["OPTIONAL_HOOKS", "REQUIRED_HOOKS", "ProviderContractSuite"]


class ProviderContractSuite(RegistrationScenarios, ConnectionScenarios, OutboundScenarios,
                            InboundScenarios, ErrorScenarios, TwoWayScenarios,
                            TwoWayHostScenarios):
    """Subclass as ``Test<Provider>Contract``; every scenario here runs against your plugin."""
