"""Creating a QuickBooks object exactly once across retries (reference 2.4, ``requestid``).

QuickBooks answers a repeated ``requestid`` with the first response, whatever it was. Two
consequences shape :func:`create_once`:

* the id must not change between retries of the same write, or a write whose response was lost
  is made twice -> the id is derived from the sync record's idempotency key;
* a *rejected* write is replayed as rejected too, so after the admin fixes the data and presses
  Retry (same sync record, same key) the same id would fail forever -> the id also carries a
  fingerprint of the payload: a changed payload gets a new id.

A changed payload after a write that *did* land with its response lost would then create a
second object. So the id of the last create attempt is remembered (``connection.refs``, kind
``"<entity>:requestid"``); before creating under a new id, the previous id is sent again:
QuickBooks replays the object it created then (found: update it instead), or its old fault
(go on with the new id), or, if the request never arrived, creates it now (once).
"""

from __future__ import annotations

import hashlib
import json

from hookspecs import ConflictError, MappingError, ValidationError

from .api import QboClient, request_id


def fingerprint(payload) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def create_once(qbo: QboClient, connection, entity: str, host_id, payload: dict,
                idempotency_key: str, *, action: str) -> tuple[dict, bool]:
    """Create ``payload`` once. Returns (the object, whether it came from an earlier attempt
    whose payload differed: the caller must update it to ``payload``)."""
    kind = f"{entity.lower()}:requestid"
    rid = request_id(idempotency_key, entity.lower(), fingerprint(payload))
    previous = connection.refs.get(kind, host_id)
    if previous and previous != rid:
        try:
            return qbo.create(entity, payload, request_id=previous, action=action), True
        except (ValidationError, MappingError, ConflictError):
            pass  # the earlier attempt was rejected (replayed) or this payload is: go on
    connection.refs.remember(kind, host_id, rid)
    return qbo.create(entity, payload, request_id=rid, action=action), False
