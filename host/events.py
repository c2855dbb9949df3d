"""In-process domain events (blinker signals, as Flask uses).

Domain services send these *inside* the database transaction that changes the record; the sync
outbox listens and adds its sync records to the same session, so the invoice status and its sync
record commit together or not at all (transactional outbox). Receivers must not commit.

Each signal is sent with ``sender=<the model instance>``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: An invoice became ``sent`` (first send, or re-sent after an edit). kwarg: none.
invoice_sent = _signals.signal("invoice-sent")
#: An invoice was voided in the host.
invoice_voided = _signals.signal("invoice-voided")
#: A credit note was issued against an invoice.
credit_note_issued = _signals.signal("credit-note-issued")
#: A payment was recorded. kwarg ``source``: ``"host"`` (a user typed it) or ``"provider"``
#: (it came from the accounting system; never pushed back).
payment_recorded = _signals.signal("payment-recorded")
#: A client was created or edited by a user (web form or API). kwarg ``created``: True for a
#: new client. Records written by two-way sync's import never send it (no echo).
client_saved = _signals.signal("client-saved")
#: A service type was created or edited by a user. kwarg ``created`` as for ``client_saved``.
service_type_saved = _signals.signal("service-type-saved")
