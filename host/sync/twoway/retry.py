"""Retry: apply a waiting record again, from the payload it waited with.

A record that could not be imported (``SyncLink.status`` ``waiting`` or ``ambiguous``) keeps the
ledger's record as it came (``SyncLink.payload``). Once the admin fixed the cause (imported the
customer, mapped the tax code, renamed a client ...), :func:`retry` applies that payload again
through the same apply module as the import, in one transaction, without asking the provider
for the record. The only provider call it may make is ``list_sync_fields`` (the field choices
in force), and it runs because the admin pressed Retry.

A link without payload (the record was too large to keep) asks for an incremental pass of its
object instead (:func:`host.sync.twoway.importer.pull`), which lists it again.
"""

from __future__ import annotations

from host.extensions import db
from host.models import SyncLink
from host.sync.twoway import payload as payloads
from host.sync.twoway.run import ImportRun
from host.sync.twoway.settings import setting_for

RETRYABLE = ("waiting", "ambiguous")


def retry(link: SyncLink) -> str:
    """Apply ``link``'s kept record again; returns the link's status afterwards, or
    ``"pulled"`` when an incremental pass was asked for instead. Commits."""
    from host.sync.twoway.importer import APPLY, pull

    if link.status not in RETRYABLE:
        return link.status
    connection = link.connection
    setting = setting_for(connection, link.object)
    if not link.payload:
        link.log("retry", "Retry asked: the record is listed again from the ledger.")
        db.session.commit()
        pull(connection, link.object)
        return "pulled"
    record = payloads.from_payload(link.object, link.payload)
    run = ImportRun(connection, setting)
    db.session.commit()  # no write transaction open while the plugin declares its fields
    run.declared()
    # the apply counts the record again: it no longer counts where it was
    setting.seen = max(0, setting.seen - 1)
    setting.failed = max(0, setting.failed - 1)
    link.log("retry", "Retry: applying the record again.")
    APPLY[link.object](run, [record])
    db.session.commit()
    db.session.refresh(link)
    return link.status
