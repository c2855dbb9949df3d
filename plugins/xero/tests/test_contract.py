"""The host's shared provider contract suite, run against the Xero plugin and its sandbox."""

from host.integrations.testing import ProviderContractSuite


class TestXeroContract(ProviderContractSuite):
    #: the connection setting that emails pushed invoices (the two-way send_email scenario)
    auto_send_setting = "auto_send"
