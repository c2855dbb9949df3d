"""No echo: host writes made by the importer never go back out to the ledger.

The outbox (``host.sync.outbox``) turns domain signals (an invoice sent or voided, a payment
recorded) into pushes, in the same transaction. The importer writes host records through the
same services, so it marks its session while it applies records from the ledger::

    with importing():
        void_invoice(invoice, commit=False)   # no invoice_void push is written

and every outbox receiver (and any receiver pushing clients or service types) asks
:func:`active` first and writes nothing while it is true. The mark lives on the database
session (one per worker thread), so a web request's writes at the same moment are not affected.
"""

from __future__ import annotations

from contextlib import contextmanager

from host.extensions import db

_KEY = "psa_twoway_importing"


def _session():
    return db.session() if callable(db.session) else db.session


@contextmanager
def importing():
    """Mark the current session's writes as coming from the ledger (nestable)."""
    info = _session().info
    info[_KEY] = info.get(_KEY, 0) + 1
    try:
        yield
    finally:
        info[_KEY] -= 1
        if not info[_KEY]:
            info.pop(_KEY)


def active() -> bool:
    """True while the current session applies records from the ledger."""
    return bool(_session().info.get(_KEY))
