"""The host's end-to-end harness bound to the fake provider (imported by name).

The generic parts (host server thread, worker process, HTTP user, page readers) live in
:mod:`host.integrations.e2e` so provider plugins use the same harness.
"""

from __future__ import annotations

from pathlib import Path

from host.integrations.e2e import (  # noqa: F401 - re-exported for the tests here
    E2E as _E2E,
    FLASK,
    ROOT,
    Tenant,
    User,
    invoice_status,
    poll,
    poll_for,
    provider_link,
    retry_action,
    sync_error,
    sync_status,
)

TESTS = ROOT / "tests"


class E2E(_E2E):
    """Host + worker with the fake provider, its ledger served in this process."""

    def __init__(self, template_db: Path, folder: Path) -> None:
        import fakeledger

        self.ledger_url = fakeledger.serve()
        super().__init__(template_db, folder, plugins=("fakeprovider",),
                         config={"FAKEPROVIDER_BASE_URL": self.ledger_url},
                         pythonpath=[str(TESTS)])

    def new_connected_org(self) -> Tenant:
        """An organization whose first business unit connects to the fake ledger through the
        host's real OAuth and setup pages."""
        import fakeledger

        return self.connect(self.new_org(), "fakeprovider", consent=fakeledger.consent,
                            setup={"default_item": "1"})
