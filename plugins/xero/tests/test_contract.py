"""The host's shared provider contract suite, run against the Xero plugin and its sandbox."""

from host.integrations.testing import ProviderContractSuite


class TestXeroContract(ProviderContractSuite):
    pass
