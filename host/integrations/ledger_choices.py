"""An ambiguous customer from the ledger: the host clients it could be, and the admin's choice.

The importer leaves a ledger customer ``ambiguous`` when several host clients match it by the
outbound rules (billing email, then name: ``host.integrations.matching``). Its history page
offers those clients; choosing one writes the connection's ``client`` mapping (as the
reconciliation page does for clients going out) and applies the kept record again
(``host.sync.twoway.retry``), which now finds the client through the mapping and links it.
"""

from __future__ import annotations

import sqlalchemy as sa

from host.contract.types import ClientData
from host.extensions import db
from host.integrations import matching
from host.models import Client, ConnectionMapping, SyncLink

#: The mapping kind linking host clients to ledger customers (the importer's and pushes').
CLIENT_KIND = "client"


def candidates(link: SyncLink) -> list[Client]:
    """The host clients the ambiguous customer ``link`` matches (none for other links): the
    organization's clients not linked to another ledger customer of the connection, matched
    by the same rules as the import."""
    if link.object != "customer" or link.status != "ambiguous" or not link.payload:
        return []
    org_id = link.connection.business_unit.organization_id
    linked = set(db.session.scalars(sa.select(SyncLink.host_id).where(
        SyncLink.connection_id == link.connection_id, SyncLink.object == "customer",
        SyncLink.status == "linked", SyncLink.host_id.is_not(None))))
    clients = {c.id: c for c in db.session.scalars(
        sa.select(Client).where(Client.organization_id == org_id).order_by(Client.name))
        if c.id not in linked}
    pool = [matching.Candidate(external_id=str(c.id), name=c.name, email=c.billing_email,
                               usable=c.active, kind="inactive client")
            for c in clients.values()]
    record = ClientData(id=0, name=str(link.payload.get("name") or ""),
                        billing_email=str(link.payload.get("billing_email") or ""))
    preview = matching.match_client(record, pool, label="client")
    ids = [int(c.external_id) for c in preview.candidates] if preview.outcome == "ambiguous" \
        else []
    return [clients[i] for i in ids if i in clients]


def choose(link: SyncLink, client: Client, user_id: int | None) -> str:
    """Link the ambiguous customer ``link`` to ``client`` (one of :func:`candidates`): the
    mapping is written and the record applied again. Returns the link's status. Commits."""
    from host.sync.twoway import retry

    db.session.execute(sa.delete(ConnectionMapping).where(  # the customer maps to one client
        ConnectionMapping.connection_id == link.connection_id,
        ConnectionMapping.kind == CLIENT_KIND, ConnectionMapping.external_id == link.external_id,
        ConnectionMapping.host_id != str(client.id)))
    row = db.session.scalars(sa.select(ConnectionMapping).filter_by(
        connection_id=link.connection_id, kind=CLIENT_KIND, host_id=str(client.id))).first()
    if row is None:
        row = ConnectionMapping(connection_id=link.connection_id, kind=CLIENT_KIND,
                                host_id=str(client.id))
        db.session.add(row)
    row.external_id, row.external_label, row.chosen_by_id = link.external_id, link.label, user_id
    link.log("chosen", f"The admin chose the client {client.name}.")
    # committed before the retry, which may ask the plugin for its fields: no write
    # transaction stays open across a provider call (the rate limiter writes too)
    db.session.commit()
    return retry.retry(link)
