"""Writing to QuickBooks exactly once across retries (reference 2.4, ``requestid``).

QuickBooks answers a repeated ``requestid`` with the first response, whatever it was. So:

* the id must not change between retries of the same write, or a write whose response was
  lost is made twice: it is derived from the sync record's idempotency key and a fingerprint
  of the payload (:meth:`Attempts.request_id`);
* a *refused* write would be refused forever under the same id, even after the admin fixed the
  cause in QuickBooks (reopened a period, renamed a vendor) and pressed Retry: a refusal is an
  answer, so nothing was written, and :meth:`Attempts.refused` moves the write to a new
  generation (a new id) for the next try;
* a changed payload gets a new id, which would duplicate a create that *did* land with its
  response lost. So :func:`create_once` remembers the id of the last create attempt and, before
  creating under a new id, sends the previous id again: QuickBooks replays what it created then
  (the caller updates it to the new payload), or its refusal (go on), or, when the request never
  arrived, creates it now (once).

State lives in ``connection.refs`` under kinds ``"<scope>:rid"`` (last id) and ``"<scope>:gen"``.
"""

from __future__ import annotations

import hashlib
import json

from hookspecs import ConflictError, MappingError, ValidationError

from .api import QboClient, request_id

#: Errors that are QuickBooks' answer to the write itself (nothing was written).
REFUSALS = (ValidationError, MappingError, ConflictError)


def fingerprint(payload) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class Attempts:
    """The request ids of one kind of write (``scope``) on one host record."""

    def __init__(self, connection, scope: str, host_id) -> None:
        self.refs = connection.refs
        self.scope = scope
        self.host_id = str(host_id)

    @property
    def generation(self) -> int:
        value = self.refs.get(f"{self.scope}:gen", self.host_id)
        return int(value) if value and value.isdigit() else 0

    def request_id(self, idempotency_key: str, payload) -> str:
        return request_id(idempotency_key, self.scope, fingerprint(payload), str(self.generation))

    def refused(self) -> None:
        self.refs.remember(f"{self.scope}:gen", self.host_id, str(self.generation + 1))
        self.refs.remember(f"{self.scope}:rid", self.host_id, "-")

    @property
    def previous(self) -> str | None:
        value = self.refs.get(f"{self.scope}:rid", self.host_id)
        return value if value and value != "-" else None

    def used(self, rid: str) -> None:
        self.refs.remember(f"{self.scope}:rid", self.host_id, rid)


def create_once(qbo: QboClient, connection, entity: str, host_id, payload: dict,
                idempotency_key: str, *, action: str) -> tuple[dict, bool]:
    """Create ``payload`` once. Returns (the object, whether it came from an earlier attempt
    with another payload: the caller updates it to ``payload`` if that matters)."""
    attempts = Attempts(connection, entity.lower(), host_id)
    rid = attempts.request_id(idempotency_key, payload)
    previous = attempts.previous
    if previous and previous != rid:
        try:
            return qbo.create(entity, payload, request_id=previous, action=action), True
        except REFUSALS:
            attempts.refused()  # the earlier attempt was refused (replayed): nothing exists
            rid = attempts.request_id(idempotency_key, payload)
    attempts.used(rid)
    try:
        return qbo.create(entity, payload, request_id=rid, action=action), False
    except REFUSALS:
        attempts.refused()
        raise


def write_once(attempts: Attempts, idempotency_key: str, payload, call):
    """Run ``call(request_id)`` for an update-like write (update, void, send): same id on a
    retry, a new generation after a refusal."""
    rid = attempts.request_id(idempotency_key, payload)
    try:
        return call(rid)
    except REFUSALS:
        attempts.refused()
        raise
