"""``test_connection`` and ``on_connect`` hang until the test sets :data:`RELEASE`.

Released, they raise: had the host waited for them, the page would show that error instead of
the time limit's message.
"""

import threading

from brokenplugins import declare
from fakeprovider import list_mapping_choices, on_disconnect  # noqa: F401 (working hooks)
from hookspecs import hookimpl

#: Set by the test when it is done; until then the hooks below do not return.
RELEASE = threading.Event()


def _hang():
    RELEASE.wait(60)  # bounded only so a host that waits fails the test instead of hanging it
    raise RuntimeError("released by the test")


@hookimpl
def register_provider(config):
    return declare(config, "hanging", "Hanging Ledger")


@hookimpl
def test_connection(connection, write_check):
    _hang()


@hookimpl
def on_connect(connection, callback_params):
    _hang()
