"""The host's shared provider contract suite, run against the QuickBooks plugin and sandbox."""

from host.integrations.testing import ProviderContractSuite


class TestQuickBooksContract(ProviderContractSuite):
    auto_send_setting = "auto_send"
