"""Housekeeping the worker runs every hour: rows that only matter for a limited time.

* API ``Idempotency-Key`` answers older than a day (``host.services.idempotency``);
* OAuth authorizations older than their 15 minutes, used or abandoned, of admins who never came
  back from the provider (``host.integrations.oauth_states``; a new authorization also purges).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def purge_expired() -> dict[str, int]:
    """Delete what has expired; returns how many rows of each kind went."""
    from host.integrations import oauth_states
    from host.services import idempotency

    purged = {"idempotency_keys": idempotency.purge_expired(),
              "oauth_authorizations": oauth_states.purge_expired()}
    if any(purged.values()):
        log.info("housekeeping purged %s", purged)
    return purged
